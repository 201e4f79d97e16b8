/*
 * Copyright header, a licence block comment before the header.
 */
-- revision: 0001 /* not a comment start */
/* inline */ -- down_revision: ignored
-- a plain comment line
-- revision_note is not a key: nope
-- +upgrade
CREATE TABLE t (a INT); /* tail */
