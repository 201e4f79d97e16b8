/*
 * lint.c: the rules of `retort lint` (SPEC §8) over the statements of one
 * section. Two families:
 *
 *  - destructive (errors, expand parts only, every dialect): what breaks
 *    the release that is still running while an expand part is applied:
 *    dropping or renaming what it uses, changing a column's type, making
 *    its writes fail (SET NOT NULL, a NOT NULL column without a default),
 *    renaming or removing enum values, TRUNCATE;
 *  - locking hazards (warnings, PostgreSQL only, every part): what holds a
 *    lock that stops the application's reads or writes for as long as a
 *    table scan, rewrite or index build takes.
 *
 * plus the few that are always errors (CONCURRENTLY in a transactional
 * revision, transaction control) and the housekeeping ones (a statement
 * libpg_query cannot parse, an override that overrides nothing).
 *
 * PostgreSQL statements are read from libpg_query's JSON parse tree, never
 * from their text; SQLite's and MySQL's with a tokenizer that knows their
 * quotes and comments (only the destructive rules apply there). What the
 * revision itself created (tables, indexes, other objects) is remembered
 * across its sections, so that its own new tables are not "existing" ones.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <pg_query.h>

#include "sql/sql.h"

/* ---- the rules ------------------------------------------------------------ */

enum rule_id {
	R_DROP_TABLE,
	R_DROP_COLUMN,
	R_DROP_CONSTRAINT,
	R_DROP_INDEX,
	R_DROP_OBJECT,
	R_RENAME_TABLE,
	R_RENAME_COLUMN,
	R_CHANGE_TYPE,
	R_SET_NOT_NULL,
	R_ADD_NOT_NULL,
	R_RENAME_ENUM_VALUE,
	R_ENUM_VALUE_REMOVED,
	R_TRUNCATE,
	R_INDEX_NOT_CONCURRENT,
	R_DROP_INDEX_NOT_CONCURRENT,
	R_DETACH_NOT_CONCURRENT,
	R_FK_NOT_VALID,
	R_CHECK_NOT_VALID,
	R_VOLATILE_DEFAULT,
	R_TYPE_REWRITE,
	R_UNIQUE_EXISTING,
	R_BACKFILL,
	R_CONCURRENTLY_TX,
	R_TX_CONTROL,
	R_UNPARSED,
	R_UNUSED_OVERRIDE,
	R_COUNT
};

/* Where a rule applies. */
enum rule_kind {
	K_DESTRUCTIVE, /* expand parts, every dialect */
	K_HAZARD,      /* PostgreSQL, every part */
	K_BACKFILL,    /* expand parts, every dialect */
	K_ALWAYS       /* everywhere (the rule decides) */
};

static const enum rule_kind rule_kinds[R_COUNT] = {
    [R_DROP_TABLE] = K_DESTRUCTIVE,
    [R_DROP_COLUMN] = K_DESTRUCTIVE,
    [R_DROP_CONSTRAINT] = K_DESTRUCTIVE,
    [R_DROP_INDEX] = K_DESTRUCTIVE,
    [R_DROP_OBJECT] = K_DESTRUCTIVE,
    [R_RENAME_TABLE] = K_DESTRUCTIVE,
    [R_RENAME_COLUMN] = K_DESTRUCTIVE,
    [R_CHANGE_TYPE] = K_DESTRUCTIVE,
    [R_SET_NOT_NULL] = K_ALWAYS, /* error in expand, a PostgreSQL warning elsewhere */
    [R_ADD_NOT_NULL] = K_DESTRUCTIVE,
    [R_RENAME_ENUM_VALUE] = K_DESTRUCTIVE,
    [R_ENUM_VALUE_REMOVED] = K_DESTRUCTIVE,
    [R_TRUNCATE] = K_DESTRUCTIVE,
    [R_INDEX_NOT_CONCURRENT] = K_HAZARD,
    [R_DROP_INDEX_NOT_CONCURRENT] = K_HAZARD,
    [R_DETACH_NOT_CONCURRENT] = K_HAZARD,
    [R_FK_NOT_VALID] = K_HAZARD,
    [R_CHECK_NOT_VALID] = K_HAZARD,
    [R_VOLATILE_DEFAULT] = K_HAZARD,
    [R_TYPE_REWRITE] = K_HAZARD,
    [R_UNIQUE_EXISTING] = K_HAZARD,
    [R_BACKFILL] = K_BACKFILL,
    [R_CONCURRENTLY_TX] = K_ALWAYS,
    [R_TX_CONTROL] = K_ALWAYS,
    [R_UNPARSED] = K_ALWAYS,
    [R_UNUSED_OVERRIDE] = K_ALWAYS,
};

#define CONTRACT_HINT "do it in a -- +contract part, once no running release uses it"
#define RENAME_TABLE_HINT                                                                          \
	"create the new one beside it and move over in phases, or leave a view under the old name"
#define RENAME_COLUMN_HINT                                                                         \
	"add the new column with a trigger that copies writes, backfill in migrate, drop the old " \
	"in contract"
#define CHANGE_TYPE_HINT                                                                           \
	"add a column of the new type, fill it by trigger and a batched migrate, switch over in "  \
	"contract"

