-- Issue 15. A key's own permissions and the names of its roles are JSON
-- arrays of strings (NULL: none), read with the key in the one lookup of a
-- verification. A role is a named set of permissions in a namespace,
-- looked up at verification by the keys that name it.
ALTER TABLE api_keys ADD COLUMN roles TEXT;
ALTER TABLE api_keys ADD COLUMN permissions TEXT;

CREATE TABLE roles (
	namespace   TEXT NOT NULL,
	name        TEXT NOT NULL,
	permissions TEXT NOT NULL,
	created_at  BIGINT NOT NULL,
	updated_at  BIGINT NOT NULL,
	PRIMARY KEY (namespace, name)
);
