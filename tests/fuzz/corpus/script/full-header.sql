-- revision: 4801b98f6408
-- down_revision: ad93dae04483
-- message: Job started and finished times.
-- create_date: 2021-03-01 10:12:00
-- branch_labels:
-- depends_on:
-- transactional: true
-- release:

-- +upgrade
ALTER TABLE __reana.job ADD COLUMN started_at TIMESTAMP;
ALTER TABLE __reana.job ADD COLUMN finished_at TIMESTAMP;

-- +downgrade
ALTER TABLE __reana.job DROP COLUMN finished_at;
ALTER TABLE __reana.job DROP COLUMN started_at;
