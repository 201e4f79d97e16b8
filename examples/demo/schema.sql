-- The demo's declared schema (target_schema in retort.ini): what the
-- application's code expects. `retort check` compares the database with
-- it; `retort revision --autogenerate` writes the revision that gets there.
CREATE TABLE job (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE TABLE workflow (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    complexity TEXT,
    workspace_path TEXT,
    owner TEXT NOT NULL DEFAULT 'reana'   -- new in this version of the code
);
CREATE INDEX ix_workflow_owner ON workflow (owner);
CREATE TABLE interactive_session (
    id TEXT PRIMARY KEY,
    name TEXT,
    path TEXT,
    status TEXT NOT NULL DEFAULT 'created'
);
CREATE VIEW open_session AS
    SELECT id, name FROM interactive_session WHERE status <> 'closed; archived';
CREATE TABLE resource (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL DEFAULT 'cpu'
);
CREATE TABLE user_resource (
    user_id INTEGER NOT NULL,
    resource_id INTEGER NOT NULL REFERENCES resource (id),
    quota_limit INTEGER,
    quota_used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, resource_id)
);
