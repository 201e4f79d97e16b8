/*
 * sqlsplit.c: splitting a section body into statements (SPEC §4). On
 * PostgreSQL the boundaries come from libpg_query's own scanner, so dollar
 * quoting, E'' strings and nested comments are cut exactly as the server
 * would; SQLite and MySQL use a small tokenizer here, with sqlite3_complete()
 * deciding where a CREATE TRIGGER ... BEGIN ... END ends. The same tokenizer
 * trims every piece to its first and last token and gives each statement
 * the line its first token is on.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pg_query.h>
#include <sqlite3.h>

#include "sql/sql.h"

enum tok_kind {
	TK_SPACE,
	TK_COMMENT,
	TK_SEMI,
	TK_WORD,  /* identifier, keyword or number */
	TK_OTHER, /* quoted item, operator, punctuation */
	TK_UNTERMINATED
};

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Identifier characters; bytes >= 0x80 (UTF-8) count, as in all three
 * servers' lexers. '$' is one only after the first character on PostgreSQL
 * and MySQL, which keeps "a$b$" an identifier rather than a dollar quote. */
static int is_ident_start(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_ident(int c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* End of a quoted item opened at s[i] by q, where a doubled q is an
 * escaped q and (if backslash) a backslash escapes the next byte.
 * Returns 0 when unterminated. */
size_t sql_quoted_end(const char *s, size_t i, size_t end, char q, int backslash)
{
	for (size_t j = i + 1; j < end; j++) {
		if (backslash && s[j] == '\\') {
			j++;
			continue;
		}
		if (s[j] == q) {
			if (j + 1 < end && s[j + 1] == q) {
				j++;
				continue;
			}
			return j + 1;
		}
	}
	return 0;
}

/* PostgreSQL's dollar-quote tag at s[i] == '$': "$$" or "$ident$".
 * Returns the tag length including both dollars, 0 if none. */
static size_t dollar_tag(const char *s, size_t i, size_t end)
{
	size_t j = i + 1;
	if (j < end && s[j] == '$')
		return 2;
	if (j >= end || !is_ident_start((unsigned char)s[j]))
		return 0;
	while (j < end && is_ident((unsigned char)s[j]) && s[j] != '$')
		j++;
	if (j < end && s[j] == '$')
		return j + 1 - i;
	return 0;
}

/* PostgreSQL joins string literals separated by blanks that include a
 * line break ('a'\n'b' is 'ab'; libpg_query does not join across a "--"
 * comment). Returns the index of the quote that continues the string
 * ending before s[i], 0 if none. */
static size_t pg_quote_continues(const char *s, size_t i, size_t end)
{
	int newline = 0;
	for (; i < end && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
	                   s[i] == '\f');
	     i++)
		if (s[i] == '\n' || s[i] == '\r')
			newline = 1;
	return newline && i < end && s[i] == '\'' ? i : 0;
}

/* Reads one token at s[i] (i < end). Sets *kind; returns the index after
 * the token (end for an unterminated one, with *what naming it). */
/* End of the PostgreSQL number starting at s[i] (a digit, or a '.'
 * before a digit). */
static size_t pg_number(const char *s, size_t i, size_t end, int *kind)
{
#define DIGIT_AT(k) ((k) < end && s[k] >= '0' && s[k] <= '9')
	size_t j = i;
	while (DIGIT_AT(j))
		j++;
	if (j < end && s[j] == '.' && !(j > i && j + 1 < end && s[j + 1] == '.')) {
		size_t k = j + 1;
		while (DIGIT_AT(k))
			k++;
		if (j > i || k > j + 1)
			j = k;
	}
	if (j > i && j < end && (s[j] == 'e' || s[j] == 'E')) {
		size_t k = j + 1;
		if (k < end && (s[k] == '+' || s[k] == '-'))
			k++;
		if (DIGIT_AT(k)) {
			while (DIGIT_AT(k))
				k++;
			j = k;
		}
	}
#undef DIGIT_AT
	*kind = TK_WORD;
	return j;
}

size_t sql_block_comment_end(dialect d, const char *s, size_t i, size_t end)
{
	/* PostgreSQL nests block comments; the others do not. */
	int depth = 1;
	size_t j = i + 2;
	while (j < end && depth) {
		if (s[j] == '*' && j + 1 < end && s[j + 1] == '/') {
			depth--;
			j += 2;
		} else if (d == DIALECT_PG && s[j] == '/' && j + 1 < end && s[j + 1] == '*') {
			depth++;
			j += 2;
		} else
			j++;
	}
	return depth ? 0 : j;
}

static size_t next_token(dialect d, const char *s, size_t i, size_t end, int *kind,
                         const char **what)
{
	unsigned char c = (unsigned char)s[i];
	size_t n1 = i + 1 < end ? (unsigned char)s[i + 1] : 0;

	if (is_space(c)) {
		while (i < end && is_space((unsigned char)s[i]))
			i++;
		*kind = TK_SPACE;
		return i;
	}
	if (c == ';') {
		*kind = TK_SEMI;
		return i + 1;
	}
	/* MySQL wants "-- " with a blank (or end of line) after the dashes;
	 * "1--1" is arithmetic there. */
	int line_comment =
	    (c == '-' && n1 == '-' &&
	     (d != DIALECT_MYSQL || i + 2 >= end || is_space((unsigned char)s[i + 2]) ||
	      (unsigned char)s[i + 2] < 0x20)) ||
	    (c == '#' && d == DIALECT_MYSQL);
	if (line_comment) {
		/* PostgreSQL's comments also end at a carriage return. */
		size_t j = i;
		while (j < end && s[j] != '\n' && !(d == DIALECT_PG && s[j] == '\r'))
			j++;
		*kind = TK_COMMENT;
		return j;
	}
	if (c == '/' && n1 == '*') {
		size_t j = sql_block_comment_end(d, s, i, end);
		if (!j) {
			*kind = TK_UNTERMINATED;
			*what = "comment";
			return end;
		}
		/* MySQL runs the body of a comment opened with a '!' and honours
		 * optimizer hints opened with a '+': statement text, not comments. */
		*kind = d == DIALECT_MYSQL && i + 2 < end && (s[i + 2] == '!' || s[i + 2] == '+')
		            ? TK_OTHER
		            : TK_COMMENT;
		return j;
	}
	if (c == '\'' || c == '"' || c == '`' || (c == '[' && d == DIALECT_SQLITE)) {
		size_t j;
		if (c == '[') {
			const char *close = memchr(s + i, ']', end - i);
			j = close ? (size_t)(close - s) + 1 : 0;
		} else if (c == '`' && d == DIALECT_PG) {
			*kind = TK_OTHER;
			return i + 1;
		} else {
			int bs = d == DIALECT_MYSQL && c != '`';
			j = sql_quoted_end(s, i, end, (char)c, bs);
		}
		if (!j) {
			*kind = TK_UNTERMINATED;
			*what = c == '\'' || (c == '"' && d == DIALECT_MYSQL) ? "string"
			                                                      : "quoted identifier";
			return end;
		}
		*kind = TK_OTHER;
		return j;
	}
	if (c == '$' && d == DIALECT_PG) {
		size_t tl = dollar_tag(s, i, end);
		if (tl) {
			size_t j = i + tl;
			for (;;) {
				const char *q = memchr(s + j, '$', end - j);
				if (!q || (size_t)(q - s) + tl > end) {
					*kind = TK_UNTERMINATED;
					*what = "dollar-quoted string";
					return end;
				}
				j = (size_t)(q - s);
				if (memcmp(s + j, s + i, tl) == 0) {
					*kind = TK_OTHER;
					return j + tl;
				}
				j++;
			}
		}
		/* Otherwise a parameter ("$1") or a lone '$', never the start
		 * of an identifier: "$1$$" is $1, then a dollar quote. */
		size_t j = i + 1;
		while (j < end && s[j] >= '0' && s[j] <= '9')
			j++;
		*kind = j > i + 1 ? TK_WORD : TK_OTHER;
		return j;
	}
	/* PostgreSQL's numbers, as its scanner (15) reads them: integer
	 * "12", decimal "1.", ".5", "1.5" ("1..2" is 1 then ".."), then an
	 * exponent only when digits follow ("1E2$$x$$" is 1E2, then a dollar
	 * quote). A number ends at its last digit: in "2$a$" a dollar quote
	 * follows. (A letter right after a number is an error there.) */
	if (d == DIALECT_PG && ((c >= '0' && c <= '9') || (c == '.' && n1 >= '0' && n1 <= '9')))
		return pg_number(s, i, end, kind);
	if (is_ident(c)) {
		size_t j = i;
		while (j < end && is_ident((unsigned char)s[j]))
			j++;
		/* E'...' is PostgreSQL's backslash-escaped string, and so is a
		 * 'continuation' after it on a later line. */
		if (d == DIALECT_PG && j == i + 1 && (c == 'E' || c == 'e') && j < end &&
		    s[j] == '\'') {
			size_t k = j;
			do {
				k = sql_quoted_end(s, k, end, '\'', 1);
				if (!k) {
					*kind = TK_UNTERMINATED;
					*what = "string";
					return end;
				}
				j = k;
			} while ((k = pg_quote_continues(s, j, end)) != 0);
			*kind = TK_OTHER;
			return j;
		}
		*kind = TK_WORD;
		return j;
	}
	*kind = TK_OTHER;
	return i + 1;
}

/* Advances a (pos, line) cursor to pos `to`; statements come in order, so
 * counting newlines incrementally keeps the split linear. */
typedef struct line_cursor {
	const char *s;
	size_t pos;
	int line;
} line_cursor;

static int line_at(line_cursor *c, size_t to)
{
	while (c->pos < to) {
		const char *nl = memchr(c->s + c->pos, '\n', to - c->pos);
		if (!nl) {
			c->pos = to;
			break;
		}
		c->line++;
		c->pos = (size_t)(nl - c->s) + 1;
	}
	return c->line;
}

static void push_stmt(stmt_list *l, const char *s, size_t a, size_t b, int line)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n].sql = xstrndup(s + a, b - a);
	l->v[l->n].line = line;
	l->n++;
}

