/*
 * schema.h: the schema model — one description of a database's user
 * objects (tables, their columns and constraints, indexes, views,
 * triggers, sequences, enum types) that every backend's introspection
 * fills and that diff and render read. The model is plain data: it
 * knows no connection and no backend beyond the dialect tag that says
 * whose SQL the texts in it are written in.
 *
 * Texts taken from the database (a default, a check expression, an index
 * or view definition, SQLite's CREATE statement) are kept as the database
 * reports them; the *_norm fields and sch_norm_expr() give the form that
 * diff compares, so `now()` and `CURRENT_TIMESTAMP`, or `'a'::text` and
 * `'a'`, are not reported as differences.
 *
 * model.c: building, finding, sorting and freeing a model.
 * diff.c: two models → an ordered list of changes (pure).
 * render.c: changes → upgrade and downgrade SQL per backend.
 * describe.c: a model → the `schema` command's text and JSON.
 */
#ifndef RETORT_SCHEMA_H
#define RETORT_SCHEMA_H

#include "base/base.h"
#include "sql/sql.h"

typedef struct sch_column {
	char *name;
	char *type;      /* normalised, lower case: "integer", "character varying(40)" */
	int notnull;
	char *dflt;      /* the default as the database shows it; NULL: none */
	int pk;          /* 1-based position in the primary key; 0: not in it */
	char *identity;  /* PostgreSQL "always" / "by default"; NULL: not an identity */
	int serial;      /* PostgreSQL: default is nextval() of a sequence the column owns */
	int hidden;      /* SQLite generated/hidden column (table_xinfo hidden != 0) */
	char *generated; /* generated column expression; NULL: none */
	char *collation; /* non-default collation; NULL: default */
	char *comment;   /* NULL: none */
	char *renamed_from; /* target only: `-- renamed from: x` annotation */
	int line;        /* target only: line in schema.sql, 0 unknown */
} sch_column;

typedef enum sch_con_kind {
	SCH_PK,     /* primary key */
	SCH_UNIQUE, /* unique constraint (not a unique index) */
	SCH_FK,     /* foreign key */
	SCH_CHECK,  /* check constraint */
	SCH_EXCLUDE /* PostgreSQL exclusion constraint (compared by definition) */
} sch_con_kind;

typedef struct sch_constraint {
	sch_con_kind kind;
	char *name;          /* NULL/"" when the database gave none (SQLite) */
	strvec cols;         /* PK, UNIQUE, FK: the table's columns in order */
	char *ref_schema;    /* FK: NULL when the same schema */
	char *ref_table;     /* FK */
	strvec ref_cols;     /* FK: referenced columns (may be empty: the PK) */
	char *on_delete;     /* FK: "NO ACTION", "CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT" */
	char *on_update;
	int deferrable;      /* FK/UNIQUE: DEFERRABLE; 2: INITIALLY DEFERRED */
	char *expr;          /* CHECK: the expression without CHECK( ) */
	char *def;           /* PostgreSQL: pg_get_constraintdef() text; may be NULL */
} sch_constraint;

typedef struct sch_index {
	char *name;
	char *table;
	int unique;
	strvec keys;    /* column names or, for expression keys, the expression text */
	char *where;    /* partial index predicate; NULL: none */
	char *method;   /* PostgreSQL access method when not btree; NULL: btree */
	char *def;      /* the full CREATE INDEX statement as the database gives it */
} sch_index;

typedef struct sch_trigger {
	char *name;
	char *table;
	char *def;      /* the full CREATE TRIGGER statement */
} sch_trigger;

typedef struct sch_table {
	char *name;
	sch_column *cols;
	size_t ncols;
	sch_constraint *cons;
	size_t ncons;
	char *comment;
	char *sql;          /* SQLite: the CREATE TABLE statement from sqlite_schema */
	int without_rowid;  /* SQLite */
	int strict;         /* SQLite */
	char *renamed_from; /* target only */
	int line;           /* target only */
} sch_table;

