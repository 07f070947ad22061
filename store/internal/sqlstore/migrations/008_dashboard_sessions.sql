-- The dashboard's sessions: an access key exchanged for a random session
-- id, of which only the SHA-256 is kept. key_check ties the session to the
-- access key that opened it (a digest of the key's digest), so that a
-- revoked or replaced key closes its sessions.
CREATE TABLE dashboard_sessions (
	hash          {{blob}} PRIMARY KEY,
	access_key_id TEXT NOT NULL,
	key_check     {{blob}} NOT NULL,
	created_at    BIGINT NOT NULL,
	last_seen_at  BIGINT NOT NULL,
	expires_at    BIGINT NOT NULL
);
CREATE INDEX dashboard_sessions_key ON dashboard_sessions (access_key_id);
CREATE INDEX dashboard_sessions_expires ON dashboard_sessions (expires_at);
