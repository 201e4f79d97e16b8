/*
 * internal.h: the library's internal interfaces. One section per module;
 * each module's .c file implements its section. Data flows forward:
 * script (files) -> graph -> target/plan (pure) -> run (driver).
 * Nothing here prints; errors go into a retort_error.
 */
#ifndef RETORT_INTERNAL_H
#define RETORT_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "retort.h"

#define RT_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- util.c: allocation, growable strings and string vectors ---------- */

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) RT_PRINTF(1, 2);

typedef struct sbuf {
	char *buf;
	size_t len, cap;
} sbuf;
#define SBUF_INIT {NULL, 0, 0}
void sb_add(sbuf *b, const void *data, size_t n);
void sb_adds(sbuf *b, const char *s);
void sb_addc(sbuf *b, char c);
void sb_addf(sbuf *b, const char *fmt, ...) RT_PRINTF(2, 3);
void sb_vaddf(sbuf *b, const char *fmt, va_list ap);
const char *sb_str(const sbuf *b); /* never NULL */
char *sb_detach(sbuf *b);          /* caller frees; never NULL */
void sb_reset(sbuf *b);
void sb_free(sbuf *b);

typedef struct strvec {
	char **v;
	size_t n, cap;
} strvec;
#define STRVEC_INIT {NULL, 0, 0}
void sv_push(strvec *s, const char *str); /* copies */
void sv_push_owned(strvec *s, char *str);
int sv_index(const strvec *s, const char *str); /* -1 when absent */
void sv_remove_at(strvec *s, size_t i);
void sv_clear(strvec *s);
void sv_free(strvec *s);
void sv_copy(strvec *dst, const strvec *src);
/* Splits a comma-separated list, trimming blanks, skipping empty items. */
void sv_split_csv(strvec *s, const char *csv);
/* Joins with sep into b. */
void sv_join(sbuf *b, const strvec *s, const char *sep);
void sv_sort(strvec *s);

typedef struct intvec {
	int *v;
	size_t n, cap;
} intvec;
#define INTVEC_INIT {NULL, 0, 0}
void iv_push(intvec *s, int x);
int iv_index(const intvec *s, int x);
void iv_free(intvec *s);

/* Fills err and returns code. file may be NULL, line may be 0. */
int rt_error(retort_error *err, int code, const char *file, int line, const char *fmt, ...)
	RT_PRINTF(5, 6);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void hex_encode(const unsigned char *bytes, size_t n, char *out);
/* n random bytes as 2n hex digits (/dev/urandom; time and pid without it);
 * caller frees. For revision ids and lock tokens, not for secrets. */
char *random_hex(size_t n);

/* Reads a whole file; returns 0 or -1 with errno set. *len excludes the NUL
 * terminator that is always appended. */
int read_file(const char *path, char **out, size_t *len);

/* ---- script.c: revision files ------------------------------------------ */

enum section_kind {
	SEC_UPGRADE,
	SEC_DOWNGRADE,
	SEC_EXPAND,
	SEC_MIGRATE,
	SEC_CONTRACT,
	SEC_COUNT
};

typedef struct revision {
	char *id;
	strvec down;          /* down_revision(s), in file order; empty = base */
	strvec branch_labels; /* as written */
	strvec depends_on;    /* as written: ids, unique prefixes or labels */
	char *message;        /* never NULL ("" when empty) */
	char *create_date;    /* never NULL */
	char *release;        /* never NULL */
	int transactional;    /* 1 unless "transactional: false" */
	char *path;           /* path of the file as opened */
	char *section[SEC_COUNT]; /* body text of each section, NULL if absent */
	int section_line[SEC_COUNT]; /* 1-based line of the body's first line */
	unsigned char sha256[32]; /* of the file, line endings normalised to LF */

	/* Filled by graph_build (indices into graph.revs). */
	intvec parents;  /* resolved down revisions, file order */
	intvec deps;     /* resolved depends_on */
	intvec children; /* revisions listing this one in down_revision */
	intvec dependents; /* revisions listing this one in depends_on */
	intvec norm_down;  /* Alembic's _normalized_down_revisions */
	int order;         /* load order (sorted file name) */
} revision;