/* The significant part [*a, *b) of s[i, end): from the first token that is
 * not blank, a comment or ';', to the end of the last such token. Returns 0
 * when there is none (an empty or comment-only piece). */
static int trim_piece(dialect d, const char *s, size_t i, size_t end, size_t *a, size_t *b)
{
	int found = 0;
	while (i < end) {
		int kind;
		const char *what;
		size_t j = next_token(d, s, i, end, &kind, &what);
		if (kind == TK_UNTERMINATED) {
			/* The server's scanner accepted this piece, so our reading
			 * is the one that is off: keep the rest as it is. */
			if (!found)
				*a = i;
			*b = end;
			return 1;
		}
		if (kind == TK_WORD || kind == TK_OTHER) {
			if (!found)
				*a = i;
			found = 1;
			*b = j;
		}
		i = j;
	}
	return found;
}

static void drop_from(stmt_list *l, size_t n0)
{
	while (l->n > n0)
		free(l->v[--l->n].sql);
}

/* libpg_query allocates its memory contexts per thread and keeps the top
 * one for reuse; everything else (the split result) is freed with
 * pg_query_free_split_result. The kept context is reachable from a
 * thread-local pointer, so LeakSanitizer reports nothing and valgrind
 * calls it "still reachable", not lost; pg_query_exit() frees it, and is
 * the application's call to make at exit if it wants a spotless valgrind
 * report (the library cannot know when the last split has happened).
 * The call also points fd 2 at a pipe while it runs, to capture the
 * server code's stderr chatter: another thread writing to stderr at that
 * moment would lose its output. */
