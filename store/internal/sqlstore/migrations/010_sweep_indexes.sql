-- The sweeper deletes a token once it has expired, been used or been
-- revoked, and a key once it has expired or been revoked, for longer than
-- the retention. Only expires_at was indexed, so each of its statements
-- (expires_at < $1 OR used_at < $1 OR revoked_at < $1) read the whole
-- table to find the rows whose other term was true: with ten million live
-- tokens, a scan of ten million rows every minute, which on SQLite holds
-- the one writer. With every term indexed, both databases answer the OR
-- from the three indexes. The indexes are partial: a live record, whose
-- used_at and revoked_at are NULL, is in neither.
CREATE INDEX tokens_used ON tokens (used_at) WHERE used_at IS NOT NULL;
CREATE INDEX tokens_revoked ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX api_keys_revoked ON api_keys (revoked_at) WHERE revoked_at IS NOT NULL;