/* Parses one revision file held in memory. On error returns RETORT_EUSAGE
 * with err naming path:line. */
int script_parse(const char *path, const char *text, size_t len, revision **out,
                 retort_error *err);
/* Whether id is a word that targets reserve (head, heads, base, current):
 * a revision with such an id could never be named as a target. */
int script_reserved_id(const char *id);
/* Reads every *.sql file in dir (sorted by file name) and parses it. */
int script_load_dir(const char *dir, revision ***out, size_t *n, retort_error *err);
void revision_free(revision *r);

/* ---- sqlsplit.c: statement splitting ----------------------------------- */

typedef enum dialect { DIALECT_SQLITE, DIALECT_PG, DIALECT_MYSQL } dialect;

typedef struct stmt {
	char *sql; /* without the terminating semicolon, trimmed */
	int line;  /* 1-based line in the file where the statement starts */
} stmt;

typedef struct stmt_list {
	stmt *v;
	size_t n, cap;
} stmt_list;

/* Splits a section body whose first line is first_line of file `file`.
 * Comment-only and empty pieces produce no statement. Unterminated quotes
 * or comments are an error naming file:line. */
int sql_split(dialect d, const char *text, int first_line, const char *file, stmt_list *out,
              retort_error *err);
void stmt_list_free(stmt_list *l);

/* ---- graph.c: the revision DAG ------------------------------------------ */

typedef struct graph {
	revision **revs; /* owned; order = load order */
	size_t n;
	void *index;     /* id -> position hash (private) */
} graph;

/* Takes ownership of revs (also on failure). Validates: duplicate ids,
 * unknown down_revision/depends_on, cycles, duplicate branch labels. */
int graph_build(graph *g, revision **revs, size_t n, retort_error *err);
void graph_free(graph *g);
int graph_find(const graph *g, const char *id); /* exact id, -1 if none */
/* Revisions with no children (depends_on does not count), load order. */
void graph_heads(const graph *g, intvec *out);
/* Revisions with no down_revision, load order. */
void graph_bases(const graph *g, intvec *out);
/* Marks in `mark` (n bytes, caller zeroes) every ancestor of the given
 * revisions, including themselves, following down_revision and depends_on. */
void graph_mark_ancestors(const graph *g, const int *start, size_t nstart, unsigned char *mark);
void graph_mark_descendants(const graph *g, const int *start, size_t nstart, unsigned char *mark);
/* Alembic's walk order (RevisionMap._topological_sort): newest first.
 * `subset` marks which revisions to emit (NULL: all). */
void graph_walk(const graph *g, const unsigned char *subset, intvec *out);
/* Exact branch label (as written in a file), -1 if none. */
int graph_find_label(const graph *g, const char *label);
/* General marking: up = 1 towards descendants, 0 towards ancestors;
 * with_deps = 0 follows down_revision edges only (Alembic's
 * include_dependencies=False, used by lineage and branch checks). */
void graph_mark(const graph *g, const int *start, size_t nstart, int up, int with_deps,
                unsigned char *mark);

/* ---- target.c: target and range resolution ----------------------------- */

/* Resolves one revision identifier (full id, unique prefix >= 4 chars,
 * branch label, label@head...) to a single revision. */
int target_resolve_one(const graph *g, const char *spec, int *out, retort_error *err);
/* Resolves a target for upgrade/downgrade/stamp to a set of revisions
 * (empty = base). `current` holds the database's heads (indices); relative
 * forms (+N, -N, head-N, REV+N, REV-N) count steps along the graph. */
int target_resolve(const graph *g, const intvec *current, const char *spec, int upgrade,
                   intvec *out, retort_error *err);

