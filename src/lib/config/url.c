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
#include <unistd.h>

#include <libpq-fe.h>

#include "config/config.h"

/* The offset just past "scheme://" when url starts with a scheme (letters,
 * digits, '+', '.', '_', '-'; possibly none, as in "://h/db") and "://";
 * else 0, with *has = 0. */
static size_t after_scheme(const char *url, int *has)
{
	size_t i = 0;
	while (url[i] && (isalnum((unsigned char)url[i]) || strchr("+._-", url[i])))
		i++;
	*has = strncmp(url + i, "://", 3) == 0;
	return *has ? i + 3 : 0;
}

/* Whether [s, e) is "sqlite" or "sqlite+driver", in any case. */
static int sqlite_scheme(const char *s, const char *e)
{
	size_t n = (size_t)(e - s);
	return n >= 6 && strncasecmp(s, "sqlite", 6) == 0 && (n == 6 || s[6] == '+');
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
	int has;
	const char *p = url + after_scheme(url, &has), *colon = NULL;
	if (!has)
		return 0;
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

/* Where the password sits in a URL, [start, end); 0 when there is none.
 *
 * The rule (SPEC §2): a password must be percent-encoded. Only one '@' may
 * be left as it is, the one that ends "user:password", and it must come
 * before any '/' or '?'; the password is then what lies between the first
 * ':' and that '@', exactly where libpq finds it. An unencoded '@', '/' or
 * '?' in a password would make libpq read the rest of it as the host, the
 * port or the database name (and SQLAlchemy, depending on its version,
 * reads such URLs differently again), and its errors would print that part:
 * so a URL that breaks the rule is refused (url_parse), with *ambiguous set
 * here. A password may then end at any '@', so everything from the first
 * ':' to the last '@' counts as the password. Text without "scheme://" is
 * treated the same way, and when it has no '@', everything after its first
 * ':' is hidden (except after "sqlite:", which has no passwords). With no
 * '@' at all, "scheme://user:SECRET" may be a URL whose "@host" was
 * forgotten: see find_loose_password. */
static int find_password(const char *url, size_t *start, size_t *end, int *ambiguous)
{
	int has;
	const char *rest = url + after_scheme(url, &has);
	*ambiguous = !has;
	if (!has) {
		const char *c = strchr(url, ':');
		if (!c)
			return 0;
		const char *at = strrchr(c, '@');
		if (!at && sqlite_scheme(url, c))
			return 0;
		*start = (size_t)(c + 1 - url);
		*end = at ? (size_t)(at - url) : strlen(url);
		return 1;
	}
	const char *at = strchr(rest, '@');
	if (!at)
		return find_loose_password(url, start, end);
	const char *last = strrchr(rest, '@');
	if (at != last || (size_t)(at - rest) > strcspn(rest, "/?")) {
		*ambiguous = 1;
		at = last;
	}
	const char *c = memchr(rest, ':', (size_t)(at - rest));
	if (!c)
		return 0;
	*start = (size_t)(c + 1 - url);
	*end = (size_t)(at - url);
	return 1;
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

/* Marks in mask (one byte per byte of url, and one for its end) what may
 * be a password, 1 for each of its bytes, or 2 where an empty one sits: the
 * userinfo password (see find_password), and the value of every query
 * parameter whose name contains "password" (password, sslpassword, ...),
 * with any '&'-separated pieces after it that are no "key=value" (an
 * unencoded '&' in the value). The query starts at the first '?' after
 * the scheme: when the URL is ambiguous, that may lie inside the userinfo,
 * which hides more, never less. */
static void mark_secrets(const char *url, char *mask)
{
	size_t ps, pe;
	int ambiguous, has;
	if (find_password(url, &ps, &pe, &ambiguous)) {
		memset(mask + ps, 1, pe - ps);
		if (pe == ps)
			mask[ps] = mask[ps] ? mask[ps] : 2;
	}
	const char *q = strchr(url + after_scheme(url, &has), '?');
	int secret = 0;
	for (const char *p = q; p && *p;) {
		p++; /* the '?' or '&' */
		size_t n = strcspn(p, "&"), k = strcspn(p, "&="), value = 0;
		if (k < n) {
			secret = secret_key(p, k);
			value = k + 1;
		} /* else no '=': more of the value before it */
		if (secret && n > value && value)
			memset(mask + (p - url) + value, 1, n - value);
		else if (secret && n > value)
			memset(mask + (p - url) - 1, 1, n + 1); /* with its '&' */
		else if (secret && value && !mask[p - url + value])
			mask[p - url + value] = 2;
		p += n;
	}
}

/* The URL with what mark_secrets finds replaced by "***" (each run of
 * it); with keep_length, by as many '*' as it has bytes, so that
 * positions stay where they were. */
static char *redact_with(const char *url, int keep_length)
{
	size_t n = strlen(url);
	char *mask = xcalloc(n + 1, 1);
	mark_secrets(url, mask);
	sbuf b = SBUF_INIT;
	for (size_t i = 0; i <= n;) {
		if (mask[i] == 2)
			add_stars(&b, 0, keep_length);
		if (mask[i] != 1) {
			if (i < n)
				sb_addc(&b, url[i]);
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && mask[j] == 1)
			j++;
		add_stars(&b, j - i, keep_length);
		i = j;
	}
	free(mask);
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

/* A URL that breaks find_password's rule is refused (its redacted form
 * hides everything that may be the password); with percent, so is a bad
 * %XX escape, which libpq would quote (it decodes every part of a URL). */
static int check_uri(const char *uri, const db_url *out, int percent, retort_error *err)
{
	size_t ps, pe;
	int ambiguous;
	find_password(uri, &ps, &pe, &ambiguous);
	if (ambiguous)
		return rt_error(err, RETORT_EUSAGE, NULL, 0,
		                "invalid database URL '%s': percent-encode '@', '/' and '?' in the "
		                "password (as %%40, %%2F, %%3F); only the '@' before the host may be "
		                "left as it is",
		                out->redacted);
	for (const char *p = uri; percent && (p = strchr(p, '%')) != NULL; p++) {
		if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
			return rt_error(err, RETORT_EUSAGE, NULL, 0,
			                "invalid database URL '%s': a '%%' must start a %%XX escape "
			                "(write a '%%' itself as %%25)",
			                out->redacted);
		if (p[1] == '0' && p[2] == '0')
			return rt_error(err, RETORT_EUSAGE, NULL, 0,
			                "invalid database URL '%s': %%00 (a NUL byte) is not allowed",
			                out->redacted);
	}
	return RETORT_OK;
}

static int parse_pg(const char *rest, db_url *out, retort_error *err)
{
	out->conninfo = xasprintf("postgresql://%s", rest);
	if (check_uri(out->conninfo, out, 1, err))
		return RETORT_EUSAGE;
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
				/* What libpq calls the port may be part of the
				 * password: it is shown only when the URL with its
				 * passwords masked has it too. With no '@' at all, the
				 * "port" is likely a password whose "@host" was
				 * forgotten (see find_loose_password): the hint says
				 * how to write one. */
				char *masked = redact_with(out->conninfo, 1);
				char *mport = option_value(masked, "port");
				size_t ps, pe;
				int loose = !strchr(out->conninfo, '@') &&
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
	int ambiguous;
	if (safe && find_password(out->conninfo, &ps, &pe, &ambiguous) && pe > ps) {
		char *pw = xstrndup(out->conninfo + ps, pe - ps);
		safe = !strstr(msg, pw);
		free(pw);
	}
	if (safe) {
		size_t n = strlen(msg);
		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = 0;
	}
	rt_error(err, RETORT_EUSAGE, NULL, 0, "invalid database URL '%s': %s", out->redacted,
	         safe ? msg
	              : "libpq cannot parse it (its reason may quote the password, so it is not "
	                "shown): check the percent-encoding of the password");
	PQfreemem(msg);
	return RETORT_EUSAGE;
}

static int parse_url(const char *url, db_url *out, retort_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!url)
		url = "";
	/* A newline (say) would break the one-line error and log formats;
	 * the URL is not shown, as the byte may sit inside its password. */
	for (size_t i = 0; url[i]; i++)
		if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f)
			return rt_error(err, RETORT_EUSAGE, NULL, 0,
			                "invalid database URL: it contains a control character "
			                "(byte 0x%02x at offset %zu); remove it",
			                (unsigned)(unsigned char)url[i], i);
	int has;
	size_t off = after_scheme(url, &has);
	/* "host=h password=p dbname=d": libpq's keyword form. Not a URL that
	 * SPEC §2 knows, and its values are not shown: one is a password. */
	if (!has && strchr(url, '='))
		return rt_error(err, RETORT_EUSAGE, NULL, 0,
		                "the database URL looks like a libpq keyword string ('host=... "
		                "dbname=...'), which retort does not read: write it as a URL, "
		                "postgresql://user:password@host:port/dbname");
	out->redacted = redact(url);
	size_t slen = has ? off - 3 : 0;
	if (slen == 0) {
		rt_error(err, RETORT_EUSAGE, NULL, 0,
		         "invalid database URL '%s' (expected scheme://...: sqlite:///relative.db, "
		         "sqlite:////absolute.db, sqlite:// or postgresql://user:password@host/db)",
		         out->redacted);
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
	const char *rest = url + off;
	int rc = RETORT_OK;
	if (strcmp(base, "sqlite") == 0) {
		out->scheme = xstrdup("sqlite");
		/* A file name holds no password: shown as it is, even with an
		 * '@' or ':' in it ("sqlite+pysqlcipher://:key@/x.db" is not
		 * such a URL, and keeps its key hidden). */
		if ((rest[0] == '/' || rest[0] == 0) && !strchr(rest, '?')) {
			free(out->redacted);
			out->redacted = xstrdup(url);
		}
		rc = parse_sqlite(rest, out, err);
	} else if (strcmp(base, "postgresql") == 0 || strcmp(base, "postgres") == 0) {
		out->scheme = xstrdup("postgresql");
		rc = parse_pg(rest, out, err);
	} else if (strcmp(base, "mysql") == 0 || strcmp(base, "mariadb") == 0) {
		out->scheme = xstrdup("mysql");
		out->conninfo = xasprintf("mysql://%s", rest);
		rc = check_uri(out->conninfo, out, 0, err);
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

int url_parse(const char *url, db_url *out, retort_error *err)
{
	int rc = parse_url(url, out, err);
	if (rc && err)
		err->reason = RETORT_R_URL;
	return rc;
}

char *url_display(const db_url *u)
{
	if (!u->scheme || strcmp(u->scheme, "sqlite") != 0 || !u->path)
		return xstrdup(u->redacted ? u->redacted : "");
	if (strcmp(u->path, ":memory:") == 0)
		return xstrdup("sqlite:// (in memory)");
	if (u->path[0] == '/')
		return xasprintf("sqlite:///%s", u->path);
	const char *path = u->path;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	char *cwd = getcwd(NULL, 0);
	char *s = cwd ? xasprintf("sqlite:///%s/%s", strcmp(cwd, "/") ? cwd : "", path)
	              : xasprintf("sqlite:///%s", u->path);
	free(cwd);
	return s;
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
