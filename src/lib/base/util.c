/*
 * util.c: allocation that cannot fail silently, growable strings (sbuf),
 * string and int vectors, error filling and whole-file reads. Everything
 * else in the library builds on these.
 */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"

static void oom(void)
{
	/* Out of memory is not recoverable for a CLI-sized tool; like git's
	 * xmalloc we stop rather than limp on with half-built state. */
	fputs("retort: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	sbuf b = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&b, fmt, ap);
	va_end(ap);
	return sb_detach(&b);
}

static void sb_grow(sbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->buf = xrealloc(b->buf, cap);
	b->cap = cap;
}

void sb_add(sbuf *b, const void *data, size_t n)
{
	sb_grow(b, n);
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = 0;
}

void sb_adds(sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

void sb_addc(sbuf *b, char c)
{
	sb_add(b, &c, 1);
}

void sb_vaddf(sbuf *b, const char *fmt, va_list ap)
{
	/* One formatting pass when the text fits the spare room (the usual
	 * case once the buffer has some); a second only when it did not. */
	sb_grow(b, 128);
	size_t room = b->cap - b->len;
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(b->buf + b->len, room, fmt, cp);
	va_end(cp);
	if (n < 0) {
		b->buf[b->len] = 0;
		return;
	}
	if ((size_t)n >= room) {
		sb_grow(b, (size_t)n);
		vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
}

void sb_addf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(b, fmt, ap);
	va_end(ap);
}

const char *sb_str(const sbuf *b)
{
	return b->buf ? b->buf : "";
}

char *sb_detach(sbuf *b)
{
	char *p = b->buf ? b->buf : xstrdup("");
	b->buf = NULL;
	b->len = b->cap = 0;
	return p;
}

void sb_reset(sbuf *b)
{
	b->len = 0;
	if (b->buf)
		b->buf[0] = 0;
}

void sb_free(sbuf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

void sv_push_owned(strvec *s, char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = str;
}

void sv_push(strvec *s, const char *str)
{
	sv_push_owned(s, xstrdup(str));
}

int sv_index(const strvec *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return (int)i;
	return -1;
}

void sv_remove_at(strvec *s, size_t i)
{
	if (i >= s->n)
		return;
	free(s->v[i]);
	memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof(*s->v));
	s->n--;
}

void sv_clear(strvec *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

void sv_free(strvec *s)
{
	sv_clear(s);
	free(s->v);
	s->v = NULL;
	s->cap = 0;
}

void sv_copy(strvec *dst, const strvec *src)
{
	for (size_t i = 0; i < src->n; i++)
		sv_push(dst, src->v[i]);
}

void sv_split_csv(strvec *s, const char *csv)
{
	const char *p = csv;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *a = p, *z = p + n;
		while (a < z && (*a == ' ' || *a == '\t'))
			a++;
		while (z > a && (z[-1] == ' ' || z[-1] == '\t' || z[-1] == '\r'))
			z--;
		if (z > a)
			sv_push_owned(s, xstrndup(a, (size_t)(z - a)));
		p = end ? end + 1 : NULL;
	}
}

void sv_join(sbuf *b, const strvec *s, const char *sep)
{
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			sb_adds(b, sep);
		sb_adds(b, s->v[i]);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void sv_sort(strvec *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_str);
}

void iv_push(intvec *s, int x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = x;
}

int iv_index(const intvec *s, int x)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == x)
			return (int)i;
	return -1;
}