static int split_pg(const char *text, int first_line, const char *file, stmt_list *out,
                    retort_error *err)
{
	size_t len = strlen(text);
	PgQuerySplitResult r = pg_query_split_with_scanner(text);
	if (r.error) {
		/* cursorpos counts characters (1-based), not bytes. */
		size_t off = 0;
		for (int chars = 0; off < len; off++) {
			if (((unsigned char)text[off] & 0xC0) == 0x80)
				continue;
			if (++chars >= r.error->cursorpos)
				break;
		}
		line_cursor lc = {text, 0, first_line};
		int line = line_at(&lc, off);
		/* For unterminated things the server's "at or near" quotes the
		 * rest of the file; the line number already says where. */
		const char *msg = r.error->message ? r.error->message : "syntax error";
		const char *near = strstr(msg, " at or near");
		int mlen = near ? (int)(near - msg) : (int)strlen(msg);
		int rc;
		if (strncmp(msg, "unterminated quoted string", 26) == 0)
			rc = rt_error(err, RETORT_EUSAGE, file, line,
			              "unterminated string starting here");
		else if (strncmp(msg, "unterminated /* comment", 23) == 0)
			rc = rt_error(err, RETORT_EUSAGE, file, line,
			              "unterminated comment starting here");
		else if (strncmp(msg, "unterminated", 12) == 0)
			rc = rt_error(err, RETORT_EUSAGE, file, line, "%.*s starting here", mlen,
			              msg);
		else
			rc = rt_error(err, RETORT_EUSAGE, file, line, "%s", msg);
		pg_query_free_split_result(r);
		return rc;
	}

	/* The scanner drops pieces that hold no keyword ("foo;"): only empty
	 * or comment-only ones may vanish, so the text between its statements
	 * is checked too and anything left there becomes a statement of its
	 * own, for the server to reject. */
	line_cursor lc = {text, 0, first_line};
	size_t prev = 0;
	for (int k = 0; k <= r.n_stmts; k++) {
		size_t loc = k < r.n_stmts ? (size_t)r.stmts[k]->stmt_location : len;
		size_t slen = k < r.n_stmts ? (size_t)r.stmts[k]->stmt_len : 0;
		size_t a = 0, b = 0;
		if (loc > prev && trim_piece(DIALECT_PG, text, prev, loc, &a, &b))
			push_stmt(out, text, a, b, line_at(&lc, a));
		if (k == r.n_stmts)
			break;
		if (trim_piece(DIALECT_PG, text, loc, loc + slen, &a, &b))
			push_stmt(out, text, a, b, line_at(&lc, a));
		prev = loc + slen;
	}
	pg_query_free_split_result(r);
	return RETORT_OK;
}

