-- Tokens, codes, API keys and settings. Times are Unix milliseconds; NULL
-- where a time is optional. Only digests are stored, never plaintext.
-- (SQLite gives BIGINT columns INTEGER affinity and BOOLEAN NUMERIC; both
-- store the integers written here exactly as INTEGER would.)
CREATE TABLE tokens (
	id         TEXT PRIMARY KEY,
	hash       {{blob}} NOT NULL UNIQUE,
	purpose    TEXT NOT NULL,
	subject    TEXT NOT NULL,
	meta       TEXT,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at    BIGINT,
	revoked_at BIGINT
);
CREATE INDEX tokens_subject ON tokens (purpose, subject);
CREATE INDEX tokens_expires ON tokens (expires_at);

CREATE TABLE codes (
	id           TEXT PRIMARY KEY,
	purpose      TEXT NOT NULL,
	subject      TEXT NOT NULL,
	mac          {{blob}} NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	attempts     BIGINT NOT NULL DEFAULT 0,
	max_attempts BIGINT NOT NULL,
	approved_at  BIGINT,
	cancelled_at BIGINT
);
CREATE INDEX codes_subject ON codes (purpose, subject, created_at);
CREATE INDEX codes_created ON codes (created_at);

CREATE TABLE api_keys (
	id         TEXT PRIMARY KEY,
	hash       {{blob}} NOT NULL UNIQUE,
	prefix     TEXT NOT NULL,
	start      TEXT NOT NULL,
	namespace  TEXT NOT NULL,
	owner      TEXT NOT NULL,
	name       TEXT NOT NULL,
	meta       TEXT,
	enabled    BOOLEAN NOT NULL,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	expires_at BIGINT,
	revoked_at BIGINT,
	remaining  BIGINT,
	rl_limit   BIGINT,
	rl_window  BIGINT,
	rl_start   BIGINT NOT NULL DEFAULT 0,
	rl_count   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX api_keys_owner ON api_keys (owner, id);
CREATE INDEX api_keys_namespace ON api_keys (namespace, id);
CREATE INDEX api_keys_expires ON api_keys (expires_at);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value {{blob}} NOT NULL
);