const lint_rule lint_rules[] = {
    [R_DROP_TABLE] =
        {"drop-table", LINT_ERROR, "DROP TABLE in an expand part",
         "DROP TABLE in an expand part (or a plain +upgrade, which counts as one) removes a "
         "table that the release still running may read or write: its queries fail from the "
         "moment the part commits. Dropping is the job of a -- +contract part, which runs once "
         "every instance of the old release is gone. A table the same revision created is "
         "exempt (a scratch table, or SQLite's rebuild of a table under a new name)."},
    [R_DROP_COLUMN] =
        {"drop-column", LINT_ERROR, "DROP COLUMN in an expand part",
         "ALTER TABLE ... DROP COLUMN in an expand part removes a column that the running "
         "release selects or inserts: its statements that name the column fail, and an "
         "INSERT without a column list changes meaning. Stop using the column in the new "
         "release and drop it in a -- +contract part."},
    [R_DROP_CONSTRAINT] =
        {"drop-constraint", LINT_ERROR, "DROP CONSTRAINT in an expand part",
         "Dropping a constraint (foreign key, check, unique or primary key) in an expand part "
         "removes a guarantee the running release may rely on: rows it assumes valid may "
         "appear, and an INSERT ... ON CONFLICT naming a dropped unique constraint fails. Drop "
         "it in a -- +contract part."},
    [R_DROP_INDEX] =
        {"drop-index", LINT_ERROR, "DROP INDEX in an expand part",
         "Dropping an index in an expand part can turn the running release's queries into "
         "sequential scans, and a unique index may be what its ON CONFLICT clauses need. Drop "
         "it in a -- +contract part (on PostgreSQL with DROP INDEX CONCURRENTLY, see "
         "drop-index-not-concurrent). An index the same revision created is exempt."},
    [R_DROP_OBJECT] =
        {"drop-object", LINT_ERROR, "DROP VIEW/SEQUENCE/TYPE/FUNCTION/SCHEMA in an expand part",
         "Dropping a view, materialized view, sequence, type, domain, function, procedure, "
         "schema or database in an expand part removes something the running release may "
         "use (a view it selects from, a sequence its inserts call, a function its queries "
         "call). Drop it in a -- +contract part. Triggers are not included: the application "
         "does not call them."},
    [R_RENAME_TABLE] =
        {"rename-table", LINT_ERROR, "a table or view renamed in an expand part",
         "Renaming a table (or a view) in an expand part breaks every statement of the "
         "running release that names it. The zero-downtime form: create the new table in "
         "expand with a trigger that keeps it in step with the old one, copy the rows in a "
         "batched -- +migrate part, switch the release over, and drop the old table in "
         "contract (or, for a pure rename, rename it and leave a view under the old name)."},
    [R_RENAME_COLUMN] =
        {"rename-column", LINT_ERROR, "a column renamed in an expand part",
         "Renaming a column in an expand part breaks every statement of the running release "
         "that names it. Add the new column in expand with a trigger that copies the old "
         "column's writes into it, backfill it in a -- +migrate part with :batch_size, move "
         "the release over, and drop the old column in contract. On MySQL, CHANGE COLUMN a b "
         "renames too."},
    [R_CHANGE_TYPE] =
        {"change-column-type", LINT_ERROR, "a column type changed in an expand part",
         "Changing a column's type in an expand part changes what the running release reads "
         "and writes: values it sends may no longer cast, values it reads may no longer parse, "
         "and on PostgreSQL most changes also rewrite the table (see type-change-rewrite). Add "
         "a column of the new type instead, keep it filled by a trigger and a batched migrate "
         "part, and drop the old one in contract. (MySQL's MODIFY and CHANGE count.)"},
    [R_SET_NOT_NULL] =
        {"set-not-null", LINT_ERROR, "ALTER COLUMN SET NOT NULL",
         "SET NOT NULL in an expand part makes the running release's inserts and updates "
         "that leave the column NULL fail: it is an error there. Outside expand, on "
         "PostgreSQL, it is a warning: the whole table is scanned under an ACCESS EXCLUSIVE "
         "lock that stops reads and writes. The lock-friendly form: ADD CONSTRAINT c CHECK "
         "(col IS NOT NULL) NOT VALID, then VALIDATE CONSTRAINT c (a weaker lock), then SET "
         "NOT NULL, which PostgreSQL 12+ proves from the valid check without scanning, then "
         "drop the check."},
    [R_ADD_NOT_NULL] =
        {"add-not-null-without-default", LINT_ERROR, "ADD COLUMN ... NOT NULL without a DEFAULT",
         "A column added NOT NULL without a DEFAULT (and not filled by a sequence, identity "
         "or generation expression) in an expand part makes every INSERT of the running "
         "release fail, since it does not know the column; on a table that has rows the "
         "statement itself fails. Add the column nullable or with a default, fill it in a "
         "migrate part, and make it NOT NULL in contract."},
    [R_RENAME_ENUM_VALUE] =
        {"rename-enum-value", LINT_ERROR, "ALTER TYPE ... RENAME VALUE in an expand part",
         "ALTER TYPE ... RENAME VALUE in an expand part changes a label the running release "
         "writes and compares against: its writes of the old label fail and its reads see one "
         "it does not know. Add the new label (ADD VALUE) in expand, move the rows in a "
         "migrate part, and remove the old label in contract (see enum-value-removed)."},
    [R_ENUM_VALUE_REMOVED] =
        {"enum-value-removed", LINT_ERROR,
         "an enum type rebuilt (values removed) in an expand part",
         "PostgreSQL has no ALTER TYPE ... DROP VALUE: values are removed or reordered by "
         "renaming the type away (or dropping it) and creating it again, which this rule "
         "recognises. In an expand part that removes values the running release may still "
         "write (its inserts fail), and the cast of existing rows fails if one holds a removed "
         "value. Rebuild the type in contract, after a migrate part has moved every row off "
         "the values that go."},
    [R_TRUNCATE] =
        {"truncate", LINT_ERROR, "TRUNCATE in an expand part",
         "TRUNCATE in an expand part deletes every row of a table the running release works "
         "with (with CASCADE, every row of the tables that reference it too), and takes an "
         "ACCESS EXCLUSIVE lock. Remove data in a contract part, if at all, and name each "
         "table rather than CASCADE."},
    [R_INDEX_NOT_CONCURRENT] =
        {"index-not-concurrent", LINT_WARNING, "CREATE INDEX / REINDEX without CONCURRENTLY",
         "On PostgreSQL, CREATE INDEX without CONCURRENTLY holds a SHARE lock on the table for "
         "the whole build: every INSERT, UPDATE and DELETE waits, for minutes on a big table "
         "(REINDEX without CONCURRENTLY blocks writes too, and reads that use the index). Use "
         "CREATE INDEX CONCURRENTLY in a revision with '-- transactional: false' (it cannot "
         "run in a transaction; a failed build leaves an INVALID index to drop before a "
         "retry). Indexes on tables the same revision created are exempt."},
    [R_DROP_INDEX_NOT_CONCURRENT] =
        {"drop-index-not-concurrent", LINT_WARNING, "DROP INDEX without CONCURRENTLY",
         "On PostgreSQL, DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the "
         "index's table; the request queues behind every running query on the table, and "
         "every later query queues behind it. Use DROP INDEX CONCURRENTLY in a revision with "
         "'-- transactional: false'. An index the same revision created is exempt."},
    [R_DETACH_NOT_CONCURRENT] =
        {"detach-partition-not-concurrent", LINT_WARNING, "DETACH PARTITION without CONCURRENTLY",
         "On PostgreSQL, ALTER TABLE ... DETACH PARTITION without CONCURRENTLY takes an ACCESS "
         "EXCLUSIVE lock on the partitioned table, stopping reads and writes of every "
         "partition. PostgreSQL 14+ can DETACH PARTITION ... CONCURRENTLY (in a revision with "
         "'-- transactional: false')."},
    [R_FK_NOT_VALID] =
        {"fk-not-valid", LINT_WARNING, "a foreign key added to an existing table without NOT VALID",
         "On PostgreSQL, ADD FOREIGN KEY on an existing table checks every row while holding "
         "SHARE ROW EXCLUSIVE locks on both tables, which stop their writes for the whole "
         "scan. Add it with NOT VALID (new and updated rows are checked at once), then ALTER "
         "TABLE ... VALIDATE CONSTRAINT in a later statement, which takes only a SHARE UPDATE "
         "EXCLUSIVE lock. A REFERENCES clause in ADD COLUMN cannot say NOT VALID: add the "
         "column, then the constraint."},
    [R_CHECK_NOT_VALID] =
        {"check-not-valid", LINT_WARNING, "a check added to an existing table without NOT VALID",
         "On PostgreSQL, ADD CHECK on an existing table (or ALTER DOMAIN ... ADD CONSTRAINT) "
         "scans every row under an ACCESS EXCLUSIVE lock, stopping reads and writes. Add it "
         "with NOT VALID, then VALIDATE CONSTRAINT in a later statement, which takes a SHARE "
         "UPDATE EXCLUSIVE lock only."},
    [R_VOLATILE_DEFAULT] =
        {"volatile-default", LINT_WARNING, "ADD COLUMN with a volatile default (a table rewrite)",
         "Since PostgreSQL 11, ADD COLUMN with a constant default, or a stable one such as "
         "now() or CURRENT_TIMESTAMP, only records the default: no rewrite. A volatile "
         "default (random(), gen_random_uuid(), clock_timestamp(), nextval(), a serial or "
         "identity column, a stored generated column, or any function PostgreSQL may treat as "
         "volatile, as user functions are unless declared STABLE or IMMUTABLE) makes it "
         "rewrite the whole table under an ACCESS EXCLUSIVE lock to fill the existing rows. "
         "Add the column without it, SET DEFAULT in a second statement (it affects new rows "
         "only), and backfill the old rows in a -- +migrate part with :batch_size."},
    [R_TYPE_REWRITE] =
        {"type-change-rewrite", LINT_WARNING, "ALTER COLUMN TYPE that rewrites the table",
         "On PostgreSQL, ALTER COLUMN ... TYPE rewrites the table and rebuilds its indexes "
         "under an ACCESS EXCLUSIVE lock unless the change only widens the column (varchar "
         "to a longer varchar or to text, numeric to a larger precision, and the like; text "
         "to varchar(n) does rewrite). retort cannot see the column's current type, so it "
         "warns about every type change, saying which ones might be a widening; allow a "
         "widening with '-- lint: allow type-change-rewrite'. Otherwise add a new column, "
         "backfill it in batches, and switch over."},
    [R_UNIQUE_EXISTING] =
        {"unique-on-existing", LINT_WARNING,
         "a unique or primary key constraint added to existing rows",
         "On PostgreSQL, ADD CONSTRAINT ... UNIQUE, PRIMARY KEY or EXCLUDE (or ADD COLUMN ... "
         "UNIQUE or PRIMARY KEY) on an existing table builds its index while holding an "
         "ACCESS EXCLUSIVE lock: reads and writes wait for the whole build. Build the index "
         "first with CREATE UNIQUE INDEX CONCURRENTLY (in a transactional: false revision), "
         "then ALTER TABLE ... ADD CONSTRAINT name UNIQUE USING INDEX idx (or PRIMARY KEY "
         "USING INDEX idx), which is instant."},
    [R_BACKFILL] =
        {"backfill-in-expand", LINT_WARNING,
         "UPDATE or DELETE without :batch_size in an expand part",
         "An UPDATE or DELETE of an existing table in an expand part runs as one statement "
         "in one transaction: every row it touches stays locked until it commits (on SQLite "
         "the whole database is locked for writers), and the running release's writes to "
         "them wait. Data movement belongs in a -- +migrate part, batched: a statement with "
         ":batch_size runs again and again, a batch per transaction, until it changes no "
         "rows, e.g. UPDATE t SET b = a WHERE id IN (SELECT id FROM t WHERE b IS NULL LIMIT "
         ":batch_size). On a large PostgreSQL table a keyset walk is cheaper: take the next "
         ":batch_size ids after a cursor kept in a one-row table (WHERE id > pos ORDER BY id "
         "LIMIT :batch_size) and move the cursor in the same statement; each batch then costs "
         "what one UPDATE costs per row, where IN (... LIMIT) re-reads the index entries of "
         "every row already done and may switch to a whole-table plan as batches grow."},
    [R_CONCURRENTLY_TX] =
        {"concurrently-in-transaction", LINT_ERROR, "CONCURRENTLY inside a transactional revision",
         "CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX ... CONCURRENTLY and "
         "DETACH PARTITION ... CONCURRENTLY cannot run inside a transaction block, and a "
         "transactional revision runs in one (so does a BEGIN ... COMMIT of your own): the "
         "statement fails (upgrade refuses a transactional revision holding it before "
         "connecting). Put it in a revision whose header says '-- "
         "transactional: false', best alone: its statements then run one by one, and a failure "
         "midway leaves the revision dirty until resumed or repaired."},
    [R_TX_CONTROL] =
        {"transaction-control", LINT_ERROR,
         "BEGIN/COMMIT/ROLLBACK where retort owns the transaction",
         "BEGIN, COMMIT, ROLLBACK and the like in a transactional revision end the "
         "transaction retort runs the revision and its version update in, so the two could "
         "part ways (upgrade refuses such a revision). In a revision with '-- transactional: "
         "false' transactions are yours, but a BEGIN with no COMMIT or ROLLBACK after it in "
         "the same part leaves a transaction open that holds its locks."},
    [R_UNPARSED] =
        {"unparsed", LINT_WARNING, "a statement libpg_query cannot parse (not checked)",
         "A statement that libpg_query, PostgreSQL's own parser (version " PG_VERSION
         "), cannot parse is checked by no rule: it may use syntax of a newer PostgreSQL, or "
         "hold a mistake the server will reject. Look at it yourself, or override the "
         "warning."},
    [R_UNUSED_OVERRIDE] =
        {"unused-override", LINT_WARNING, "a '-- lint: allow RULE' that overrides nothing",
         "A '-- lint: allow RULE' comment on a statement for which RULE reports nothing, or "
         "naming no known rule: a typo, or a leftover from an edit, that would silently cover "
         "a problem added to the statement later. Remove it or fix the name."},
};
const size_t lint_nrules = sizeof(lint_rules) / sizeof(lint_rules[0]);

const lint_rule *lint_rule_find(const char *name)
{
	for (size_t i = 0; i < lint_nrules; i++)
		if (strcmp(lint_rules[i].name, name) == 0)
			return &lint_rules[i];
	return NULL;
}

void lint_findings_free(lint_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].file);
		free(f->v[i].message);
		free(f->v[i].hint);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

void lint_state_free(lint_state *st)
{
	sv_free(&st->tables);
	sv_free(&st->indexes);
	sv_free(&st->objects);
	sv_free(&st->gone_types);
	sv_free(&st->index_on);
}

void lint_state_downgrade(lint_state *st)
{
	strvec keep = st->index_on;
	memset(&st->index_on, 0, sizeof(st->index_on));
	lint_state_free(st);
	st->index_on = keep;
}

/* ---- overrides ---------------------------------------------------------- */

typedef struct allow {
	char *rule;
	int line;
	int used;
} allow;

typedef struct allowv {
	allow *v;
	size_t n, cap;
} allowv;

static void allowv_free(allowv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i].rule);
	free(a->v);
}

