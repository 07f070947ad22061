-- Issue 14. Each code records its length and the failure budget it was
-- issued under (failed attempts per purpose and subject, across codes, in
-- a window); code_budgets counts the failures of the window that ends at
-- window_end. An API key that was rerolled names the newest key of its
-- line (successor), whose remaining uses and rate limit it spends. The
-- live tokens of a subject are found through an index of the live tokens
-- alone, not of the subject's whole history.
ALTER TABLE codes ADD COLUMN digits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE codes ADD COLUMN budget_limit BIGINT NOT NULL DEFAULT 10;
ALTER TABLE codes ADD COLUMN budget_window BIGINT NOT NULL DEFAULT 3600000;

CREATE TABLE code_budgets (
	purpose    TEXT NOT NULL,
	subject    TEXT NOT NULL,
	window_end BIGINT NOT NULL,
	failures   BIGINT NOT NULL,
	PRIMARY KEY (purpose, subject)
);
CREATE INDEX code_budgets_end ON code_budgets (window_end);

ALTER TABLE api_keys ADD COLUMN successor TEXT;
CREATE INDEX api_keys_successor ON api_keys (successor) WHERE successor IS NOT NULL;

DROP INDEX tokens_subject;
CREATE INDEX tokens_live ON tokens (purpose, subject) WHERE used_at IS NULL AND revoked_at IS NULL;
