-- Tokens, codes, API keys and settings. Times are Unix milliseconds; NULL
-- where a time is optional. Only digests are stored, never plaintext.
CREATE TABLE tokens (
	id         TEXT PRIMARY KEY,
	hash       BLOB NOT NULL UNIQUE,
	purpose    TEXT NOT NULL,
	subject    TEXT NOT NULL,
	meta       TEXT,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER,
	revoked_at INTEGER
);
CREATE INDEX tokens_subject ON tokens (purpose, subject);
CREATE INDEX tokens_expires ON tokens (expires_at);

CREATE TABLE codes (
	id           TEXT PRIMARY KEY,
	purpose      TEXT NOT NULL,
	subject      TEXT NOT NULL,
	mac          BLOB NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL,
	approved_at  INTEGER,
	cancelled_at INTEGER
);
CREATE INDEX codes_subject ON codes (purpose, subject, created_at);
CREATE INDEX codes_created ON codes (created_at);

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	hash       BLOB NOT NULL UNIQUE,
	prefix     TEXT NOT NULL,
	start      TEXT NOT NULL,
	namespace  TEXT NOT NULL,
	owner      TEXT NOT NULL,
	name       TEXT NOT NULL,
	meta       TEXT,
	enabled    INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	expires_at INTEGER,
	revoked_at INTEGER,
	remaining  INTEGER,
	rl_limit   INTEGER,
	rl_window  INTEGER,
	rl_start   INTEGER NOT NULL DEFAULT 0,
	rl_count   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_owner ON api_keys (owner, id);
CREATE INDEX api_keys_namespace ON api_keys (namespace, id);
CREATE INDEX api_keys_expires ON api_keys (expires_at);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