/* Alembic's RevisionMap primitives, shared by plan.c. Lists of revisions
 * may hold REV_OVER where a relative walk ran off the graph. */
#define REV_OVER (-3)
#define REV_BASE (-2) /* a relative walk that stepped down past a base */
/* RevisionMap.get_revisions(spec): "base" gives an empty list; "-N"
 * walks down from each head and may yield REV_BASE or REV_OVER. */
int target_get_revisions(const graph *g, const char *spec, intvec *out, retort_error *err);
/* _parse_downgrade_target: *out is -1 for base; *label (caller frees, may be
 * NULL) is the branch the downgrade is confined to. */
int target_parse_downgrade(const graph *g, const intvec *current, const char *spec,
                           int no_overwalk, int *out, char **label, retort_error *err);
/* _parse_upgrade_target: the revisions to upgrade to (base gives none).
 * With no_overwalk, a relative walk off the graph is an error; without,
 * the walk stops at the graph's end. */
int target_parse_upgrade(const graph *g, const intvec *current, const char *spec,
                         int no_overwalk, intvec *out, retort_error *err);
/* filter_for_lineage: the members of revs related (ancestor or descendant)
 * to what `against` names. */
int target_filter_lineage(const graph *g, const intvec *revs, const char *against,
                          int with_deps, intvec *out, retort_error *err);
/* _resolve_branch: a label, an id or a unique prefix. */
int target_resolve_branch(const graph *g, const char *label, int *out, retort_error *err);
/* Whether rev carries `label` after Alembic's propagation of labels to a
 * branch's descendants and to its ancestors up to the branch point. */
int target_has_label(const graph *g, int rev, const char *label);
/* Marks (mark: g->n bytes, zeroed by the caller) every revision that
 * carries the labels of revision `labelled` after that propagation. */
void target_label_mark(const graph *g, int labelled, unsigned char *mark);

/* ---- plan.c: steps between the current heads and a target (pure) ------- */

typedef struct plan_step {
	int rev;       /* index in graph */
	int upgrade;   /* 1 upgrade, 0 downgrade */
	/* How the version table changes (Alembic's HeadMaintainer), applied as
	 * compare-and-set statements by the runner. */
	strvec del;    /* rows to delete */
	strvec ins;    /* rows to insert */
	char *upd_from, *upd_to; /* row to update, or NULL */
} plan_step;

typedef struct plan {
	plan_step *v;
	size_t n, cap;
	strvec final_heads; /* the version rows after the last step */
} plan;

/* current: the version rows (ids) now in the database. */
int plan_upgrade(const graph *g, const strvec *current, const char *target, plan *out,
                 retort_error *err);
int plan_downgrade(const graph *g, const strvec *current, const char *target, plan *out,
                   retort_error *err);
/* The version rows after `stamp target` (purge: ignore current rows). */
int plan_stamp(const graph *g, const strvec *current, const char *target, int purge,
               strvec *new_heads, retort_error *err);
void plan_free(plan *p);
/* "Running upgrade a, b -> c, message" without the "Running " prefix. */
void plan_step_describe(const graph *g, const plan_step *s, sbuf *out);

/* History ranges "A:B", "A:", ":B", "current:", "-3:": revisions in
 * walk order (newest first). */
int history_range(const graph *g, const strvec *current, const char *range, intvec *out,
                  retort_error *err);

/* ---- url.c -------------------------------------------------------------- */

typedef struct db_url {
	char *scheme;   /* "sqlite", "postgresql", "mysql" (aliases normalised) */
	char *path;     /* sqlite: file path or ":memory:" */
	char *conninfo; /* postgresql: URL to hand to libpq (postgres:// → postgresql://) */
	char *redacted; /* the URL with the password replaced by *** */
} db_url;

/* Never puts the password into err. */
int url_parse(const char *url, db_url *out, retort_error *err);
void url_free(db_url *u);

/* ---- driver.h is the backend interface; drivers: driver_*.c ------------ */

#endif
