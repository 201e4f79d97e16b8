-- revision: 5e6f708192a3
-- down_revision: 3c4d00000002, 4d5e6f708192
-- message: merge
-- branch_labels: feat, other_label
-- depends_on: a0b1c2d3e4f5, side
-- transactional: false
-- release: 0.8.0

-- +upgrade
CREATE INDEX CONCURRENTLY ix_a ON a (b);
-- +downgrade
DROP INDEX CONCURRENTLY ix_a;
