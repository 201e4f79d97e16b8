/*
 * tokens.c: statement text as tokens, for what reads SQL without parsing
 * it: lint's SQLite and MySQL rules, and the target schema's routing of
 * statements to scratch databases (api/schema.c). Knows each dialect's
 * quotes, comments and PostgreSQL's dollar quoting; an unterminated item
 * runs to the end (the splitter has accepted the text).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base.h"
#include "sql/sql.h"

int sqltok_ident_start(int c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

int sqltok_ident_char(int c)
{
	return sqltok_ident_start(c) || isdigit(c) || c == '$';
}

/* split.c's scanners, where an unterminated item runs to the end. */
static size_t quoted_end(const char *s, size_t i, size_t end, char q, int bs)
{
	size_t j = sql_quoted_end(s, i, end, q, bs);
	return j ? j : end;
}

/* One token at s[i] (i < end): its kind, and the index after it. An
 * unterminated item runs to the end (the splitter has accepted the text). */
size_t sqltok_lex(dialect d, const char *s, size_t i, size_t end, int *kind)
{
	unsigned char c = (unsigned char)s[i];
	unsigned char n1 = i + 1 < end ? (unsigned char)s[i + 1] : 0;
	if (isspace(c)) {
		while (i < end && isspace((unsigned char)s[i]))
			i++;
		*kind = SQLTOK_SPACE;
		return i;
	}
	if (c == ';') {
		*kind = SQLTOK_SEMI;
		return i + 1;
	}
	if ((c == '-' && n1 == '-' &&
	     (d != DIALECT_MYSQL || i + 2 >= end || isspace((unsigned char)s[i + 2]))) ||
	    (c == '#' && d == DIALECT_MYSQL)) {
		while (i < end && s[i] != '\n')
			i++;
		*kind = SQLTOK_COMMENT;
		return i;
	}
	if (c == '/' && n1 == '*') {
		size_t j = sql_block_comment_end(d, s, i, end);
		*kind = SQLTOK_COMMENT;
		return j ? j : end;
	}
	if (c == '\'') {
		*kind = SQLTOK_STRING;
		return quoted_end(s, i, end, '\'', d == DIALECT_MYSQL);
	}
	if (c == '"') {
		*kind = d == DIALECT_MYSQL ? SQLTOK_STRING : SQLTOK_QIDENT;
		return quoted_end(s, i, end, '"', d == DIALECT_MYSQL);
	}
	if (c == '`' && d != DIALECT_PG) {
		*kind = SQLTOK_QIDENT;
		return quoted_end(s, i, end, '`', 0);
	}
	if (c == '[' && d == DIALECT_SQLITE) {
		const char *e = memchr(s + i, ']', end - i);
		*kind = SQLTOK_QIDENT;
		return e ? (size_t)(e - s) + 1 : end;
	}
	if (c == '$' && d == DIALECT_PG) {
		size_t j = i + 1;
		if (j < end && !isdigit((unsigned char)s[j]))
			while (j < end &&
			       (sqltok_ident_start((unsigned char)s[j]) || isdigit((unsigned char)s[j])))
				j++;
		if (j < end && s[j] == '$') { /* $$ or $tag$: a dollar-quoted string */
			size_t tl = j + 1 - i;
			for (size_t k = j + 1; k + tl <= end; k++)
				if (s[k] == '$' && memcmp(s + k, s + i, tl) == 0) {
					*kind = SQLTOK_STRING;
					return k + tl;
				}
			*kind = SQLTOK_STRING;
			return end;
		}
		j = i + 1;
		while (j < end && isdigit((unsigned char)s[j]))
			j++;
		*kind = j > i + 1 ? SQLTOK_WORD : SQLTOK_PUNCT; /* $1, or a lone '$' */
		return j;
	}
	if (sqltok_ident_start(c) || isdigit(c)) {
		size_t j = i;
		while (j < end && sqltok_ident_char((unsigned char)s[j]))
			j++;
		if (d == DIALECT_PG && j == i + 1 && (c == 'E' || c == 'e') && j < end &&
		    s[j] == '\'') {
			*kind = SQLTOK_STRING;
			return quoted_end(s, j, end, '\'', 1);
		}
		*kind = SQLTOK_WORD;
		return j;
	}
	*kind = SQLTOK_PUNCT;
	return i + 1;
}