static int word_is(const char *s, size_t a, size_t b, const char *w)
{
	return b - a == strlen(w) && strncasecmp(s + a, w, b - a) == 0;
}

/* Whether the statement at s[i] is CREATE [TEMP|TEMPORARY] TRIGGER, whose
 * BEGIN ... END body holds semicolons of its own. */
static int starts_trigger(const char *s, size_t i, size_t end)
{
	int nword = 0;
	while (i < end && nword < 3) {
		int kind;
		const char *what;
		size_t j = next_token(DIALECT_SQLITE, s, i, end, &kind, &what);
		if (kind == TK_WORD) {
			if (nword == 0 && !word_is(s, i, j, "create"))
				return 0;
			if (nword > 0 && word_is(s, i, j, "trigger"))
				return 1;
			if (nword == 1 && !word_is(s, i, j, "temp") &&
			    !word_is(s, i, j, "temporary"))
				return 0;
			nword++;
		} else if (kind != TK_SPACE && kind != TK_COMMENT)
			return 0;
		i = j;
	}
	return 0;
}

static int split_plain(dialect d, const char *text, int first_line, const char *file,
                       stmt_list *out, retort_error *err)
{
	size_t len = strlen(text);
	size_t i = 0, start = 0, last = 0;
	int started = 0, trigger = 0, line = first_line, start_line = 0;
	sbuf probe = SBUF_INIT;
	while (i < len) {
		int kind;
		const char *what = "string";
		size_t j = next_token(d, text, i, len, &kind, &what);
		if (kind == TK_UNTERMINATED) {
			sb_free(&probe);
			return rt_error(err, RETORT_EUSAGE, file, line,
			                "unterminated %s starting here", what);
		}
		if (kind == TK_SEMI && started) {
			int complete = 1;
			if (trigger) {
				sb_reset(&probe);
				sb_add(&probe, text + start, j - start);
				complete = sqlite3_complete(probe.buf);
			}
			if (complete) {
				push_stmt(out, text, start, last, start_line);
				started = 0;
			} else
				last = j;
		} else if (kind == TK_WORD || kind == TK_OTHER) {
			if (!started) {
				started = 1;
				start = i;
				start_line = line;
				trigger = d == DIALECT_SQLITE && starts_trigger(text, i, len);
			}
			last = j;
		}
		for (const char *p = text + i; (p = memchr(p, '\n', (size_t)(text + j - p))); p++)
			line++;
		i = j;
	}
	if (started)
		push_stmt(out, text, start, last, start_line);
	sb_free(&probe);
	return RETORT_OK;
}

int sql_split(dialect d, const char *text, int first_line, const char *file, stmt_list *out,
              retort_error *err)
{
	size_t n0 = out->n;
	int rc = d == DIALECT_PG ? split_pg(text, first_line, file, out, err)
	                         : split_plain(d, text, first_line, file, out, err);
	/* On failure the caller gets back the list as it was. */
	if (rc)
		drop_from(out, n0);
	return rc;
}

void stmt_list_free(stmt_list *l)
{
	if (!l)
		return;
	drop_from(l, 0);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
