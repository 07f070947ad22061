-- A placeholder on the analytics branch for the version another branch
-- takes (versions must be contiguous); it is dropped when the branches merge.
SELECT 1;