static int rule_char(int c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* "-- lint: allow RULE[, RULE...]" (or the same in a block comment): the
 * names after "allow", comma-separated; text after the last one is free. */
static void parse_allow(const char *s, size_t a, size_t b, int line, allowv *out)
{
	size_t i = a;
	if (b - a >= 2 && s[a] == '-' && s[a + 1] == '-') {
		i += 2;
	} else if (b - a >= 1 && s[a] == '#') {
		i += 1;
	} else if (b - a >= 2 && s[a] == '/' && s[a + 1] == '*') {
		i += 2;
		if (b - a >= 4 && s[b - 2] == '*' && s[b - 1] == '/')
			b -= 2;
	}
	while (i < b && isspace((unsigned char)s[i]))
		i++;
	if (b - i < 5 || strncasecmp(s + i, "lint:", 5) != 0)
		return;
	i += 5;
	while (i < b && isspace((unsigned char)s[i]))
		i++;
	if (b - i < 6 || strncasecmp(s + i, "allow", 5) != 0 || !isspace((unsigned char)s[i + 5]))
		return;
	i += 5;
	for (;;) {
		while (i < b && isspace((unsigned char)s[i]))
			i++;
		size_t j = i;
		while (j < b && rule_char((unsigned char)s[j]))
			j++;
		if (j == i)
			break;
		if (out->n == out->cap) {
			out->cap = out->cap ? 2 * out->cap : 4;
			out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
		}
		char *name = xstrndup(s + i, j - i);
		for (char *p = name; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		out->v[out->n++] = (allow){name, line, 0};
		i = j;
		while (i < b && isspace((unsigned char)s[i]))
			i++;
		if (i < b && s[i] == ',')
			i++;
		else
			break;
	}
}

/* A (pos, line) cursor over the section text, moving forward. */
typedef struct line_cursor {
	const char *s;
	size_t pos;
	int line, first;
} line_cursor;

static int line_at(line_cursor *c, size_t to)
{
	if (to < c->pos) {
		c->pos = 0;
		c->line = c->first;
	}
	for (; c->pos < to; c->pos++)
		if (c->s[c->pos] == '\n')
			c->line++;
	return c->line;
}

/* The comments inside the statement at text[start, start + len). */
static void inside_allows(dialect d, const char *text, size_t start, size_t len, line_cursor *lc,
                          allowv *out)
{
	for (size_t i = start; i < start + len;) {
		int kind;
		size_t j = sqltok_lex(d, text, i, start + len, &kind);
		if (kind == SQLTOK_COMMENT)
			parse_allow(text, i, j, line_at(lc, i), out);
		i = j;
	}
}

/* The overrides of each statement: comments inside it, the comments
 * directly above it (no blank line between them and it), and the comments
 * after it on its last line. Statements are found in the text in order:
 * each starts at the first token after the blanks, comments and ';' that
 * follow the one before, which is where the splitter starts it. */
/* The comment spans above[0..n) (pairs) parsed into out. */
static void parse_spans(const char *text, const size_t *above, size_t n, line_cursor *lc,
                        allowv *out)
{
	for (size_t k = 0; k + 1 < n; k += 2)
		parse_allow(text, above[k], above[k + 1], line_at(lc, above[k]), out);
}

/* Overrides that belong to no statement (a blank line after them, or
 * nothing after them in the section) go to *orphans. */
static void collect_allows(const lint_section *s, allowv *allows, allowv *orphans)
{
	const stmt_list *l = s->stmts;
	if (!s->text) {
		for (size_t i = 0; i < l->n; i++) {
			line_cursor lc = {l->v[i].sql, 0, l->v[i].line, l->v[i].line};
			inside_allows(s->d, l->v[i].sql, 0, strlen(l->v[i].sql), &lc, &allows[i]);
		}
		return;
	}
	const char *text = s->text;
	size_t len = strlen(text), cur = 0;
	line_cursor lc = {text, 0, s->first_line, s->first_line};
	size_t *above = NULL, nabove = 0, cap = 0; /* comment spans, pairs */
	for (size_t i = 0; i < l->n; i++) {
		const char *sql = l->v[i].sql;
		size_t sl = strlen(sql), p = cur;
		nabove = 0;
		while (p < len) {
			int kind;
			size_t j = sqltok_lex(s->d, text, p, len, &kind);
			if (kind == SQLTOK_SPACE) {
				const char *nl = memchr(text + p, '\n', j - p);
				if (nl && memchr(nl + 1, '\n', j - (size_t)(nl + 1 - text))) {
					parse_spans(text, above, nabove, &lc,
					            orphans); /* a blank line */
					nabove = 0;
				}
			} else if (kind == SQLTOK_COMMENT) {
				if (nabove + 2 > cap) {
					cap = cap ? 2 * cap : 8;
					above = xrealloc(above, cap * sizeof(*above));
				}
				above[nabove++] = p;
				above[nabove++] = j;
			} else if (kind != SQLTOK_SEMI) {
				break;
			}
			p = j;
		}
		size_t start = p;
		if (start + sl > len || memcmp(text + start, sql, sl) != 0) {
			const char *q = strstr(text + cur, sql);
			nabove = 0;
			if (!q) { /* not found (should not happen): its own comments only */
				line_cursor own = {sql, 0, l->v[i].line, l->v[i].line};
				inside_allows(s->d, sql, 0, sl, &own, &allows[i]);
				continue;
			}
			start = (size_t)(q - text);
		}
		parse_spans(text, above, nabove, &lc, &allows[i]);
		inside_allows(s->d, text, start, sl, &lc, &allows[i]);
		/* after it, on its last line */
		p = start + sl;
		while (p < len) {
			int kind;
			size_t j = sqltok_lex(s->d, text, p, len, &kind);
			if (kind == SQLTOK_SPACE && memchr(text + p, '\n', j - p))
				break;
			if (kind == SQLTOK_COMMENT)
				parse_allow(text, p, j, line_at(&lc, p), &allows[i]);
			else if (kind != SQLTOK_SPACE && kind != SQLTOK_SEMI)
				break;
			p = j;
		}
		cur = p;
	}
	inside_allows(s->d, text, cur, len - cur, &lc, orphans); /* after the last one */
	free(above);
}

/* ---- findings ------------------------------------------------------------- */

typedef struct lctx {
	lint_state *st;
	const lint_section *s;
	lint_findings *out;
	size_t cur_i;     /* the statement being read */
	int tx_open;      /* a BEGIN of a transactional: false part not yet closed */
	size_t tx_open_i; /* its statement */
	const char *tx_open_what;
	strvec dropped; /* PostgreSQL: the tables a DROP TABLE of this part names */
} lctx;

static void add(lctx *c, int rule, lint_severity sev, const char *hint, const char *fmt, ...)
    RT_PRINTF(5, 6);
static void add(lctx *c, int rule, lint_severity sev, const char *hint, const char *fmt, ...)
{
	enum rule_kind k = rule_kinds[rule];
	if ((k == K_DESTRUCTIVE || k == K_BACKFILL) && c->s->part != LINT_EXPAND)
		return;
	if (k == K_HAZARD && c->s->d != DIALECT_PG)
		return;
	lint_findings *f = c->out;
	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->v = xrealloc(f->v, f->cap * sizeof(*f->v));
	}
	va_list ap;
	va_start(ap, fmt);
	sbuf m = SBUF_INIT;
	sb_vaddf(&m, fmt, ap);
	va_end(ap);
	f->v[f->n++] = (lint_finding){
	    .rule = lint_rules[rule].name,
	    .severity = sev,
	    .file = xstrdup(c->s->file ? c->s->file : ""),
	    .line = c->cur_i < c->s->stmts->n ? c->s->stmts->v[c->cur_i].line : c->s->first_line,
	    .message = sb_detach(&m),
	    .hint = hint ? xstrdup(hint) : NULL};
}

static int has(const strvec *v, const char *name)
{
	return name && sv_index(v, name) >= 0;
}

static void remember(strvec *v, const char *name)
{
	if (name && !has(v, name))
		sv_push(v, name);
}

#define Q(s) ((s) ? (s) : "?")

/* BEGIN and friends (opens: 1 starts a transaction, 0 ends one). */
static void tx_control(lctx *c, const char *what, int opens)
{
	if (c->s->transactional) {
		add(c, R_TX_CONTROL, LINT_ERROR,
		    "remove it, or add '-- transactional: false' to the header to manage "
		    "transactions yourself",
		    "%s in a transactional revision: it ends the transaction retort runs the "
		    "revision "
		    "and its version update in",
		    what);
		return;
	}
	if (opens && !c->tx_open) {
		c->tx_open = 1;
		c->tx_open_i = c->cur_i;
		c->tx_open_what = what;
	} else if (!opens) {
		c->tx_open = 0;
	}
}

/* Whether the statement runs inside a transaction block: the revision's
 * own, or one a BEGIN of this (transactional: false) part opened; and
 * which, for messages. */
static int in_tx(const lctx *c)
{
	return c->s->transactional || c->tx_open;
}

static const char *tx_which(const lctx *c)
{
	return c->s->transactional ? "this revision runs in one" : "the BEGIN before it opened one";
}

static const char *const ADD_NULLABLE_HINT =
    "add it nullable or with a DEFAULT, fill it in a -- +migrate part, make it NOT NULL in "
    "-- +contract";
static const char *const BATCH_HINT =
    "move it to a -- +migrate part and batch it: ... WHERE id IN (SELECT id FROM t WHERE ... "
    "LIMIT :batch_size)";
static const char *const NO_TX_HINT =
    "put it in a revision with '-- transactional: false', best alone";

/* ---- SQLite and MySQL: the tokenizer's reading ------------------------ */

static void tok_create(lctx *c, const sqltoks *t)
{
	size_t j = 1;
	if (sqltok_kw(t, j, "OR") && sqltok_kw(t, j + 1, "REPLACE"))
		j += 2;
	while (sqltok_kw(t, j, "TEMP") || sqltok_kw(t, j, "TEMPORARY") || sqltok_kw(t, j, "UNIQUE") ||
	       sqltok_kw(t, j, "VIRTUAL") || sqltok_kw(t, j, "FULLTEXT") || sqltok_kw(t, j, "SPATIAL"))
		j++;
	strvec *set = sqltok_kw(t, j, "TABLE")                            ? &c->st->tables
	              : sqltok_kw(t, j, "INDEX")                          ? &c->st->indexes
	              : sqltok_kw(t, j, "VIEW") || sqltok_kw(t, j, "TRIGGER") ? &c->st->objects
	                                                              : NULL;
	if (!set)
		return;
	char *name;
	sqltok_qname(t, sqltok_skip_if_exists(t, j + 1), &name);
	remember(set, name);
	free(name);
}

static void tok_drop(lctx *c, const sqltoks *t)
{
	size_t j = 1;
	if (sqltok_kw(t, j, "TEMPORARY"))
		j++;
	int rule;
	const strvec *set;
	const char *what;
	if (sqltok_kw(t, j, "TABLE")) {
		rule = R_DROP_TABLE, set = &c->st->tables, what = "TABLE";
	} else if (sqltok_kw(t, j, "INDEX")) {
		rule = R_DROP_INDEX, set = &c->st->indexes, what = "INDEX";
	} else if (sqltok_kw(t, j, "VIEW")) {
		rule = R_DROP_OBJECT, set = &c->st->objects, what = "VIEW";
	} else if (sqltok_kw(t, j, "DATABASE") || sqltok_kw(t, j, "SCHEMA")) {
		rule = R_DROP_OBJECT, set = &c->st->objects,
		what = sqltok_kw(t, j, "SCHEMA") ? "SCHEMA" : "DATABASE";
	} else {
		return; /* triggers, and what is not a drop of an object */
	}
	j = sqltok_skip_if_exists(t, j + 1);
	for (;;) {
		char *name;
		j = sqltok_qname(t, j, &name);
		if (!name)
			break;
		if (!has(set, name))
			add(c, rule, LINT_ERROR, CONTRACT_HINT, "DROP %s %s: the running release%s",
			    what, name,
			    rule == R_DROP_INDEX ? "'s queries may need it" : " may still use it");
		free(name);
		if (!sqltok_punct(t, j, ','))
			break;
		j++;
	}
}

/* ADD [COLUMN] name type constraints: NOT NULL without DEFAULT (or a value
 * that fills itself) at the top level of [a, b). */
static void tok_add_column(lctx *c, const sqltoks *t, size_t a, size_t b, const char *table)
{
	size_t k = a + 1;
	if (sqltok_kw(t, k, "CONSTRAINT") || sqltok_kw(t, k, "PRIMARY") || sqltok_kw(t, k, "UNIQUE") ||
	    sqltok_kw(t, k, "INDEX") || sqltok_kw(t, k, "KEY") || sqltok_kw(t, k, "FOREIGN") ||
	    sqltok_kw(t, k, "CHECK") || sqltok_kw(t, k, "FULLTEXT") || sqltok_kw(t, k, "SPATIAL") ||
	    sqltok_punct(t, k, '('))
		return;
	if (sqltok_kw(t, k, "COLUMN"))
		k++;
	k = sqltok_skip_if_exists(t, k);
	if (!sqltok_is_name(t, k))
		return;
	char *col = sqltok_name(t, k);
	int depth = t->v[k].depth, notnull = 0, dflt = 0, fills = 0;
	for (size_t i = k + 1; i < b; i++) {
		if (t->v[i].depth != depth)
			continue;
		if (sqltok_kw(t, i, "NOT") && sqltok_kw(t, i + 1, "NULL"))
			notnull = 1;
		else if (sqltok_kw(t, i, "DEFAULT"))
			dflt = 1;
		else if (sqltok_kw(t, i, "AUTO_INCREMENT") || sqltok_kw(t, i, "AUTOINCREMENT") ||
		         sqltok_kw(t, i, "GENERATED") || (sqltok_kw(t, i, "AS") && sqltok_punct(t, i + 1, '(')))
			fills = 1;
	}
	if (notnull && !dflt && !fills)
		add(c, R_ADD_NOT_NULL, LINT_ERROR, ADD_NULLABLE_HINT,
		    "ADD COLUMN %s NOT NULL without a DEFAULT on %s: the running release's INSERTs "
		    "do not set it and fail",
		    col, table);
	free(col);
}

/* One action of ALTER TABLE table, tokens [a, b). */
static void tok_alter_action(lctx *c, const sqltoks *t, size_t a, size_t b, const char *table)
{
	size_t k = a;
	char *n1 = NULL, *n2 = NULL;
	if (sqltok_kw(t, k, "ADD")) {
		tok_add_column(c, t, a, b, table);
	} else if (sqltok_kw(t, k, "DROP")) {
		k++;
		if (sqltok_kw(t, k, "INDEX") || sqltok_kw(t, k, "KEY")) {
			sqltok_qname(t, sqltok_skip_if_exists(t, k + 1), &n1);
			add(c, R_DROP_INDEX, LINT_ERROR, CONTRACT_HINT,
			    "ALTER TABLE %s DROP INDEX %s: the running release's queries may need "
			    "it",
			    table, Q(n1));
		} else if (sqltok_kw(t, k, "PRIMARY") || sqltok_kw(t, k, "FOREIGN") ||
		           sqltok_kw(t, k, "CHECK") || sqltok_kw(t, k, "CONSTRAINT")) {
			size_t j = k + 1 + (sqltok_kw(t, k + 1, "KEY") ? 1 : 0);
			sqltok_qname(t, sqltok_skip_if_exists(t, j), &n1);
			add(c, R_DROP_CONSTRAINT, LINT_ERROR, CONTRACT_HINT,
			    "ALTER TABLE %s DROP %s%s%s: the running release may rely on it", table,
			    sqltok_kw(t, k, "PRIMARY") ? "PRIMARY KEY" : "CONSTRAINT", n1 ? " " : "",
			    n1 ? n1 : "");
		} else if (!sqltok_kw(t, k, "DEFAULT") && !sqltok_kw(t, k, "PARTITION")) {
			if (sqltok_kw(t, k, "COLUMN"))
				k++;
			sqltok_qname(t, sqltok_skip_if_exists(t, k), &n1);
			add(c, R_DROP_COLUMN, LINT_ERROR, CONTRACT_HINT,
			    "ALTER TABLE %s DROP COLUMN %s: the running release may still read or "
			    "write "
			    "it",
			    table, Q(n1));
		}
	} else if (sqltok_kw(t, k, "RENAME")) {
		k++;
		if (sqltok_kw(t, k, "TO") || sqltok_kw(t, k, "AS")) {
			sqltok_qname(t, k + 1, &n1);
			add(c, R_RENAME_TABLE, LINT_ERROR, RENAME_TABLE_HINT,
			    "ALTER TABLE %s RENAME TO %s: the running release's statements name %s",
			    table, Q(n1), table);
		} else if (sqltok_kw(t, k, "INDEX") || sqltok_kw(t, k, "KEY")) {
			/* an index's name is not the application's business */
		} else {
			if (sqltok_kw(t, k, "COLUMN"))
				k++;
			size_t j = sqltok_qname(t, k, &n1);
			if (sqltok_kw(t, j, "TO")) {
				sqltok_qname(t, j + 1, &n2);
				add(c, R_RENAME_COLUMN, LINT_ERROR, RENAME_COLUMN_HINT,
				    "ALTER TABLE %s RENAME COLUMN %s TO %s: the running release's "
				    "statements name %s",
				    table, Q(n1), Q(n2), Q(n1));
			} else if (n1 && j == b) { /* MySQL: RENAME new_name */
				add(c, R_RENAME_TABLE, LINT_ERROR, RENAME_TABLE_HINT,
				    "ALTER TABLE %s RENAME %s: the running release's statements "
				    "name %s",
				    table, n1, table);
			}
		}
	} else if (sqltok_kw(t, k, "MODIFY")) {
		k++;
		if (sqltok_kw(t, k, "COLUMN"))
			k++;
		sqltok_qname(t, k, &n1);
		add(c, R_CHANGE_TYPE, LINT_ERROR, CHANGE_TYPE_HINT,
		    "ALTER TABLE %s MODIFY %s redefines the column the running release reads and "
		    "writes",
		    table, Q(n1));
	} else if (sqltok_kw(t, k, "CHANGE")) {
		k++;
		if (sqltok_kw(t, k, "COLUMN"))
			k++;
		size_t j = sqltok_qname(t, k, &n1);
		sqltok_qname(t, j, &n2);
		if (n1 && n2 && strcmp(n1, n2) != 0)
			add(c, R_RENAME_COLUMN, LINT_ERROR, RENAME_COLUMN_HINT,
			    "ALTER TABLE %s CHANGE %s %s renames the column: the running release's "
			    "statements name %s",
			    table, n1, n2, n1);
		else
			add(c, R_CHANGE_TYPE, LINT_ERROR, CHANGE_TYPE_HINT,
			    "ALTER TABLE %s CHANGE %s redefines the column the running release "
			    "reads "
			    "and writes",
			    table, Q(n1));
	}
	free(n1);
	free(n2);
}

static void tok_alter(lctx *c, const sqltoks *t)
{
	size_t j = 1;
	while (sqltok_kw(t, j, "ONLINE") || sqltok_kw(t, j, "IGNORE"))
		j++;
	if (!sqltok_kw(t, j, "TABLE"))
		return;
	char *table;
	j = sqltok_qname(t, sqltok_skip_if_exists(t, j + 1), &table);
	if (!table)
		return;
	if (has(&c->st->tables, table)) {
		/* a table of this revision's own: renamed, the new name is too */
		char *to = NULL;
		if (sqltok_kw(t, j, "RENAME") && (sqltok_kw(t, j + 1, "TO") || sqltok_kw(t, j + 1, "AS")))
			sqltok_qname(t, j + 2, &to);
		remember(&c->st->tables, to);
		free(to);
	} else {
		/* the actions, at the top level separated by commas (MySQL) */
		size_t a = j;
		for (size_t i = j; i <= t->n; i++)
			if (i == t->n || (sqltok_punct(t, i, ',') && t->v[i].depth == 0)) {
				if (i > a)
					tok_alter_action(c, t, a, i, table);
				a = i + 1;
			}
	}
	free(table);
}

/* UPDATE or DELETE at verb: without :batch_size, a backfill. */
static void tok_backfill(lctx *c, const sqltoks *t, size_t verb)
{
	size_t j = verb + 1;
	int update = sqltok_kw(t, verb, "UPDATE");
	if (sqltok_kw(t, j, "OR") && sqltok_is_name(t, j + 1))
		j += 2;
	while (sqltok_kw(t, j, "LOW_PRIORITY") || sqltok_kw(t, j, "QUICK") || sqltok_kw(t, j, "IGNORE"))
		j++;
	if (!update && sqltok_kw(t, j, "FROM"))
		j++;
	char *table;
	sqltok_qname(t, j, &table);
	int batched = 0;
	for (size_t i = 0; i + 1 < t->n && !batched; i++)
		batched = sqltok_punct(t, i, ':') && t->v[i + 1].a == t->v[i].b &&
		          t->v[i + 1].b - t->v[i + 1].a == 10 &&
		          strncmp(t->s + t->v[i + 1].a, "batch_size", 10) == 0;
	if (table && !batched && !has(&c->st->tables, table))
		add(c, R_BACKFILL, LINT_WARNING, BATCH_HINT,
		    "%s of %s in an expand part: one transaction over every row it touches",
		    update ? "UPDATE" : "DELETE", table);
	free(table);
}

static void lint_tokens(lctx *c)
{
	sqltoks t;
	sqltok_split(c->s->d, c->s->stmts->v[c->cur_i].sql, &t);
	if (!t.n)
		goto done;
	if (sqltok_kw(&t, 0, "BEGIN") || (sqltok_kw(&t, 0, "START") && sqltok_kw(&t, 1, "TRANSACTION"))) {
		tx_control(c, sqltok_kw(&t, 0, "BEGIN") ? "BEGIN" : "START TRANSACTION", 1);
	} else if (sqltok_kw(&t, 0, "COMMIT") || sqltok_kw(&t, 0, "END") ||
	           (sqltok_kw(&t, 0, "ROLLBACK") && !sqltok_kw(&t, 1, "TO") &&
	            !(sqltok_kw(&t, 1, "TRANSACTION") && sqltok_kw(&t, 2, "TO")) &&
	            !(sqltok_kw(&t, 1, "WORK") && sqltok_kw(&t, 2, "TO")))) {
		tx_control(c,
		           sqltok_kw(&t, 0, "ROLLBACK") ? "ROLLBACK"
		           : sqltok_kw(&t, 0, "END")    ? "END"
		                                    : "COMMIT",
		           0);
	} else if (sqltok_kw(&t, 0, "CREATE")) {
		tok_create(c, &t);
	} else if (sqltok_kw(&t, 0, "DROP")) {
		tok_drop(c, &t);
	} else if (sqltok_kw(&t, 0, "ALTER")) {
		tok_alter(c, &t);
	} else if (sqltok_kw(&t, 0, "RENAME") && sqltok_kw(&t, 1, "TABLE")) { /* MySQL */
		for (size_t j = 2;;) {
			char *from, *to = NULL;
			j = sqltok_qname(&t, j, &from);
			if (from && sqltok_kw(&t, j, "TO"))
				j = sqltok_qname(&t, j + 1, &to);
			if (from && to && !has(&c->st->tables, from))
				add(c, R_RENAME_TABLE, LINT_ERROR, RENAME_TABLE_HINT,
				    "RENAME TABLE %s TO %s: the running release's statements name "
				    "%s",
				    from, to, from);
			free(from);
			free(to);
			if (!sqltok_punct(&t, j, ','))
				break;
			j++;
		}
	} else if (sqltok_kw(&t, 0, "TRUNCATE")) {
		char *table;
		sqltok_qname(&t, sqltok_kw(&t, 1, "TABLE") ? 2 : 1, &table);
		if (table && !has(&c->st->tables, table))
			add(c, R_TRUNCATE, LINT_ERROR, CONTRACT_HINT,
			    "TRUNCATE %s deletes every row the running release works with", table);
		free(table);
	} else {
		/* the statement's verb: the first word, or after WITH's CTEs the
		 * first top-level UPDATE, DELETE, INSERT or SELECT */
		size_t verb = 0;
		if (sqltok_kw(&t, 0, "WITH"))
			for (verb = 1; verb < t.n; verb++)
				if (t.v[verb].depth == 0 &&
				    (sqltok_kw(&t, verb, "UPDATE") || sqltok_kw(&t, verb, "DELETE") ||
				     sqltok_kw(&t, verb, "INSERT") || sqltok_kw(&t, verb, "SELECT") ||
				     sqltok_kw(&t, verb, "REPLACE")))
					break;
		if (sqltok_kw(&t, verb, "UPDATE") || sqltok_kw(&t, verb, "DELETE"))
			tok_backfill(c, &t, verb);
	}
done:
	sqltoks_free(&t);
}

/* ---- PostgreSQL: libpg_query's parse tree ----------------------------- */

/* The inner object of {"Type": {...}} when its type is `type`. */
static json_t *node(json_t *wrapped, const char *type)
{
	return json_is_object(wrapped) ? json_object_get(wrapped, type) : NULL;
}

/* The type of {"Type": {...}}, and its inner object. */
static const char *node_type(json_t *wrapped, json_t **inner)
{
	*inner = NULL;
	if (!json_is_object(wrapped))
		return NULL;
	void *it = json_object_iter(wrapped);
	if (!it)
		return NULL;
	*inner = json_object_iter_value(it);
	return json_object_iter_key(it);
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int jis(json_t *o, const char *k, const char *value)
{
	const char *s = jstr(o, k);
	return s && strcmp(s, value) == 0;
}

static int jtrue(json_t *o, const char *k)
{
	return json_is_object(o) && json_is_true(json_object_get(o, k));
}

static const char *sval(json_t *n)
{
	json_t *s = node(n, "String");
	if (!s)
		return NULL;
	const char *v = jstr(s, "sval");
	return v ? v : "";
}

/* The last String of a name list ("pg_catalog"."int8" -> "int8"). */
static const char *names_last(json_t *list)
{
	size_t n = json_array_size(list);
	return n ? sval(json_array_get(list, n - 1)) : NULL;
}

/* A name list as written: "s.t" (caller frees). */
static char *names_join(json_t *list)
{
	sbuf b = SBUF_INIT;
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
	{
		const char *s = sval(x);
		if (s)
			sb_addf(&b, "%s%s", b.len ? "." : "", s);
	}
	return sb_detach(&b);
}

/* A DropStmt object's name: the last part (*last) and all of it (returned,
 * caller frees). */
static char *object_name(json_t *obj, const char **last)
{
	json_t *in;
	const char *type = node_type(obj, &in);
	json_t *list = NULL;
	*last = NULL;
	if (!type)
		return xstrdup("?");
	if (!strcmp(type, "List"))
		list = json_object_get(in, "items");
	else if (!strcmp(type, "TypeName"))
		list = json_object_get(in, "names");
	else if (!strcmp(type, "ObjectWithArgs"))
		list = json_object_get(in, "objname");
	else if (!strcmp(type, "String")) {
		*last = sval(obj);
		return xstrdup(*last);
	}
	if (!list)
		return xstrdup("?");
	*last = names_last(list);
	return names_join(list);
}

static const char *relname(json_t *rangevar)
{
	return jstr(rangevar, "relname");
}

/* "s.t" or "t" of a RangeVar, for messages (caller frees). */
static char *rel_text(json_t *rangevar)
{
	const char *s = jstr(rangevar, "schemaname"), *r = relname(rangevar);
	return s ? xasprintf("%s.%s", s, Q(r)) : xstrdup(Q(r));
}

static int created_table(lctx *c, const char *name)
{
	return has(&c->st->tables, name);
}

/* A type's name for messages: "int8", "varchar" (caller does not free). */
static const char *type_last(json_t *typename)
{
	return names_last(json_object_get(typename, "names"));
}

/* What a function call in a default means for PostgreSQL 11+'s fast
 * ADD COLUMN: 2 volatile, 0 known not to be, 1 unknown (user functions
 * are VOLATILE unless declared otherwise). */
static int func_volatility(const char *name)
{
	static const char *const volatile_fns[] = {
	    "random",           "random_normal",      "gen_random_uuid",   "gen_random_bytes",
	    "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4",  "uuidv4",
	    "uuidv7",           "clock_timestamp",    "timeofday",         "nextval",
	    "setval",           "txid_current",       "pg_current_xact_id"};
	static const char *const stable_fns[] = {"now",
	                                         "statement_timestamp",
	                                         "transaction_timestamp",
	                                         "timezone",
	                                         "date_trunc",
	                                         "date_part",
	                                         "extract",
	                                         "lower",
	                                         "upper",
	                                         "btrim",
	                                         "ltrim",
	                                         "rtrim",
	                                         "concat",
	                                         "concat_ws",
	                                         "format",
	                                         "length",
	                                         "char_length",
	                                         "md5",
	                                         "replace",
	                                         "substr",
	                                         "substring",
	                                         "left",
	                                         "right",
	                                         "lpad",
	                                         "rpad",
	                                         "repeat",
	                                         "to_char",
	                                         "to_date",
	                                         "to_timestamp",
	                                         "to_number",
	                                         "to_json",
	                                         "to_jsonb",
	                                         "json_build_object",
	                                         "jsonb_build_object",
	                                         "json_build_array",
	                                         "jsonb_build_array",
	                                         "array_fill",
	                                         "make_date",
	                                         "make_time",
	                                         "make_timestamp",
	                                         "make_timestamptz",
	                                         "make_interval",
	                                         "abs",
	                                         "round",
	                                         "floor",
	                                         "ceil",
	                                         "ceiling",
	                                         "trunc",
	                                         "current_setting",
	                                         "current_schema",
	                                         "current_database",
	                                         "int4range",
	                                         "int8range",
	                                         "numrange",
	                                         "tsrange",
	                                         "tstzrange",
	                                         "daterange",
	                                         "encode",
	                                         "decode",
	                                         "uuid_nil"};
	if (!name)
		return 1;
	for (size_t i = 0; i < sizeof(volatile_fns) / sizeof(*volatile_fns); i++)
		if (!strcmp(name, volatile_fns[i]))
			return 2;
	for (size_t i = 0; i < sizeof(stable_fns) / sizeof(*stable_fns); i++)
		if (!strcmp(name, stable_fns[i]))
			return 0;
	return 1;
}

/* The worst function call in an expression (see func_volatility), *fn
 * naming it. */
static int expr_volatility(json_t *v, const char **fn)
{
	int worst = 0;
	if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
		{
			const char *f = NULL;
			int w = expr_volatility(x, &f);
			if (w > worst) {
				worst = w;
				*fn = f;
			}
			if (worst == 2)
				break;
		}
		return worst;
	}
	if (!json_is_object(v))
		return 0;
	json_t *call = json_object_get(v, "FuncCall");
	if (json_is_object(call)) {
		const char *name = names_last(json_object_get(call, "funcname"));
		int w = func_volatility(name);
		if (w) {
			worst = w;
			*fn = name ? name : "?";
		}
	}
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x)
	{
		if (worst == 2)
			break;
		const char *f = NULL;
		int w = expr_volatility(x, &f);
		if (w > worst) {
			worst = w;
			*fn = f;
		}
	}
	return worst;
}

