/*
 * url.c: database URLs (SPEC §2). Splits a URL into what a driver needs
 * (SQLite file path, or the libpq connection URI), normalises scheme
 * aliases and SQLAlchemy-style "+driver" suffixes so Alembic users' URLs
 * work unchanged, and builds the redacted form that is the only way a URL
 * may appear in output or errors: the password never leaves this file.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "config/config.h"

/* Where the password sits in a URL: [start, end) in the original string.
 * Returns 0 when the URL has no password. */
static int find_userinfo_password(const char *url, size_t *start, size_t *end)
{
	const char *sep = strstr(url, "://");
	const char *rest = sep ? sep + 3 : url;
	/* The user name is SQLAlchemy's [^:/@]*: it ends at the first ':'. */
	const char *p = rest;
	while (*p && *p != ':' && *p != '/' && *p != '@' && *p != '?')
		p++;
	if (*p != ':')
		return 0;
	/* Passwords should be percent-encoded but often are not. Taking the
	 * last '@' keeps an unencoded '@', '/' or '?' inside the redacted
	 * part; only when a query string itself holds an '@' do we stop at
	 * the last '@' before the query, so "?application_name=a@b" is not
	 * swallowed into the password. */
	const char *at = strrchr(p, '@');
	if (!at)
		return 0;
	const char *q = strchr(p, '?');
	if (q && q < at) {
		const char *before = NULL;
		for (const char *s = p; s < q; s++)
			if (*s == '@')
				before = s;
		if (before)
			at = before;
	}
	*start = (size_t)(p + 1 - url);
	*end = (size_t)(at - url);
	return 1;
}

/* Whether [s, e) is a valid port: 1 to 5 digits, 1-65535. */
static int valid_port(const char *s, const char *e)
{
	long v = 0;
	if (e <= s || e - s > 5)
		return 0;
	for (const char *c = s; c < e; c++) {
		if (!isdigit((unsigned char)*c))
			return 0;
		v = v * 10 + (*c - '0');
	}
	return v >= 1 && v <= 65535;
}

/* A URL whose userinfo has no '@' ("postgresql://postgres:SECRET", the
 * host forgotten) reads as host:port, so what follows the ':' may well be
 * a password. When the authority is a valid host[:port] list, as libpq
 * reads it (hosts separated by ',', "[v6]" hosts, ports 1-65535 or
 * empty), it is taken as that; otherwise everything after the first ':'
 * outside brackets, to the end of the URL (an unencoded '/' or '?' may be
 * part of the password), is treated as a password: [start, end). Only
 * URLs with "://" are considered ("sqlite:app.db" is no user:password). */
static int find_loose_password(const char *url, size_t *start, size_t *end)
{
	const char *sep = strstr(url, "://");
	if (!sep)
		return 0;
	const char *p = sep + 3, *colon = NULL;
	int ok = 1;
	while (*p && *p != '/' && *p != '?') {
		/* one host: "[...]" or up to ':', ',', '/', '?' */
		if (*p == '[') {
			const char *rb = strchr(p, ']');
			if (!rb)
				return 0; /* libpq rejects it; no ':' can end a user name */
			p = rb + 1;
		} else {
			while (*p && !strchr(":,/?", *p))
				p++;
		}
		if (*p == ':') {
			if (!colon)
				colon = p;
			const char *port = ++p;
			while (*p && !strchr(",/?", *p))
				p++;
			if (p > port && !valid_port(port, p))
				ok = 0;
		} else if (*p && !strchr(",/?", *p)) {
			ok = 0; /* e.g. "[::1]x" */
			while (*p && !strchr(",/?", *p))
				p++;
		}
		if (*p == ',')
			p++;
	}
	if (ok || !colon)
		return 0;
	*start = (size_t)(colon + 1 - url);
	*end = strlen(url);
	return 1;
}

/* Where a password may sit in the URL's authority: after "user:" before
 * the '@', or, with no '@', after a ':' that does not start a port. */
static int find_password(const char *url, size_t *start, size_t *end)
{
	return find_userinfo_password(url, start, end) || find_loose_password(url, start, end);
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* Whether the query parameter name [key, key + n), percent-decoded as
 * libpq decodes it, contains "password" (password, sslpassword, ...),
 * in any case. */
static int secret_key(const char *key, size_t n)
{
	static const char word[] = "password";
	const size_t wn = sizeof(word) - 1;
	char dec[64];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m == sizeof(dec))
			return 1; /* no libpq keyword is this long: hide it to be safe */
		if (key[i] == '%' && i + 2 < n && isxdigit((unsigned char)key[i + 1]) &&
		    isxdigit((unsigned char)key[i + 2])) {
			dec[m++] = (char)(hexval(key[i + 1]) * 16 + hexval(key[i + 2]));
			i += 2;
		} else {
			dec[m++] = key[i];
		}
	}
	for (size_t i = 0; i + wn <= m; i++)
		if (strncasecmp(dec + i, word, wn) == 0)
			return 1;
	return 0;
}

