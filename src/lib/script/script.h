/*
 * script.h: revision files: parsing one file held in memory, loading a
 * directory of them. No database, no graph.
 */
#ifndef RETORT_SCRIPT_H
#define RETORT_SCRIPT_H

#include "base/base.h"


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

#endif
