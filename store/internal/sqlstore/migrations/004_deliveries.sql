-- The outbox of deliveries (package deliver): one job for each code or
-- token that the service sends itself. sealed is the plaintext encrypted
-- under a key that is never in the database, and NULL once the job is sent,
-- given up or expired. lease is the claim of the dispatcher sending it.
CREATE TABLE deliveries (
	id           TEXT PRIMARY KEY,
	secret_id    TEXT NOT NULL,
	kind         TEXT NOT NULL,
	channel      TEXT NOT NULL,
	recipient    TEXT NOT NULL,
	purpose      TEXT NOT NULL,
	template     TEXT NOT NULL,
	locale       TEXT NOT NULL,
	data         TEXT,
	sealed       {{blob}},
	status       TEXT NOT NULL,
	attempts     BIGINT NOT NULL DEFAULT 0,
	max_attempts BIGINT NOT NULL,
	last_error   TEXT NOT NULL DEFAULT '',
	created_at   BIGINT NOT NULL,
	next_at      BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	sent_at      BIGINT,
	lease        TEXT,
	lease_until  BIGINT
);
CREATE INDEX deliveries_due ON deliveries (status, next_at);
CREATE INDEX deliveries_expires ON deliveries (expires_at);