/* Appends the stand-in for a secret of n bytes: "***", or with
 * keep_length one '*' per byte. */
static void add_stars(sbuf *b, size_t n, int keep_length)
{
	if (!keep_length)
		n = 3;
	while (n--)
		sb_addc(b, '*');
}

/* The URL with the userinfo password (see find_password) and the value
 * of every query parameter whose name contains "password" (password,
 * sslpassword, ...) replaced by "***"; with keep_length, by as many '*' as
 * they have bytes, so that positions stay where they were. */
static char *redact_with(const char *url, int keep_length)
{
	sbuf b = SBUF_INIT;
	size_t ps, pe;
	size_t i = 0;
	if (find_password(url, &ps, &pe)) {
		sb_add(&b, url, ps);
		add_stars(&b, pe - ps, keep_length);
		i = pe;
	}
	const char *q = strchr(url + i, '?');
	if (!q) {
		sb_adds(&b, url + i);
		return sb_detach(&b);
	}
	sb_add(&b, url + i, (size_t)(q - (url + i)));
	const char *p = q;
	while (*p) {
		/* p points at '?' or '&': copy it, then one key=value pair. */
		sb_addc(&b, *p++);
		size_t n = strcspn(p, "&");
		size_t k = strcspn(p, "&=");
		if (k < n && secret_key(p, k)) {
			sb_add(&b, p, k + 1);
			add_stars(&b, n - k - 1, keep_length);
		} else {
			sb_add(&b, p, n);
		}
		p += n;
	}
	return sb_detach(&b);
}

static char *redact(const char *url)
{
	return redact_with(url, 0);
}

static int parse_sqlite(const char *rest, db_url *out, retort_error *err)
{
	if (strchr(rest, '?'))
		return rt_error(err, RETORT_EUSAGE, NULL, 0,
		                "query parameters are not supported in SQLite URLs: '%s'",
		                out->redacted);
	if (rest[0] == 0) {
		out->path = xstrdup(":memory:");
		return RETORT_OK;
	}
	/* sqlite://HOST/... : SQLite has no host; the third slash is what
	 * separates the (empty) authority from the path. */
	if (rest[0] != '/')
		return rt_error(err, RETORT_EUSAGE, NULL, 0,
		                "invalid SQLite URL '%s' (expected sqlite:///relative/path.db, "
		                "sqlite:////absolute/path.db or sqlite://)",
		                out->redacted);
	const char *path = rest + 1;
	out->path = xstrdup(path[0] ? path : ":memory:");
	return RETORT_OK;
}

/* The value libpq parses for keyword from conninfo (caller frees), or NULL. */
static char *option_value(const char *conninfo, const char *keyword)
{
	char *val = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	for (PQconninfoOption *o = opts; o && o->keyword && !val; o++)
		if (strcmp(o->keyword, keyword) == 0 && o->val)
			val = xstrdup(o->val);
	PQconninfoFree(opts);
	return val;
}