static void pg_add_column(lctx *c, json_t *coldef, const char *table)
{
	const char *col = Q(jstr(coldef, "colname"));
	const char *type = type_last(json_object_get(coldef, "typeName"));
	int notnull = 0, ident = 0, gen = 0, fk = 0;
	const char *uniq = NULL, *fk_table = NULL;
	json_t *dflt = NULL;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(coldef, "constraints"), i, x)
	{
		json_t *con = node(x, "Constraint");
		const char *ct = jstr(con, "contype");
		if (!ct)
			continue;
		if (!strcmp(ct, "CONSTR_NOTNULL")) {
			notnull = 1;
		} else if (!strcmp(ct, "CONSTR_PRIMARY")) {
			notnull = 1;
			uniq = "PRIMARY KEY";
		} else if (!strcmp(ct, "CONSTR_UNIQUE")) {
			uniq = "UNIQUE";
		} else if (!strcmp(ct, "CONSTR_DEFAULT")) {
			dflt = json_object_get(con, "raw_expr");
			if (!dflt)
				dflt = json_null();
		} else if (!strcmp(ct, "CONSTR_IDENTITY")) {
			ident = 1;
		} else if (!strcmp(ct, "CONSTR_GENERATED")) {
			gen = 1;
		} else if (!strcmp(ct, "CONSTR_FOREIGN")) {
			fk = 1;
			fk_table = relname(json_object_get(con, "pktable"));
		}
	}
	int serial = type && (!strcmp(type, "serial") || !strcmp(type, "bigserial") ||
	                      !strcmp(type, "smallserial") || !strcmp(type, "serial2") ||
	                      !strcmp(type, "serial4") || !strcmp(type, "serial8"));
	if (notnull && !dflt && !ident && !gen && !serial)
		add(c, R_ADD_NOT_NULL, LINT_ERROR, ADD_NULLABLE_HINT,
		    "ADD COLUMN %s NOT NULL without a DEFAULT on %s: the running release's INSERTs "
		    "do "
		    "not set it and fail",
		    col, table);
	static const char *const rewrite = "PostgreSQL rewrites the table under an ACCESS "
	                                   "EXCLUSIVE lock to fill the existing rows";
	static const char *const vol_hint =
	    "add the column without it, SET DEFAULT in a second statement, backfill the old rows "
	    "in a -- +migrate part with :batch_size";
	const char *fn = NULL;
	int vol = dflt ? expr_volatility(dflt, &fn) : 0;
	if (serial || ident)
		add(c, R_VOLATILE_DEFAULT, LINT_WARNING, vol_hint,
		    "ADD COLUMN %s %s on %s numbers every existing row from a sequence: %s", col,
		    serial ? type : "GENERATED AS IDENTITY", table, rewrite);
	else if (gen)
		add(c, R_VOLATILE_DEFAULT, LINT_WARNING, vol_hint,
		    "ADD COLUMN %s GENERATED ALWAYS AS (...) STORED on %s computes every existing "
		    "row: %s",
		    col, table, rewrite);
	else if (vol == 2)
		add(c, R_VOLATILE_DEFAULT, LINT_WARNING, vol_hint,
		    "ADD COLUMN %s on %s with the volatile default %s(): %s", col, table, fn,
		    rewrite);
	else if (vol == 1)
		add(c, R_VOLATILE_DEFAULT, LINT_WARNING, vol_hint,
		    "ADD COLUMN %s on %s with a default calling %s(), volatile unless declared "
		    "STABLE "
		    "or IMMUTABLE: %s",
		    col, table, fn, rewrite);
	if (fk)
		add(c, R_FK_NOT_VALID, LINT_WARNING,
		    "add the column, then ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then "
		    "VALIDATE "
		    "CONSTRAINT",
		    "ADD COLUMN %s REFERENCES %s on %s validates the existing rows under SHARE ROW "
		    "EXCLUSIVE locks on both tables",
		    col, Q(fk_table), table);
	if (uniq)
		add(c, R_UNIQUE_EXISTING, LINT_WARNING,
		    "add the column, CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT ... "
		    "USING "
		    "INDEX",
		    "ADD COLUMN %s %s on %s builds its index under an ACCESS EXCLUSIVE lock", col,
		    uniq, table);
}