void iv_free(intvec *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* ---- strmap ---------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void strmap_init(strmap *m, size_t want)
{
	size_t cap = 16;
	while (cap < want * 2)
		cap *= 2;
	m->v = xcalloc(cap, sizeof(*m->v));
	m->cap = cap;
	m->n = 0;
}

static struct strmap_slot *slot_for(const strmap *m, const char *key)
{
	size_t mask = m->cap - 1;
	size_t i = hash_str(key) & mask;
	while (m->v[i].key && strcmp(m->v[i].key, key) != 0)
		i = (i + 1) & mask;
	return &m->v[i];
}

int strmap_put(strmap *m, const char *key, int idx)
{
	if (!m->cap || (m->n + 1) * 2 > m->cap) {
		strmap old = *m;
		strmap_init(m, old.n + 1 > 8 ? 2 * (old.n + 1) : 8);
		for (size_t i = 0; i < old.cap; i++)
			if (old.v[i].key) {
				*slot_for(m, old.v[i].key) = old.v[i];
				m->n++;
			}
		free(old.v);
	}
	struct strmap_slot *sl = slot_for(m, key);
	if (sl->key)
		return sl->idx;
	sl->key = key;
	sl->idx = idx;
	m->n++;
	return -1;
}

int strmap_get(const strmap *m, const char *key)
{
	if (!m->cap)
		return -1;
	const struct strmap_slot *sl = slot_for(m, key);
	return sl->key ? sl->idx : -1;
}

void strmap_free(strmap *m)
{
	free(m->v);
	m->v = NULL;
	m->cap = m->n = 0;
}

static int rt_verror(retort_error *err, int code, int reason, const char *file, int line,
                     const char *fmt, va_list ap)
{
	if (!err)
		return code;
	err->code = code;
	err->reason = reason;
	snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
	err->line = line;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	/* The contract is one line per error: fold database messages that
	 * span several lines (PostgreSQL's DETAIL/HINT) into one. */
	for (char *p = err->message; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	size_t n = strlen(err->message);
	while (n && err->message[n - 1] == ' ')
		err->message[--n] = 0;
	return code;
}

int rt_error(retort_error *err, int code, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_verror(err, code, RETORT_R_NONE, file, line, fmt, ap);
	va_end(ap);
	return code;
}

int rt_fail(retort_error *err, int code, int reason, const char *file, int line,
            const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rt_verror(err, code, reason, file, line, fmt, ap);
	va_end(ap);
	return code;
}

const char *retort_error_format(const retort_error *err, char *buf, size_t size)
{
	if (err->file[0] && err->line > 0)
		snprintf(buf, size, "%s:%d: %s", err->file, err->line, err->message);
	else if (err->file[0])
		snprintf(buf, size, "%s: %s", err->file, err->message);
	else
		snprintf(buf, size, "%s", err->message);
	return buf;
}

void hex_encode(const unsigned char *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = 0;
}

char *random_hex(size_t n)
{
	unsigned char *raw = xcalloc(n, 1);
	FILE *f = fopen("/dev/urandom", "rb");
	if (!f || fread(raw, 1, n, f) != n) {
		/* No urandom: still unique enough for a file name or a token. */
		unsigned long x = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16);
		for (size_t i = 0; i < n; i++)
			raw[i] = (unsigned char)(x >> ((i * 5) % (8 * sizeof(x) - 8)));
	}
	if (f)
		fclose(f);
	char *out = xmalloc(2 * n + 1);
	hex_encode(raw, n, out);
	free(raw);
	return out;
}

int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	sbuf b = SBUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sb_add(&b, chunk, n);
	int bad = ferror(f);
	int saved = errno;
	fclose(f);
	if (bad) {
		sb_free(&b);
		errno = saved;
		return -1;
	}
	if (len)
		*len = b.len;
	*out = sb_detach(&b);
	return 0;
}

void sha_hex(const unsigned char sha[32], char out[65])
{
	hex_encode(sha, 32, out);
}

const char *retort_reason_name(int reason)
{
	static const char *const names[] = {
		[RETORT_R_NONE] = "none",
		[RETORT_R_CONFIG] = "config",
		[RETORT_R_URL] = "url",
		[RETORT_R_REVISION_FILE] = "revision-file",
		[RETORT_R_GRAPH] = "graph",
		[RETORT_R_TARGET] = "target",
		[RETORT_R_MULTIPLE_HEADS] = "multiple-heads",
		[RETORT_R_CONNECT] = "connect",
		[RETORT_R_DATABASE] = "database",
		[RETORT_R_STATEMENT] = "statement",
		[RETORT_R_LOCK_TIMEOUT] = "lock-timeout",
		[RETORT_R_LOCK_LOST] = "lock-lost",
		[RETORT_R_VERSION_CONFLICT] = "version-conflict",
		[RETORT_R_DIRTY] = "dirty",
		[RETORT_R_CHANGED_FILE] = "changed-file",
		[RETORT_R_UNKNOWN_VERSION] = "unknown-version",
		[RETORT_R_DOWNGRADE_DISABLED] = "downgrade-disabled",
		[RETORT_R_INTERRUPTED] = "interrupted",
		[RETORT_R_IO] = "io",
		[RETORT_R_UNVERSIONED] = "unversioned",
		[RETORT_R_OLDER_RELEASE] = "older-release",
	};
	if (reason < 0 || (size_t)reason >= sizeof(names) / sizeof(names[0]) || !names[reason])
		return "unknown";
	return names[reason];
}