typedef struct sch_view {
	char *name;
	char *def;       /* the query (PostgreSQL: pg_get_viewdef); SQLite: the CREATE VIEW statement */
	int materialized;
	strvec deps;     /* names of tables and views it reads, in this schema */
	char *comment;
} sch_view;

typedef struct sch_enum {
	char *name;
	strvec values;   /* in sort order */
	char *comment;
} sch_enum;

typedef struct sch_sequence {
	char *name;
	char *type;      /* "bigint" ... */
	long long start, increment, min, max;
	int cycle;
	char *owned_by;  /* "table.column" when owned (serial / identity); NULL: free-standing */
} sch_sequence;

typedef struct sch_model {
	dialect kind;
	char *schema;    /* PostgreSQL: the schema described; SQLite: "main" */
	sch_table *tables;    size_t ntables;    /* sorted by name */
	sch_index *indexes;   size_t nindexes;   /* sorted by table, name */
	sch_view *views;      size_t nviews;     /* in dependency order: a view after what it reads */
	sch_trigger *triggers; size_t ntriggers; /* sorted by table, name */
	sch_enum *enums;      size_t nenums;     /* sorted by name */
	sch_sequence *seqs;   size_t nseqs;      /* sorted by name; owned ones included */
	/* built by sch_model_sort, for lookups by name */
	sch_index **index_by_name;
	sch_trigger **trigger_by_name;
} sch_model;

/* ---- model.c ------------------------------------------------------------ */

void sch_model_init(sch_model *m, dialect kind, const char *schema);
void sch_model_free(sch_model *m);

/* Appending: return the new zeroed element, owned by the model. */
sch_table *sch_add_table(sch_model *m, const char *name);
sch_column *sch_add_column(sch_table *t, const char *name);
sch_constraint *sch_add_constraint(sch_table *t, sch_con_kind kind, const char *name);
sch_index *sch_add_index(sch_model *m, const char *table, const char *name);
sch_view *sch_add_view(sch_model *m, const char *name);
sch_trigger *sch_add_trigger(sch_model *m, const char *table, const char *name);
sch_enum *sch_add_enum(sch_model *m, const char *name);
sch_sequence *sch_add_sequence(sch_model *m, const char *name);

/* Moves every object of src into dst (src is left freed); sort dst after. */
void sch_model_absorb(sch_model *dst, sch_model *src);

/* Puts tables, indexes, triggers, enums, sequences in name order and views
 * in dependency order (ties by name). Call once after filling. */
void sch_model_sort(sch_model *m);

/* Lookups; NULL when absent. */
const sch_table *sch_find_table(const sch_model *m, const char *name);
const sch_column *sch_find_column(const sch_table *t, const char *name);
const sch_view *sch_find_view(const sch_model *m, const char *name);
const sch_enum *sch_find_enum(const sch_model *m, const char *name);
const sch_index *sch_find_index(const sch_model *m, const char *name);
const sch_sequence *sch_find_sequence(const sch_model *m, const char *name);
const sch_trigger *sch_find_trigger(const sch_model *m, const char *name);

/* The comparable form of an SQL expression (a default, a check, an index
 * predicate): whitespace and outer parentheses dropped, keywords and
 * identifiers outside quotes lower-cased, casts of literals to their own
 * type removed, the spellings of the current time made one. Caller frees. */
char *sch_norm_expr(const char *expr);
/* The comparable form of a type name ("INT" and "int4" → "integer",
 * "varchar(20)" → "character varying(20)", ...). Caller frees. */
char *sch_norm_type(dialect kind, const char *type);

/* ---- diff.c ------------------------------------------------------------- */

