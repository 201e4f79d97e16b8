/*
 * release.c: the `release: X.Y.Z` header (SPEC §9) over the graph:
 * releases ordered as versions (0.10.0 after 0.9.1), the revision that
 * completes a release (the newest in walk order that names it), and the
 * release a revision belongs to (its own, or its nearest ancestor's).
 * Pure, like the rest of core/.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* Digit runs compare as numbers (leading zeros ignored), everything else
 * byte by byte; at equal text a longer string is newer (0.8 < 0.8.1). */
int release_cmp(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			while (*a == '0' && isdigit((unsigned char)a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char)b[1]))
				b++;
			size_t na = strspn(a, "0123456789"), nb = strspn(b, "0123456789");
			if (na != nb)
				return na < nb ? -1 : 1;
			int c = strncmp(a, b, na);
			if (c)
				return c < 0 ? -1 : 1;
			a += na;
			b += nb;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++;
		b++;
	}
	return *a ? 1 : *b ? -1 : 0;
}

int release_find(const graph *g, const char *release)
{
	if (!release || !*release)
		return -1;
	intvec walk = INTVEC_INIT;
	graph_walk(g, NULL, &walk);
	int found = -1;
	for (size_t i = 0; i < walk.n && found < 0; i++)
		if (strcmp(g->revs[walk.v[i]]->release, release) == 0)
			found = walk.v[i];
	iv_free(&walk);
	return found;
}

static int cmp_release_p(const void *a, const void *b)
{
	return release_cmp(*(char *const *)a, *(char *const *)b);
}

void release_list(const graph *g, strvec *out)
{
	size_t from = out->n;
	for (size_t i = 0; i < g->n; i++) {
		const char *r = g->revs[i]->release;
		if (*r && sv_index(out, r) < 0)
			sv_push(out, r);
	}
	if (out->n - from > 1) /* out->v is NULL while the list is empty */
		qsort(out->v + from, out->n - from, sizeof(char *), cmp_release_p);
}

int *release_rank(const graph *g)
{
	intvec walk = INTVEC_INIT;
	graph_walk(g, NULL, &walk);
	int *rank = xcalloc(g->n ? g->n : 1, sizeof(int));
	for (size_t i = 0; i < walk.n; i++)
		rank[walk.v[i]] = (int)i;
	iv_free(&walk);
	return rank;
}

int release_nearest(const graph *g, const int *rank, int rev)
{
	if (rev < 0 || !g->n)
		return -1;
	if (*g->revs[rev]->release)
		return rev;
	unsigned char *mark = xcalloc(g->n, 1);
	graph_mark(g, &rev, 1, 0, 0, mark);
	int best = -1;
	for (size_t i = 0; i < g->n; i++)
		if (mark[i] && *g->revs[i]->release && (best < 0 || rank[i] < rank[best]))
			best = (int)i;
	free(mark);
	return best;
}

int release_of_heads(const graph *g, const int *heads, size_t n)
{
	int *rank = release_rank(g);
	int best = -1;
	for (size_t i = 0; i < n; i++) {
		int k = release_nearest(g, rank, heads[i]);
		if (k >= 0 && (best < 0 || release_cmp(g->revs[k]->release,
		                                       g->revs[best]->release) > 0))
			best = k;
	}
	free(rank);
	return best;
}
