-- Usage analytics (package analytics): counters of verifications, code
-- checks, token redemptions and delivery outcomes, one row per bucket and
-- dimensions, at three granularities (minute, hour, day). A flush adds to a
-- row with an upsert, so every instance writes into the same rows. tag is
-- '' for the counter of all events, or the tag ("k=v") whose events the row
-- counts; category is the purpose (codes, tokens) or the channel
-- (deliveries). Dimensions that do not apply are ''.
CREATE TABLE analytics_counts (
	granularity TEXT NOT NULL,
	kind        TEXT NOT NULL,
	bucket      BIGINT NOT NULL,
	namespace   TEXT NOT NULL,
	key_id      TEXT NOT NULL,
	owner       TEXT NOT NULL,
	category    TEXT NOT NULL,
	outcome     TEXT NOT NULL,
	tag         TEXT NOT NULL,
	n           BIGINT NOT NULL,
	PRIMARY KEY (granularity, kind, bucket, namespace, key_id, owner, category, outcome, tag)
);

-- When a key was last verified, written by the analytics flush (Unix ms).
ALTER TABLE api_keys ADD COLUMN last_used_at BIGINT;