typedef enum sch_change_kind {
	CH_ADD_ENUM,
	CH_ENUM_ADD_VALUE,   /* value, after (NULL: first) */
	CH_ENUM_REBUILD,     /* values removed or reordered: new type, columns cast over */
	CH_DROP_ENUM,
	CH_ADD_SEQUENCE,
	CH_DROP_SEQUENCE,
	CH_ADD_TABLE,
	CH_DROP_TABLE,
	CH_RENAME_TABLE,     /* old_name → table */
	CH_ADD_COLUMN,
	CH_DROP_COLUMN,
	CH_RENAME_COLUMN,    /* old_name → name */
	CH_ALTER_TYPE,
	CH_ALTER_NULL,       /* to_col->notnull says which way */
	CH_ALTER_DEFAULT,
	CH_ALTER_COLUMN,     /* identity, generated expression or collation */
	CH_ADD_CONSTRAINT,
	CH_DROP_CONSTRAINT,
	CH_ADD_INDEX,
	CH_DROP_INDEX,
	CH_ADD_VIEW,
	CH_DROP_VIEW,
	CH_ADD_TRIGGER,
	CH_DROP_TRIGGER,
	CH_TABLE_OPTIONS,    /* SQLite WITHOUT ROWID / STRICT */
	CH_COMMENT,          /* table (name NULL) or column comment */
	CH_ALTER_SEQUENCE    /* a sequence's type (serial → bigserial) */
} sch_change_kind;

typedef struct sch_change {
	sch_change_kind kind;
	const char *table;     /* the table's name in the target (to) model */
	const char *name;      /* column, constraint, index, view, trigger, enum, sequence */
	const char *old_name;  /* renames: the name in the from model */
	const char *value, *after; /* CH_ENUM_ADD_VALUE */
	const sch_table *from_table, *to_table;
	const sch_column *from_col, *to_col;
	const sch_constraint *con;
	const sch_index *index;
	const sch_view *view;
	const sch_trigger *trigger;
	const sch_enum *from_enum, *to_enum;
	const sch_sequence *seq;
	/* A drop and an add that look like an unannotated rename: written as
	 * a commented hint, never run; pair is the index of the other half. */
	int hint;
	long pair;
	char *text;            /* "added column 'users.email'" (Alembic's words after "Detected ") */
} sch_change;

typedef struct sch_diff {
	sch_change *v;
	size_t n, cap;
	int hints;             /* how many changes are hints */
	size_t *renames;       /* indexes of the CH_RENAME_TABLE changes */
	size_t nrenames;
} sch_diff;

/* The changes that turn `from` into `to`, in no particular order (render
 * orders them). Rename annotations (renamed_from) are read from `to`, or
 * from `from` when reverse is set (the downgrade of an annotated target).
 * The diff points into both models, which must outlive it. */
void sch_diff_models(const sch_model *from, const sch_model *to, int reverse, sch_diff *out);
/* About how many relations applying d creates, drops or locks: a table
 * counts with its TOAST table and index, its key indexes and sequences;
 * every other change as one. An over-estimate, for warning before a
 * PostgreSQL transaction runs out of lock slots. */
long sch_diff_relations(const sch_diff *d);
void sch_diff_free(sch_diff *d);

/* ---- render.c ------------------------------------------------------------ */

/* SQL that applies d (from → to) in a safe order: views, triggers and
 * foreign keys that stand in the way dropped first, enums and tables
 * before what uses them, drops of tables in reverse dependency order,
 * views recreated last in dependency order. SQLite changes ALTER TABLE
 * cannot make use the 12-step table rebuild (sqlite_version: the running
 * library's, e.g. 3040001, for what ALTER can do). Hints become comment
 * lines. Fails (RETORT_ERUNTIME, reason none) on a change that has no
 * safe rendering, e.g. an enum losing a value in an upgrade, naming it. */
int sch_render(const sch_model *from, const sch_model *to, const sch_diff *d,
               int sqlite_version, int allow_enum_rebuild, sbuf *out, retort_error *err);

/* ---- describe.c ---------------------------------------------------------- */

/* The `schema` command's output, appended to out: with table NULL, every
 * table (name order), then the views, enum types and free-standing
 * sequences, each described as psql's \d describes it, separated by blank
 * lines ("No relations found." when there is nothing); with a table,
 * that table, view or sequence alone. json: one JSON document instead
 * (two-space indent, final newline), with a table holding only that
 * relation. An unknown name: RETORT_EUSAGE, 'Did not find any relation
 * named "NAME".', nothing appended. The model must be sorted. */
int sch_describe(const sch_model *m, const char *table, int json, sbuf *out, retort_error *err);

#endif
