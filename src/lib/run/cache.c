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

/* The statement's first word, upper-cased, after blanks and comments. */
static void first_words(const char *sql, char *w1, char *w2, size_t n)
{
	const char *p = sql;
	char *out[2] = {w1, w2};
	w1[0] = w2[0] = 0;
	for (int k = 0; k < 2; k++) {
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
		while (i + 1 < n && (isalpha((unsigned char)*p) || *p == '_'))
			out[k][i++] = (char)toupper((unsigned char)*p++);
		out[k][i] = 0;
		if (!i)
			break;
	}
}

/* BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK (not ROLLBACK TO a
 * savepoint, which stays inside the transaction), ABORT, and PostgreSQL's
 * two-phase commands. */
static const char *tx_control(const char *sql)
{
	char w1[32], w2[32];
	first_words(sql, w1, w2, sizeof(w1));
	if (!strcmp(w1, "ROLLBACK") && (!strcmp(w2, "TO") || !strcmp(w2, "PREPARED")))
		return !strcmp(w2, "TO") ? NULL : "ROLLBACK PREPARED";
	if (!strcmp(w1, "BEGIN") || !strcmp(w1, "COMMIT") || !strcmp(w1, "END") ||
	    !strcmp(w1, "ROLLBACK") || !strcmp(w1, "ABORT"))
		return w1[0] == 'B' ? "BEGIN" : w1[0] == 'C' ? "COMMIT" : w1[0] == 'E' ? "END"
		                             : w1[0] == 'R' ? "ROLLBACK" : "ABORT";
	if (!strcmp(w1, "START") && !strcmp(w2, "TRANSACTION"))
		return "START TRANSACTION";
	if (!strcmp(w1, "PREPARE") && !strcmp(w2, "TRANSACTION"))
		return "PREPARE TRANSACTION";
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
			const char *what = tx_control(c->lists[k].v[i].sql);
			if (what)
				rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_REVISION_FILE, r->path,
				             c->lists[k].v[i].line,
				             "%s in a transactional revision: retort runs each revision in "
				             "a transaction of its own, together with its version update. "
				             "Remove it, or add '-- transactional: false' to the header to "
				             "manage transactions yourself",
				             what);
		}
		if (rc) {
			stmt_list_free(&c->lists[k]);
			return rc;
		}
	}
	c->done[k] = 1;
	*out = &c->lists[k];
	return RETORT_OK;
}