static void pg_add_constraint(lctx *c, json_t *con, const char *table)
{
	const char *ct = jstr(con, "contype"), *name = jstr(con, "conname");
	if (!ct)
		return;
	const char *sp = name ? " " : "", *nm = name ? name : "";
	if (!strcmp(ct, "CONSTR_FOREIGN") && !jtrue(con, "skip_validation"))
		add(c, R_FK_NOT_VALID, LINT_WARNING,
		    "add it NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later "
		    "statement",
		    "ADD CONSTRAINT%s%s FOREIGN KEY on %s (references %s) checks every existing "
		    "row "
		    "under SHARE ROW EXCLUSIVE locks on both tables",
		    sp, nm, table, Q(relname(json_object_get(con, "pktable"))));
	else if (!strcmp(ct, "CONSTR_CHECK") && !jtrue(con, "skip_validation"))
		add(c, R_CHECK_NOT_VALID, LINT_WARNING,
		    "add it NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later "
		    "statement",
		    "ADD CONSTRAINT%s%s CHECK on %s scans every existing row under an ACCESS "
		    "EXCLUSIVE "
		    "lock",
		    sp, nm, table);
	else if ((!strcmp(ct, "CONSTR_UNIQUE") || !strcmp(ct, "CONSTR_PRIMARY") ||
	          !strcmp(ct, "CONSTR_EXCLUSION")) &&
	         !jstr(con, "indexname"))
		add(c, R_UNIQUE_EXISTING, LINT_WARNING,
		    "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT name UNIQUE (or "
		    "PRIMARY KEY) USING INDEX idx",
		    "ADD CONSTRAINT%s%s %s on %s builds its index over the existing rows under an "
		    "ACCESS EXCLUSIVE lock",
		    sp, nm,
		    !strcmp(ct, "CONSTR_UNIQUE")    ? "UNIQUE"
		    : !strcmp(ct, "CONSTR_PRIMARY") ? "PRIMARY KEY"
		                                    : "EXCLUDE",
		    table);
}

