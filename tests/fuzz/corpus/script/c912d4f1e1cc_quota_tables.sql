-- revision: c912d4f1e1cc
-- down_revision:
-- message: Quota tables.
-- create_date: 2021-01-12 09:00:00

-- +upgrade
CREATE TABLE resource (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,          -- e.g. 'cpu'; the ';' in this comment is not a split point
    type TEXT NOT NULL DEFAULT 'cpu'
);
CREATE TABLE user_resource (
    user_id INTEGER NOT NULL,
    resource_id INTEGER NOT NULL REFERENCES resource (id),
    quota_limit INTEGER,
    quota_used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, resource_id)
);

-- +downgrade
DROP TABLE user_resource;
DROP TABLE resource;