void sqltok_split(dialect d, const char *s, sqltoks *t)
{
	memset(t, 0, sizeof(*t));
	t->d = d;
	t->s = s;
	size_t end = strlen(s);
	int depth = 0;
	for (size_t i = 0; i < end;) {
		int kind;
		size_t j = sqltok_lex(d, s, i, end, &kind);
		if (kind != SQLTOK_SPACE && kind != SQLTOK_COMMENT && kind != SQLTOK_SEMI) {
			if (kind == SQLTOK_PUNCT && s[i] == ')' && depth > 0)
				depth--;
			if (t->n == t->cap) {
				t->cap = t->cap ? 2 * t->cap : 32;
				t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
			}
			t->v[t->n++] = (sqltok){kind, i, j, depth};
			if (kind == SQLTOK_PUNCT && s[i] == '(')
				depth++;
		}
		i = j;
	}
}

int sqltok_kw(const sqltoks *t, size_t i, const char *kw)
{
	if (i >= t->n || t->v[i].kind != SQLTOK_WORD)
		return 0;
	size_t n = t->v[i].b - t->v[i].a;
	return n == strlen(kw) && strncasecmp(t->s + t->v[i].a, kw, n) == 0;
}

int sqltok_punct(const sqltoks *t, size_t i, char c)
{
	return i < t->n && t->v[i].kind == SQLTOK_PUNCT && t->s[t->v[i].a] == c;
}

int sqltok_is_name(const sqltoks *t, size_t i)
{
	return i < t->n && (t->v[i].kind == SQLTOK_WORD || t->v[i].kind == SQLTOK_QIDENT);
}

/* A name's text: quotes removed, lower-cased (SQLite and MySQL compare
 * table names without regard to case); caller frees. */
char *sqltok_name(const sqltoks *t, size_t i)
{
	const sqltok *k = &t->v[i];
	sbuf b = SBUF_INIT;
	if (k->kind == SQLTOK_QIDENT && k->b - k->a >= 2) {
		char q = t->s[k->a] == '[' ? ']' : t->s[k->a];
		for (size_t j = k->a + 1; j + 1 < k->b; j++) {
			sb_addc(&b, t->s[j]);
			if (t->s[j] == q && t->s[j + 1] == q)
				j++;
		}
	} else {
		sb_add(&b, t->s + k->a, k->b - k->a);
	}
	char *out = sb_detach(&b);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return out;
}

/* [schema.]name at i: the index after it; *name its last part (caller
 * frees), NULL when there is no name at i. */
size_t sqltok_qname(const sqltoks *t, size_t i, char **name)
{
	*name = NULL;
	if (!sqltok_is_name(t, i))
		return i;
	*name = sqltok_name(t, i++);
	while (sqltok_punct(t, i, '.') && sqltok_is_name(t, i + 1)) {
		free(*name);
		*name = sqltok_name(t, i + 1);
		i += 2;
	}
	return i;
}

/* Skips IF [NOT] EXISTS at i. */
size_t sqltok_skip_if_exists(const sqltoks *t, size_t i)
{
	if (sqltok_kw(t, i, "IF") && sqltok_kw(t, i + 1, "NOT") && sqltok_kw(t, i + 2, "EXISTS"))
		return i + 3;
	if (sqltok_kw(t, i, "IF") && sqltok_kw(t, i + 1, "EXISTS"))
		return i + 2;
	return i;
}

void sqltoks_free(sqltoks *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}
