-- revision: 4801b98f6408
-- down_revision: ad93dae04483
-- message: Job started and finished times.
-- create_date: 2021-03-01 10:12:00

-- +upgrade
CREATE TABLE job (id TEXT PRIMARY KEY, status TEXT NOT NULL);
ALTER TABLE job ADD COLUMN started_at TIMESTAMP;
ALTER TABLE job ADD COLUMN finished_at TIMESTAMP;

-- +downgrade
DROP TABLE job;