/* A type change PostgreSQL might do without a rewrite, if it widens (the
 * old type is not in the statement: text to varchar(20) does rewrite). */
static int maybe_binary_compatible(json_t *coldef)
{
	const char *type = type_last(json_object_get(coldef, "typeName"));
	if (json_object_get(coldef, "raw_default")) /* USING */
		return 0;
	return type && (!strcmp(type, "text") || !strcmp(type, "varchar") ||
	                !strcmp(type, "numeric") || !strcmp(type, "varbit"));
}

static void pg_alter_table(lctx *c, json_t *n)
{
	if (!jis(n, "objtype", "OBJECT_TABLE"))
		return;
	json_t *rel = json_object_get(n, "relation");
	char *table = rel_text(rel);
	int created = created_table(c, relname(rel));
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(n, "cmds"), i, x)
	{
		json_t *cmd = node(x, "AlterTableCmd");
		const char *sub = jstr(cmd, "subtype"), *col = Q(jstr(cmd, "name"));
		json_t *def = json_object_get(cmd, "def");
		if (!sub)
			continue;
		if (!strcmp(sub, "AT_DetachPartition")) {
			json_t *pc = node(def, "PartitionCmd");
			int conc = jtrue(pc, "concurrent");
			if (conc && in_tx(c))
				add(c, R_CONCURRENTLY_TX, LINT_ERROR, NO_TX_HINT,
				    "DETACH PARTITION ... CONCURRENTLY cannot run inside a "
				    "transaction block, "
				    "and %s",
				    tx_which(c));
			else if (!conc && !created)
				add(c, R_DETACH_NOT_CONCURRENT, LINT_WARNING,
				    "DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+), in a "
				    "revision with "
				    "transactional: false",
				    "ALTER TABLE %s DETACH PARTITION %s takes an ACCESS EXCLUSIVE "
				    "lock on %s",
				    table, Q(relname(json_object_get(pc, "name"))), table);
			continue;
		}
		if (created)
			continue;
		if (!strcmp(sub, "AT_AddColumn")) {
			pg_add_column(c, node(def, "ColumnDef"), table);
		} else if (!strcmp(sub, "AT_DropColumn")) {
			add(c, R_DROP_COLUMN, LINT_ERROR, CONTRACT_HINT,
			    "ALTER TABLE %s DROP COLUMN %s: the running release may still read or "
			    "write it",
			    table, col);
		} else if (!strcmp(sub, "AT_AlterColumnType")) {
			json_t *cd = node(def, "ColumnDef");
			const char *type = Q(type_last(json_object_get(cd, "typeName")));
			add(c, R_CHANGE_TYPE, LINT_ERROR, CHANGE_TYPE_HINT,
			    "ALTER TABLE %s ALTER COLUMN %s TYPE %s changes what the running "
			    "release reads "
			    "and writes",
			    table, col, type);
			if (maybe_binary_compatible(cd))
				add(c, R_TYPE_REWRITE, LINT_WARNING,
				    "if it only widens, allow it with '-- lint: allow "
				    "type-change-rewrite'; "
				    "else add a new column, backfill it in batches, and switch "
				    "over",
				    "ALTER TABLE %s ALTER COLUMN %s TYPE %s rewrites the table and "
				    "its indexes "
				    "under an ACCESS EXCLUSIVE lock unless it only widens the "
				    "column (a longer "
				    "varchar, varchar to text, more numeric precision)",
				    table, col, type);
			else
				add(c, R_TYPE_REWRITE, LINT_WARNING,
				    "add a new column, backfill it in batches, and switch over",
				    "ALTER TABLE %s ALTER COLUMN %s TYPE %s%s rewrites the table "
				    "and its "
				    "indexes under an ACCESS EXCLUSIVE lock",
				    table, col, type,
				    json_object_get(cd, "raw_default") ? " USING ..." : "");
		} else if (!strcmp(sub, "AT_SetNotNull")) {
			if (c->s->part == LINT_EXPAND)
				add(c, R_SET_NOT_NULL, LINT_ERROR,
				    "make it NOT NULL in a -- +contract part, once every writer "
				    "sets it",
				    "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL: the running "
				    "release's writes "
				    "that leave it NULL fail",
				    table, col);
			else if (c->s->d == DIALECT_PG)
				add(c, R_SET_NOT_NULL, LINT_WARNING,
				    "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID, VALIDATE "
				    "CONSTRAINT c, "
				    "then SET NOT NULL (PostgreSQL 12+ skips the scan)",
				    "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL scans the table "
				    "under an "
				    "ACCESS EXCLUSIVE lock",
				    table, col);
		} else if (!strcmp(sub, "AT_AddConstraint")) {
			pg_add_constraint(c, node(def, "Constraint"), table);
		} else if (!strcmp(sub, "AT_DropConstraint")) {
			add(c, R_DROP_CONSTRAINT, LINT_ERROR, CONTRACT_HINT,
			    "ALTER TABLE %s DROP CONSTRAINT %s: the running release may rely on it",
			    table, col);
		}
	}
	free(table);
}

