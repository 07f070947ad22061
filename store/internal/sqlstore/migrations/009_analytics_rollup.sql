-- Usage analytics write minute counters only, and the sweeper rolls
-- minutes up into hours and hours into days when their retention ends; a
-- sum at a granularity adds the counters of the finer ones. Until now a
-- flush added every count to its minute, hour and day counter at once, so
-- each count must now be left in one counter: an hour counter keeps only
-- what its minutes no longer hold (the minutes already swept), and a day
-- counter what its hours no longer hold. The day counters go first, while
-- the hour counters still hold every count of theirs.
UPDATE analytics_counts AS d SET n = d.n - (SELECT COALESCE(SUM(h.n), 0) FROM analytics_counts AS h
	WHERE h.granularity = 'hour' AND h.kind = d.kind AND h.bucket >= d.bucket AND h.bucket < d.bucket + 86400000
		AND h.namespace = d.namespace AND h.key_id = d.key_id AND h.owner = d.owner AND h.category = d.category
		AND h.outcome = d.outcome AND h.tag = d.tag)
WHERE d.granularity = 'day';

UPDATE analytics_counts AS h SET n = h.n - (SELECT COALESCE(SUM(m.n), 0) FROM analytics_counts AS m
	WHERE m.granularity = 'minute' AND m.kind = h.kind AND m.bucket >= h.bucket AND m.bucket < h.bucket + 3600000
		AND m.namespace = h.namespace AND m.key_id = h.key_id AND m.owner = h.owner AND m.category = h.category
		AND m.outcome = h.outcome AND m.tag = h.tag)
WHERE h.granularity = 'hour';

DELETE FROM analytics_counts WHERE granularity <> 'minute' AND n <= 0;
