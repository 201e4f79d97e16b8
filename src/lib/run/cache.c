/*
 * cache.c: the statements of each revision section, split once per
 * dialect and kept for the project's lifetime: `retort_validate` splits
 * everything before connecting, and the runner then reuses the result.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "run/run.h"

void stmt_cache_init(stmt_cache *c, const graph *g)
{
	memset(c, 0, sizeof(*c));
	c->g = g;
}

static void clear(stmt_cache *c)
{
	if (!c->lists)
		return;
	for (size_t i = 0; i < c->g->n * SEC_COUNT; i++)
		stmt_list_free(&c->lists[i]);
	memset(c->done, 0, c->g->n * SEC_COUNT);
}

void stmt_cache_free(stmt_cache *c)
{
	clear(c);
	free(c->lists);
	free(c->done);
	memset(c, 0, sizeof(*c));
}

/* The statement's first words, upper-cased, after blanks and comments
 * (w[k] is "" past the last word). */
#define NWORDS 4
static void first_words(const char *sql, char w[NWORDS][32])
{
	const char *p = sql;
	for (int k = 0; k < NWORDS; k++)
		w[k][0] = 0;
	for (int k = 0; k < NWORDS; k++) {
		for (;;) {
			while (isspace((unsigned char)*p))
				p++;
			if (p[0] == '-' && p[1] == '-') {
				p += strcspn(p, "\n");
			} else if (p[0] == '/' && p[1] == '*') {
				const char *e = strstr(p + 2, "*/");
				p = e ? e + 2 : p + strlen(p);
			} else {
				break;
			}
		}
		size_t i = 0;
		while (i + 1 < sizeof(w[k]) && (isalpha((unsigned char)*p) || *p == '_'))
			w[k][i++] = (char)toupper((unsigned char)*p++);
		w[k][i] = 0;
		if (!i)
			break;
	}
}

static int has_word(char w[NWORDS][32], const char *word)
{
	for (int k = 0; k < NWORDS; k++)
		if (!strcmp(w[k], word))
			return 1;
	return 0;
}

/* BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK (not ROLLBACK TO a
 * savepoint, which stays inside the transaction), ABORT, and PostgreSQL's
 * two-phase commands. */
static const char *tx_control(char w[NWORDS][32])
{
	static const char *const single[] = {"BEGIN", "COMMIT", "END", "ROLLBACK", "ABORT"};
	if (!strcmp(w[0], "ROLLBACK") && !strcmp(w[1], "TO"))
		return NULL;
	if (!strcmp(w[0], "ROLLBACK") && !strcmp(w[1], "PREPARED"))
		return "ROLLBACK PREPARED";
	if (!strcmp(w[0], "COMMIT") && !strcmp(w[1], "PREPARED"))
		return "COMMIT PREPARED";
	for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++)
		if (!strcmp(w[0], single[i]))
			return single[i];
	if (!strcmp(w[0], "START") && !strcmp(w[1], "TRANSACTION"))
		return "START TRANSACTION";
	if (!strcmp(w[0], "PREPARE") && !strcmp(w[1], "TRANSACTION"))
		return "PREPARE TRANSACTION";
	return NULL;
}

/* PostgreSQL statements that cannot run inside a transaction block (on
 * SQLite: VACUUM, checked at the call). */
static const char *pg_outside_tx(char w[NWORDS][32])
{
	if ((!strcmp(w[0], "CREATE") || !strcmp(w[0], "DROP") || !strcmp(w[0], "REINDEX")) &&
	    has_word(w, "CONCURRENTLY"))
		return !strcmp(w[0], "CREATE") ? "CREATE INDEX CONCURRENTLY"
		       : !strcmp(w[0], "DROP") ? "DROP INDEX CONCURRENTLY"
		                               : "REINDEX ... CONCURRENTLY";
	if (!strcmp(w[0], "VACUUM"))
		return "VACUUM";
	if ((!strcmp(w[0], "CREATE") || !strcmp(w[0], "DROP")) &&
	    (!strcmp(w[1], "DATABASE") || !strcmp(w[1], "TABLESPACE")))
		return !strcmp(w[1], "DATABASE") ? "CREATE/DROP DATABASE" : "CREATE/DROP TABLESPACE";
	if (!strcmp(w[0], "ALTER") && !strcmp(w[1], "SYSTEM"))
		return "ALTER SYSTEM";
	return NULL;
}

int stmt_cache_get(stmt_cache *c, int rev, int sec, dialect d, const stmt_list **out,
                   retort_error *err)
{
	size_t n = c->g->n * SEC_COUNT;
	if (c->lists && c->d != d)
		clear(c);
	if (!c->lists) {
		c->lists = xcalloc(n ? n : 1, sizeof(*c->lists));
		c->done = xcalloc(n ? n : 1, 1);
	}
	c->d = d;
	size_t k = (size_t)rev * SEC_COUNT + (size_t)sec;
	const revision *r = c->g->revs[rev];
	if (!c->done[k] && r->section[sec]) {
		int rc = sql_split(d, r->section[sec], r->section_line[sec], r->path, &c->lists[k],
		                   err);
		for (size_t i = 0; !rc && r->transactional && i < c->lists[k].n; i++) {
			char w[NWORDS][32];
			first_words(c->lists[k].v[i].sql, w);
			const char *what = tx_control(w);
			const char *outside = what              ? NULL
			                      : d == DIALECT_PG ? pg_outside_tx(w)
			                      : !strcmp(w[0], "VACUUM") ? "VACUUM"
			                                              : NULL;
			if (what)
				rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_REVISION_FILE, r->path,
				             c->lists[k].v[i].line,
				             "%s in a transactional revision: retort runs each revision in "
				             "a transaction of its own, together with its version update. "
				             "Remove it, or add '-- transactional: false' to the header to "
				             "manage transactions yourself",
				             what);
			else if (outside)
				rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_REVISION_FILE, r->path,
				             c->lists[k].v[i].line,
				             "%s cannot run inside a transaction, and this revision runs in "
				             "one: add '-- transactional: false' to its header (its "
				             "statements then run one by one, and a failure midway leaves "
				             "it dirty until resumed or repaired)",
				             outside);
		}
		if (rc) {
			if (err && !err->reason)
				err->reason = RETORT_R_REVISION_FILE;
			stmt_list_free(&c->lists[k]);
			return rc;
		}
	}
	c->done[k] = 1;
	*out = &c->lists[k];
	return RETORT_OK;
}