static void pg_index(lctx *c, json_t *n)
{
	json_t *rel = json_object_get(n, "relation");
	const char *idx = jstr(n, "idxname");
	remember(&c->st->indexes, idx);
	if (idx && relname(rel)) {
		sv_push(&c->st->index_on, idx);
		sv_push(&c->st->index_on, relname(rel));
	}
	int conc = jtrue(n, "concurrent");
	const char *uq = jtrue(n, "unique") ? "UNIQUE " : "";
	if (conc && in_tx(c))
		add(c, R_CONCURRENTLY_TX, LINT_ERROR, NO_TX_HINT,
		    "CREATE %sINDEX CONCURRENTLY cannot run inside a transaction block, and %s", uq,
		    tx_which(c));
	if (!conc && !created_table(c, relname(rel))) {
		char *table = rel_text(rel);
		add(c, R_INDEX_NOT_CONCURRENT, LINT_WARNING,
		    "CREATE INDEX CONCURRENTLY, in a revision with '-- transactional: false'",
		    "CREATE %sINDEX%s%s on the existing table %s without CONCURRENTLY blocks its "
		    "writes for the whole build",
		    uq, idx ? " " : "", idx ? idx : "", table);
		free(table);
	}
}

static void pg_reindex(lctx *c, json_t *n)
{
	int conc = 0;
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(n, "params"), i, x)
	{
		if (jis(node(x, "DefElem"), "defname", "concurrently"))
			conc = 1;
	}
	const char *name = relname(json_object_get(n, "relation"));
	if (!name)
		name = jstr(n, "name");
	if (conc && in_tx(c))
		add(c, R_CONCURRENTLY_TX, LINT_ERROR, NO_TX_HINT,
		    "REINDEX ... CONCURRENTLY cannot run inside a transaction block, and %s",
		    tx_which(c));
	else if (!conc && !created_table(c, name) && !has(&c->st->indexes, name))
		add(c, R_INDEX_NOT_CONCURRENT, LINT_WARNING,
		    "REINDEX ... CONCURRENTLY, in a revision with '-- transactional: false'",
		    "REINDEX %s without CONCURRENTLY blocks the table's writes (and reads that use "
		    "the "
		    "index) while it rebuilds",
		    Q(name));
}

/* Whether the index is on a table this part drops as well (whose lock the
 * DROP TABLE takes anyway): known for indexes the revision created. */
static int table_goes_too(lctx *c, const char *index)
{
	const strvec *on = &c->st->index_on;
	for (size_t i = 0; index && i + 1 < on->n; i += 2)
		if (!strcmp(on->v[i], index) && has(&c->dropped, on->v[i + 1]))
			return 1;
	return 0;
}

static void pg_drop(lctx *c, json_t *n)
{
	const char *rt = jstr(n, "removeType");
	if (!rt)
		return;
	int conc = jtrue(n, "concurrent");
	static const struct {
		const char *type, *what;
	} others[] = {{"OBJECT_VIEW", "VIEW"},
	              {"OBJECT_MATVIEW", "MATERIALIZED VIEW"},
	              {"OBJECT_SEQUENCE", "SEQUENCE"},
	              {"OBJECT_TYPE", "TYPE"},
	              {"OBJECT_DOMAIN", "DOMAIN"},
	              {"OBJECT_FUNCTION", "FUNCTION"},
	              {"OBJECT_PROCEDURE", "PROCEDURE"},
	              {"OBJECT_SCHEMA", "SCHEMA"},
	              {"OBJECT_FOREIGN_TABLE", "FOREIGN TABLE"}};
	const char *other = NULL;
	for (size_t k = 0; k < sizeof(others) / sizeof(*others); k++)
		if (!strcmp(rt, others[k].type))
			other = others[k].what;
	int table = !strcmp(rt, "OBJECT_TABLE"), index = !strcmp(rt, "OBJECT_INDEX");
	if (!table && !index && !other)
		return;
	if (index && conc && in_tx(c))
		add(c, R_CONCURRENTLY_TX, LINT_ERROR, NO_TX_HINT,
		    "DROP INDEX CONCURRENTLY cannot run inside a transaction block, and %s",
		    tx_which(c));
	size_t i;
	json_t *x;
	json_array_foreach(json_object_get(n, "objects"), i, x)
	{
		const char *last;
		char *name = object_name(x, &last);
		if (table && !created_table(c, last)) {
			add(c, R_DROP_TABLE, LINT_ERROR, CONTRACT_HINT,
			    "DROP TABLE %s: the running release may still read or write it", name);
		} else if (index && !has(&c->st->indexes, last)) {
			add(c, R_DROP_INDEX, LINT_ERROR, CONTRACT_HINT,
			    "DROP INDEX %s: the running release's queries may need it", name);
			if (!conc && !table_goes_too(c, last))
				add(c, R_DROP_INDEX_NOT_CONCURRENT, LINT_WARNING,
				    "DROP INDEX CONCURRENTLY, in a revision with '-- "
				    "transactional: false'",
				    "DROP INDEX %s without CONCURRENTLY takes an ACCESS EXCLUSIVE "
				    "lock on its "
				    "table",
				    name);
		} else if (other) {
			if (!has(&c->st->objects, last))
				add(c, R_DROP_OBJECT, LINT_ERROR, CONTRACT_HINT,
				    "DROP %s %s: the running release may still use it", other,
				    name);
			if (!strcmp(rt, "OBJECT_TYPE") || !strcmp(rt, "OBJECT_DOMAIN"))
				remember(&c->st->gone_types, last);
		}
		free(name);
	}
}

static void pg_rename(lctx *c, json_t *n)
{
	const char *rt = jstr(n, "renameType");
	json_t *rel = json_object_get(n, "relation");
	const char *newname = jstr(n, "newname");
	if (!rt)
		return;
	if (!strcmp(rt, "OBJECT_TABLE") || !strcmp(rt, "OBJECT_VIEW") ||
	    !strcmp(rt, "OBJECT_MATVIEW") || !strcmp(rt, "OBJECT_FOREIGN_TABLE")) {
		const char *r = relname(rel);
		int table = !strcmp(rt, "OBJECT_TABLE") || !strcmp(rt, "OBJECT_FOREIGN_TABLE");
		if (table ? created_table(c, r) : has(&c->st->objects, r)) {
			remember(table ? &c->st->tables : &c->st->objects, newname);
			return;
		}
		char *name = rel_text(rel);
		add(c, R_RENAME_TABLE, LINT_ERROR, RENAME_TABLE_HINT,
		    "ALTER %s %s RENAME TO %s: the running release's statements name %s",
		    table ? "TABLE" : "VIEW", name, Q(newname), name);
		free(name);
	} else if (!strcmp(rt, "OBJECT_COLUMN")) {
		if (created_table(c, relname(rel)))
			return;
		char *name = rel_text(rel);
		add(c, R_RENAME_COLUMN, LINT_ERROR, RENAME_COLUMN_HINT,
		    "ALTER TABLE %s RENAME COLUMN %s TO %s: the running release's statements name "
		    "%s",
		    name, Q(jstr(n, "subname")), Q(newname), Q(jstr(n, "subname")));
		free(name);
	} else if (!strcmp(rt, "OBJECT_TYPE") || !strcmp(rt, "OBJECT_DOMAIN")) {
		json_t *obj = json_object_get(n, "object");
		const char *last;
		char *name = object_name(obj, &last);
		remember(&c->st->gone_types, last);
		free(name);
	}
}

static void pg_backfill(lctx *c, json_t *n, const char *verb, int batched)
{
	json_t *rel = json_object_get(n, "relation");
	if (batched || created_table(c, relname(rel)))
		return;
	char *table = rel_text(rel);
	add(c, R_BACKFILL, LINT_WARNING, BATCH_HINT,
	    "%s of %s in an expand part: one transaction over every row it touches", verb, table);
	free(table);
}

static void pg_transaction(lctx *c, json_t *n)
{
	static const struct {
		const char *kind, *what;
		int opens; /* 1 opens, 0 ends, -1 neither (inside a transaction) */
	} kinds[] = {{"TRANS_STMT_BEGIN", "BEGIN", 1},
	             {"TRANS_STMT_START", "START TRANSACTION", 1},
	             {"TRANS_STMT_COMMIT", "COMMIT", 0},
	             {"TRANS_STMT_ROLLBACK", "ROLLBACK", 0},
	             {"TRANS_STMT_PREPARE", "PREPARE TRANSACTION", 0},
	             {"TRANS_STMT_COMMIT_PREPARED", "COMMIT PREPARED", -2},
	             {"TRANS_STMT_ROLLBACK_PREPARED", "ROLLBACK PREPARED", -2}};
	const char *k = jstr(n, "kind");
	for (size_t i = 0; k && i < sizeof(kinds) / sizeof(*kinds); i++) {
		if (strcmp(k, kinds[i].kind) != 0)
			continue;
		if (kinds[i].opens >= 0)
			tx_control(c, kinds[i].what, kinds[i].opens);
		else if (c->s->transactional)
			tx_control(c, kinds[i].what, 0);
	}
}

