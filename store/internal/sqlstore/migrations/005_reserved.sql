-- A placeholder for the version another branch adds (issue 15): 006 does
-- not depend on it. Dropped at the merge, in favour of the real 005.
SELECT 1;
