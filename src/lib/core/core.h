/*
 * core.h: the revision graph, target and range resolution, and the
 * planner. Pure functions of their inputs: no I/O, no database; unit
 * tested on their own (tests/unit/test_graph.c, test_plan.c).
 */
#ifndef RETORT_CORE_H
#define RETORT_CORE_H

#include "script/script.h"

/* ---- graph.c: the revision DAG ------------------------------------------ */

typedef struct graph {
	revision **revs; /* owned; order = load order */
	size_t n;
	void *index; /* id -> position hash (private) */
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

/* Up to three ids (and, with_labels, branch labels) closest to a mistyped
 * `what` (case-insensitive edit distance, as a whole or as a prefix). */
void graph_nearest(const graph *g, const char *what, int with_labels, strvec *out);
/* Appends "did you mean 'x' or 'y'?" for graph_nearest, or nothing. */
void graph_suggest(const graph *g, const char *what, int with_labels, sbuf *out);

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
 * NULL) is the branch the downgrade is confined to. A relative "-N" with
 * several current heads is refused (Alembic warns and picks the first
 * row): "X@-N" or "label@-N" picks one. */
int target_parse_downgrade(const graph *g, const intvec *current, const char *spec, int no_overwalk,
                           int *out, char **label, retort_error *err);
/* _parse_upgrade_target: the revisions to upgrade to (base gives none).
 * With no_overwalk, a relative walk off the graph is an error; without,
 * the walk stops at the graph's end. */
int target_parse_upgrade(const graph *g, const intvec *current, const char *spec, int no_overwalk,
                         intvec *out, retort_error *err);
/* The same, naming `cmd` ("upgrade", "downgrade") in the advice of their
 * error messages ("use 'retort upgrade feature@+1' or ..."); NULL: none. */
int target_parse_downgrade_cmd(const graph *g, const intvec *current, const char *spec,
                               int no_overwalk, const char *cmd, int *out, char **label,
                               retort_error *err);
int target_parse_upgrade_cmd(const graph *g, const intvec *current, const char *spec,
                             int no_overwalk, const char *cmd, intvec *out, retort_error *err);
/* filter_for_lineage: the members of revs related (ancestor or descendant)
 * to what `against` names. */
int target_filter_lineage(const graph *g, const intvec *revs, const char *against, int with_deps,
                          intvec *out, retort_error *err);
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
	int rev;     /* index in graph; stamp steps: the destination, -1 = base */
	int upgrade; /* 1 upgrade, 0 downgrade */
	/* How the version table changes (Alembic's HeadMaintainer), applied as
	 * compare-and-set statements by the runner, in this order: deletes,
	 * inserts, then the update. */
	strvec del;              /* rows to delete */
	strvec ins;              /* rows to insert */
	char *upd_from, *upd_to; /* row to update, or NULL */
	/* Stamp steps (plan_stamp_steps) only: nothing runs; `from` is the
	 * StampStep's from-revisions, as its log line names them. */
	int stamp;
	strvec from;
	/* Phases (SPEC §8): section = 1 + SEC_* runs that section alone
	 * (0: every upgrade section, or the downgrade); keep_version leaves
	 * the version rows as they are (the revision is not fully applied
	 * yet); extra: bookkeeping statements (the phase row) that run in
	 * the step's transaction. Set by the api layer, never by plan.c. */
	int section;
	int keep_version;
	strvec extra;
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
/* `stamp target` as Alembic 1.8 does it (ScriptDirectory._stamp_revs, each
 * StampStep applied by HeadMaintainer): one step per destination that
 * changes the version table, in order; none when the rows already name
 * the target. Each step has stamp = 1, rev = destination (-1: base),
 * from = the rows it moves from (in version-row order), and exactly one
 * table change: one del (a branch removed), one ins (a new branch), or an
 * update, preceded by dels when several rows merge into one. With purge
 * the current rows are ignored (the caller empties the table first) and
 * every step is an insert. out->final_heads: the rows afterwards, in
 * table order (updates keep a row's place, inserts go last). */
int plan_stamp_steps(const graph *g, const strvec *current, const char *target, int purge,
                     plan *out, retort_error *err);
void plan_free(plan *p);
/* "Running upgrade a, b -> c, message" without the "Running " prefix;
 * stamp steps: "stamp_revision a, b -> c" ("stamp_revision  -> c" for a
 * new branch, "stamp_revision a -> " to base). */
void plan_step_describe(const graph *g, const plan_step *s, sbuf *out);
/* Frees one step's strings (plan_free does it for a plan's). */
void plan_step_clear(plan_step *s);

/* History ranges "A:B", "A:", ":B", "current:", "-3:": revisions in
 * walk order (newest first). */
int history_range(const graph *g, const strvec *current, const char *range, intvec *out,
                  retort_error *err);

/* ---- release.c: the `release:` header (SPEC §9) ------------------------ */

/* <0, 0, >0 as release a is older than, the same as, newer than b, read
 * as versions: digit runs are numbers (0.10.0 > 0.9.1). */
int release_cmp(const char *a, const char *b);
/* The revision that completes `release`: the newest (first in walk
 * order) whose header names it; -1 if none does. */
int release_find(const graph *g, const char *release);
/* Appends every release named in the graph once, oldest first. */
void release_list(const graph *g, strvec *out);
/* Each revision's position in walk order (caller frees). */
int *release_rank(const graph *g);
/* The revision whose release rev belongs to: rev itself when it names
 * one, else its nearest ancestor (down_revision edges, first in walk
 * order = rank) that does; -1 if none. */
int release_nearest(const graph *g, const int *rank, int rev);
/* The newest release (by release_cmp) of the given revisions' releases
 * (release_nearest of each); -1 if none has one. */
int release_of_heads(const graph *g, const int *heads, size_t n);

#endif