static void pg_stmt(lctx *c, const char *type, json_t *n, int batched)
{
	lint_state *st = c->st;
	if (!strcmp(type, "CreateStmt")) {
		remember(&st->tables, relname(json_object_get(n, "relation")));
	} else if (!strcmp(type, "CreateTableAsStmt")) {
		json_t *into = json_object_get(n, "into");
		remember(jis(n, "objtype", "OBJECT_MATVIEW") ? &st->objects : &st->tables,
		         relname(json_object_get(into, "rel")));
	} else if (!strcmp(type, "ViewStmt")) {
		remember(&st->objects, relname(json_object_get(n, "view")));
	} else if (!strcmp(type, "CreateSeqStmt")) {
		remember(&st->objects, relname(json_object_get(n, "sequence")));
	} else if (!strcmp(type, "CompositeTypeStmt")) {
		remember(&st->objects, relname(json_object_get(n, "typevar")));
	} else if (!strcmp(type, "CreateDomainStmt")) {
		remember(&st->objects, names_last(json_object_get(n, "domainname")));
	} else if (!strcmp(type, "CreateFunctionStmt")) {
		remember(&st->objects, names_last(json_object_get(n, "funcname")));
	} else if (!strcmp(type, "CreateSchemaStmt")) {
		remember(&st->objects, jstr(n, "schemaname"));
	} else if (!strcmp(type, "CreateEnumStmt")) {
		json_t *tn = json_object_get(n, "typeName");
		const char *name = names_last(tn);
		if (has(&st->gone_types, name)) {
			char *full = names_join(tn);
			add(c, R_ENUM_VALUE_REMOVED, LINT_ERROR,
			    "rebuild the type in a -- +contract part, after a migrate part moved "
			    "the rows "
			    "off the values that go",
			    "CREATE TYPE %s AS ENUM rebuilds a type this revision renamed away or "
			    "dropped: "
			    "values the running release writes may be gone",
			    full);
			free(full);
		}
		remember(&st->objects, name);
	} else if (!strcmp(type, "IndexStmt")) {
		pg_index(c, n);
	} else if (!strcmp(type, "ReindexStmt")) {
		pg_reindex(c, n);
	} else if (!strcmp(type, "DropStmt")) {
		pg_drop(c, n);
	} else if (!strcmp(type, "DropdbStmt")) {
		add(c, R_DROP_OBJECT, LINT_ERROR, CONTRACT_HINT,
		    "DROP DATABASE %s: the running release may still use it", Q(jstr(n, "dbname")));
	} else if (!strcmp(type, "RenameStmt")) {
		pg_rename(c, n);
	} else if (!strcmp(type, "AlterTableStmt")) {
		pg_alter_table(c, n);
	} else if (!strcmp(type, "AlterEnumStmt")) {
		json_t *tn = json_object_get(n, "typeName");
		const char *old = jstr(n, "oldVal");
		if (old && !has(&st->objects, names_last(tn))) {
			char *full = names_join(tn);
			add(c, R_RENAME_ENUM_VALUE, LINT_ERROR,
			    "ADD VALUE the new label in expand, move rows in migrate, remove the "
			    "old in "
			    "contract",
			    "ALTER TYPE %s RENAME VALUE '%s' TO '%s': the running release writes "
			    "and "
			    "compares '%s'",
			    full, old, Q(jstr(n, "newVal")), old);
			free(full);
		}
	} else if (!strcmp(type, "AlterDomainStmt")) {
		json_t *con = node(json_object_get(n, "def"), "Constraint");
		if (jis(n, "subtype", "C") && jis(con, "contype", "CONSTR_CHECK") &&
		    !jtrue(con, "skip_validation")) {
			char *full = names_join(json_object_get(n, "typeName"));
			add(c, R_CHECK_NOT_VALID, LINT_WARNING,
			    "add it NOT VALID, then ALTER DOMAIN ... VALIDATE CONSTRAINT",
			    "ALTER DOMAIN %s ADD CONSTRAINT checks every column of the domain's "
			    "type under "
			    "locks that stop their writes",
			    full);
			free(full);
		}
	} else if (!strcmp(type, "UpdateStmt")) {
		pg_backfill(c, n, "UPDATE", batched);
	} else if (!strcmp(type, "DeleteStmt")) {
		pg_backfill(c, n, "DELETE", batched);
	} else if (!strcmp(type, "TruncateStmt")) {
		size_t i;
		json_t *x;
		int cascade = jis(n, "behavior", "DROP_CASCADE");
		json_array_foreach(json_object_get(n, "relations"), i, x)
		{
			json_t *rv = node(x, "RangeVar");
			if (created_table(c, relname(rv)))
				continue;
			char *table = rel_text(rv);
			add(c, R_TRUNCATE, LINT_ERROR, CONTRACT_HINT,
			    "TRUNCATE %s%s deletes every row the running release works with%s",
			    table, cascade ? " CASCADE" : "",
			    cascade ? ", and the rows of every table that references it" : "");
			free(table);
		}
	} else if (!strcmp(type, "TransactionStmt")) {
		pg_transaction(c, n);
	}
}

/* The statement with each :batch_size placeholder (outside quotes and
 * comments) replaced by a number, as the migrate runner does, so that it
 * parses; *batched says whether there was one. */
static char *batch_subst(const char *sql, int *batched)
{
	sbuf b = SBUF_INIT;
	size_t end = strlen(sql);
	*batched = 0;
	for (size_t i = 0; i < end;) {
		int kind;
		size_t j = sqltok_lex(DIALECT_PG, sql, i, end, &kind);
		if (kind == SQLTOK_PUNCT && sql[i] == ':' && (i == 0 || sql[i - 1] != ':') &&
		    end - j >= 10 && strncmp(sql + j, "batch_size", 10) == 0 &&
		    !sqltok_ident_char((unsigned char)sql[j + 10])) {
			sb_adds(&b, "1000");
			*batched = 1;
			i = j + 10;
			continue;
		}
		sb_add(&b, sql + i, j - i);
		i = j;
	}
	return sb_detach(&b);
}

/* One statement's parse tree (NULL and *error set when it does not
 * parse; caller frees both). */
typedef struct pg_parsed {
	json_t *doc;
	int batched;
	char *error;
} pg_parsed;

static void pg_parse(const char *sql, pg_parsed *out)
{
	char *text = batch_subst(sql, &out->batched);
	PgQueryParseResult r = pg_query_parse(text);
	out->doc = NULL;
	out->error = NULL;
	if (r.error)
		out->error = xstrdup(r.error->message ? r.error->message : "syntax error");
	else
		out->doc = json_loads(r.parse_tree, 0, NULL);
	pg_query_free_parse_result(r);
	free(text);
}

/* The tables the part's DROP TABLE statements name. */
static void pg_dropped_tables(json_t *doc, strvec *out)
{
	size_t i;
	json_t *raw;
	json_array_foreach(json_object_get(doc, "stmts"), i, raw)
	{
		json_t *d = node(json_object_get(raw, "stmt"), "DropStmt");
		if (!jis(d, "removeType", "OBJECT_TABLE"))
			continue;
		size_t k;
		json_t *x;
		json_array_foreach(json_object_get(d, "objects"), k, x)
		{
			const char *last;
			free(object_name(x, &last));
			remember(out, last);
		}
	}
}

static void lint_pg(lctx *c, const pg_parsed *p)
{
	if (!p->doc) {
		add(c, R_UNPARSED, LINT_WARNING, NULL,
		    "not checked: libpg_query (PostgreSQL %s's parser) cannot parse it: %s",
		    PG_VERSION, p->error ? p->error : "no parse tree");
		return;
	}
	size_t i;
	json_t *raw;
	json_array_foreach(json_object_get(p->doc, "stmts"), i, raw)
	{
		json_t *inner;
		const char *type = node_type(json_object_get(raw, "stmt"), &inner);
		if (type)
			pg_stmt(c, type, inner, p->batched);
	}
}

/* ---- a section ---------------------------------------------------------- */

static void apply_allows(lint_findings *out, size_t from, allowv *a)
{
	for (size_t f = from; f < out->n; f++)
		for (size_t k = 0; k < a->n; k++)
			if (!strcmp(a->v[k].rule, out->v[f].rule)) {
				out->v[f].allowed = 1;
				out->v[f].allow_line = a->v[k].line;
				a->v[k].used = 1;
				break;
			}
}

typedef struct ordered {
	lint_finding f;
	size_t seq;
} ordered;

static int by_line(const void *a, const void *b)
{
	const ordered *x = a, *y = b;
	if (x->f.line != y->f.line)
		return x->f.line < y->f.line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void lint_run(lint_state *st, const lint_section *s, lint_findings *out)
{
	const stmt_list *l = s->stmts;
	size_t n0 = out->n;
	allowv *allows = xcalloc(l->n ? l->n : 1, sizeof(*allows)), orphans = {0};
	collect_allows(s, allows, &orphans);
	lctx c = {.st = st, .s = s, .out = out};
	pg_parsed *parsed = NULL;
	if (s->d == DIALECT_PG) {
		parsed = xcalloc(l->n ? l->n : 1, sizeof(*parsed));
		for (size_t i = 0; i < l->n; i++) {
			pg_parse(l->v[i].sql, &parsed[i]);
			pg_dropped_tables(parsed[i].doc, &c.dropped);
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		size_t f0 = out->n;
		c.cur_i = i;
		if (parsed)
			lint_pg(&c, &parsed[i]);
		else
			lint_tokens(&c);
		apply_allows(out, f0, &allows[i]);
	}
	for (size_t i = 0; parsed && i < l->n; i++) {
		json_decref(parsed[i].doc);
		free(parsed[i].error);
	}
	free(parsed);
	sv_free(&c.dropped);
	if (c.tx_open) {
		size_t f0 = out->n;
		c.cur_i = c.tx_open_i;
		add(&c, R_TX_CONTROL, LINT_ERROR,
		    "end it with COMMIT in the same part, or let retort run the revision in a "
		    "transaction (transactional: true)",
		    "%s without a COMMIT or ROLLBACK after it in this part leaves a transaction "
		    "open",
		    c.tx_open_what);
		apply_allows(out, f0, &allows[c.tx_open_i]);
	}
	for (size_t i = 0; i < l->n; i++) {
		for (size_t k = 0; k < allows[i].n; k++) {
			const allow *a = &allows[i].v[k];
			if (a->used)
				continue;
			c.cur_i = i;
			if (lint_rule_find(a->rule))
				add(&c, R_UNUSED_OVERRIDE, LINT_WARNING, "remove it",
				    "'-- lint: allow %s' but %s reports nothing for this statement",
				    a->rule, a->rule);
			else
				add(&c, R_UNUSED_OVERRIDE, LINT_WARNING,
				    "retort lint --explain with an unknown name lists the rules",
				    "'-- lint: allow %s' names no rule", a->rule);
			out->v[out->n - 1].line = a->line;
		}
		allowv_free(&allows[i]);
	}
	for (size_t k = 0; k < orphans.n; k++) {
		c.cur_i = 0;
		add(&c, R_UNUSED_OVERRIDE, LINT_WARNING,
		    "put it inside the statement, on the line above it, or after it on its line",
		    "'-- lint: allow %s' is on no statement (a blank line, or nothing, follows it)",
		    orphans.v[k].rule);
		out->v[out->n - 1].line = orphans.v[k].line;
	}
	allowv_free(&orphans);
	free(allows);
	/* in line order (unused overrides and an open BEGIN come last) */
	size_t n = out->n - n0;
	if (n > 1) {
		ordered *o = xmalloc(n * sizeof(*o));
		for (size_t i = 0; i < n; i++)
			o[i] = (ordered){out->v[n0 + i], i};
		qsort(o, n, sizeof(*o), by_line);
		for (size_t i = 0; i < n; i++)
			out->v[n0 + i] = o[i].f;
		free(o);
	}
}
