-- Issue 15. A key's refill (interval, amount, day of the month) and when it
-- was last applied; its named rate limits as a JSON array of
-- {"name", "limit", "window"} (window in milliseconds), and the window of
-- each as a JSON object of name: [start, count], written apart so that an
-- update of the limits keeps the windows of the names that stay. An
-- owner's named rate limits, shared by all its keys in one namespace, are
-- one row each.
ALTER TABLE api_keys ADD COLUMN refill_interval TEXT;
ALTER TABLE api_keys ADD COLUMN refill_amount BIGINT;
ALTER TABLE api_keys ADD COLUMN refill_day BIGINT;
ALTER TABLE api_keys ADD COLUMN refilled_at BIGINT;
ALTER TABLE api_keys ADD COLUMN ratelimits TEXT;
ALTER TABLE api_keys ADD COLUMN ratelimit_windows TEXT;

CREATE TABLE owner_ratelimits (
	namespace  TEXT NOT NULL,
	owner      TEXT NOT NULL,
	name       TEXT NOT NULL,
	rl_limit   BIGINT NOT NULL,
	rl_window  BIGINT NOT NULL,
	rl_start   BIGINT NOT NULL DEFAULT 0,
	rl_count   BIGINT NOT NULL DEFAULT 0,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (namespace, owner, name)
);
