-- Access keys (who may call the service, and what), the audit trail, and
-- the id of the pepper that keyed each code. Scopes and namespaces are
-- JSON arrays of strings.
CREATE TABLE access_keys (
	id           TEXT PRIMARY KEY,
	hash         {{blob}} NOT NULL UNIQUE,
	start        TEXT NOT NULL,
	name         TEXT NOT NULL,
	scopes       TEXT NOT NULL,
	namespaces   TEXT NOT NULL,
	created_at   BIGINT NOT NULL,
	last_used_at BIGINT,
	revoked_at   BIGINT
);

CREATE TABLE audit_log (
	id         TEXT PRIMARY KEY,
	at         BIGINT NOT NULL,
	actor_id   TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	action     TEXT NOT NULL,
	target     TEXT NOT NULL,
	namespace  TEXT NOT NULL,
	outcome    TEXT NOT NULL,
	request_id TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_target ON audit_log (target, id);

ALTER TABLE codes ADD COLUMN pepper_id TEXT NOT NULL DEFAULT '';