static int parse_pg(const char *rest, db_url *out, retort_error *err)
{
	out->conninfo = xasprintf("postgresql://%s", rest);
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(out->conninfo, &msg);
	if (opts) {
		/* libpq only rejects a bad port when it connects, as a runtime
		 * failure; it is a configuration error, so say so up front. */
		const char *bad = NULL;
		for (PQconninfoOption *o = opts; o->keyword && !bad; o++) {
			if (strcmp(o->keyword, "port") != 0 || !o->val)
				continue;
			for (const char *q = o->val; *q && !bad;) {
				size_t n = strcspn(q, ",");
				long v = 0;
				int ok = n > 0 && n <= 5;
				for (size_t i = 0; ok && i < n; i++) {
					ok = isdigit((unsigned char)q[i]);
					v = v * 10 + (q[i] - '0');
				}
				if (!ok || v < 1 || v > 65535)
					bad = o->val;
				q += n + (q[n] == ',');
			}
			if (bad) {
				/* libpq finds the '@' differently (a '/' in the
				 * password ends its userinfo), so what it calls the
				 * port may be part of the password: it is shown only
				 * when the URL with its passwords masked has it too.
				 * With no '@' at all, the "port" is likely a password
				 * whose "@host" was forgotten (see find_loose_password):
				 * the hint says how to write one. */
				char *masked = redact_with(out->conninfo, 1);
				char *mport = option_value(masked, "port");
				size_t ps, pe;
				int loose = !find_userinfo_password(out->conninfo, &ps, &pe) &&
				            find_loose_password(out->conninfo, &ps, &pe);
				if (mport && strcmp(mport, bad) == 0)
					rt_error(err, RETORT_EUSAGE, NULL, 0,
					         "invalid port '%s' in database URL '%s' (use 1-65535)",
					         bad, out->redacted);
				else
					rt_error(err, RETORT_EUSAGE, NULL, 0,
					         "invalid port in database URL '%s' (use 1-65535%s)",
					         out->redacted,
					         loose ? "; a password goes in user:password@host" : "");
				free(mport);
				free(masked);
			}
		}
		PQconninfoFree(opts);
		return bad ? RETORT_EUSAGE : RETORT_OK;
	}
	/* libpq's messages quote parts of the URL, such as a badly encoded
	 * password, so the detail is passed on only when libpq says exactly
	 * the same about the URL with its passwords masked (same length, so
	 * that positions agree): then nothing in it came from a password.
	 * (Matching quoted parts against the redacted URL instead was fooled
	 * by quotes inside a password.) */
	int safe = 0;
	if (msg) {
		char *masked = redact_with(out->conninfo, 1), *msg2 = NULL;
		PQconninfoOption *opts2 = PQconninfoParse(masked, &msg2);
		safe = !opts2 && msg2 && strcmp(msg, msg2) == 0;
		PQconninfoFree(opts2);
		PQfreemem(msg2);
		free(masked);
	}
	size_t ps, pe;
	if (safe && find_password(out->conninfo, &ps, &pe) && pe > ps) {
		char *pw = xstrndup(out->conninfo + ps, pe - ps);
		safe = !strstr(msg, pw);
		free(pw);
	}
	if (safe) {
		size_t n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = 0;
	}
	rt_error(err, RETORT_EUSAGE, NULL, 0, "invalid database URL '%s'%s%s", out->redacted,
	         safe ? ": " : "", safe ? msg : "");
	PQfreemem(msg);
	return RETORT_EUSAGE;
}

int url_parse(const char *url, db_url *out, retort_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!url)
		url = "";
	out->redacted = redact(url);
	const char *sep = strstr(url, "://");
	size_t slen = sep ? (size_t)(sep - url) : 0;
	int ok = slen > 0;
	for (size_t i = 0; ok && i < slen; i++)
		ok = isalnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '_' ||
		     url[i] == '-' || url[i] == '.';
	if (!ok) {
		rt_error(err, RETORT_EUSAGE, NULL, 0, "invalid database URL '%s'", out->redacted);
		url_free(out);
		return RETORT_EUSAGE;
	}
	/* SQLAlchemy's "dialect+driver": the driver part names a Python
	 * DB-API module and means nothing here. */
	size_t blen = slen;
	const char *plus = memchr(url, '+', slen);
	if (plus)
		blen = (size_t)(plus - url);
	char *base = xstrndup(url, blen);
	for (char *c = base; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	const char *rest = sep + 3;
	int rc = RETORT_OK;
	if (strcmp(base, "sqlite") == 0) {
		out->scheme = xstrdup("sqlite");
		rc = parse_sqlite(rest, out, err);
	} else if (strcmp(base, "postgresql") == 0 || strcmp(base, "postgres") == 0) {
		out->scheme = xstrdup("postgresql");
		rc = parse_pg(rest, out, err);
	} else if (strcmp(base, "mysql") == 0 || strcmp(base, "mariadb") == 0) {
		out->scheme = xstrdup("mysql");
		out->conninfo = xasprintf("mysql://%s", rest);
	} else {
		/* The scheme is printed as written; it precedes "://" so it
		 * cannot contain the password. */
		char *scheme = xstrndup(url, slen);
		rc = rt_error(err, RETORT_EUSAGE, NULL, 0,
		              "unsupported database URL scheme '%s' in %s", scheme, out->redacted);
		free(scheme);
	}
	free(base);
	if (rc != RETORT_OK)
		url_free(out);
	return rc;
}

void url_free(db_url *u)
{
	if (!u)
		return;
	free(u->scheme);
	free(u->path);
	free(u->conninfo);
	free(u->redacted);
	memset(u, 0, sizeof(*u));
}
