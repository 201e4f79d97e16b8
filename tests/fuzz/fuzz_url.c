/*
 * fuzz_url.c: url_parse on arbitrary text (up to a NUL). Whatever the user
 * meant to be the password must not show, in the redacted URL, the
 * display form or an error message (SPEC §2): no character of it that
 * could not have come from elsewhere (see leaks()). As a password may
 * hold unencoded '@', '/' and '?' (which url.c refuses), every reading is
 * checked: in scheme://user:PASSWORD@..., and in text without "scheme://"
 * from its first ':', the password may end at any later '@' (3 or more
 * characters); in a keyword string, "password=VALUE".
 */
#include "fuzz_common.h"

/* Every fixed piece of wording an URL error message is made of: url.c's
 * formats and the libpq URI parser messages url.c may pass on. */
static const char *const wording[] = {
	"invalid database URL '", "': ", "query parameters are not supported in SQLite URLs: '",
	"invalid SQLite URL '",
	"' (expected sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite://)",
	"unsupported database URL scheme '", "' in ", "postgresql://",
	"' (expected scheme://...: sqlite:///relative.db, sqlite:////absolute.db, sqlite:// or "
	"postgresql://user:password@host/db)",
	"': percent-encode '@', '/' and '?' in the password (as %40, %2F, %3F); only the '@' "
	"before the host may be left as it is",
	"invalid database URL: it contains a control character (byte 0x", " at offset ",
	"); remove it",
	"the database URL looks like a libpq keyword string ('host=... dbname=...'), which "
	"retort does not read: write it as a URL, postgresql://user:password@host:port/dbname",
	"': a '%' must start a %XX escape (write a '%' itself as %25)",
	"': %00 (a NUL byte) is not allowed",
	"': libpq cannot parse it (its reason may quote the password, so it is not shown): "
	"check the percent-encoding of the password",
	"invalid port '", "' in database URL '", "' (use 1-65535)",
	"invalid port in database URL '", "' (use 1-65535; a password goes in user:password@host)",
	"invalid URI propagated to internal parser routine",
	"end of string reached when looking for matching \"]\" in IPv6 host address in URI",
	"IPv6 host address may not be empty in URI",
	"unexpected character \"", "\" at position ", " in URI (expected \":\" or \"/\")",
	"extra key/value separator \"=\" in URI query parameter: \"",
	"missing key/value separator \"=\" in URI query parameter: \"",
	"invalid URI query parameter: \"", "invalid percent-encoded token: \"",
	"forbidden value %00 in percent-encoded value: \"", "invalid connection option \"",
	"out of memory", "\"", "password=***", " (in memory)",
};

/* Where a password that ends at some '@' would start: just past the ':'
 * of scheme://user: (user: no ':', '/' or '@'), or, without "scheme://",
 * past the first ':'. 0 when there is none. */
static size_t password_start(const char *u)
{
	const char *p = u;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '_' || *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0) {
		const char *c = strchr(u, ':');
		return c ? (size_t)(c + 1 - u) : 0;
	}
	p += 3;
	while (*p && !strchr(":/@", *p))
		p++;
	return *p == ':' ? (size_t)(p + 1 - u) : 0;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* The byte "%XX" at url[i] decodes to (libpq decodes the URL), or -1. */
static int percent_byte(const char *url, size_t i)
{
	if (url[i] != '%' || hexval(url[i + 1]) < 0 || hexval(url[i + 2]) < 0)
		return -1;
	return hexval(url[i + 1]) * 16 + hexval(url[i + 2]);
}

/* Whether s shows any character that can only have come from the
 * password: one that occurs in the password but nowhere else in the URL,
 * raw or percent-decoded, nor in a message's fixed wording, nor among the
 * digits of a position; a percent-escape in the password counts as the
 * byte it decodes to as well.
 * (A password made only of such shared characters proves nothing either
 * way and is not checked; the fuzzer soon finds ones that are not.) */
static int leaks(const char *s, const char *url, size_t ps, size_t pe)
{
	unsigned char other[256] = {0}, only[256] = {0};
	/* What the rest of the URL shows, raw or percent-decoded. */
	for (size_t i = 0; url[i]; i++)
		if (i < ps || i >= pe) {
			other[(unsigned char)url[i]] = 1;
			int b = percent_byte(url, i);
			if (b >= 0)
				other[b] = 1;
		}
	for (size_t w = 0; w < sizeof(wording) / sizeof(wording[0]); w++)
		for (const char *p = wording[w]; *p; p++)
			other[(unsigned char)*p] = 1;
	for (const char *p = "0123456789-"; *p; p++)
		other[(unsigned char)*p] = 1;
	int any = 0;
	for (size_t i = ps; i < pe; i++) {
		if (!other[(unsigned char)url[i]])
			any = only[(unsigned char)url[i]] = 1;
		int b = i + 2 < pe ? percent_byte(url, i) : -1;
		if (b > 0 && !other[b])
			any = only[b] = 1;
	}
	if (!any)
		return 0;
	for (const char *p = s; *p; p++)
		if (only[(unsigned char)*p])
			return 1;
	return 0;
}

/* Every reading of the password of url (see the top of the file) is
 * absent from s. */
static void check_hidden(const char *s, const char *what, const char *url)
{
	size_t ps = password_start(url);
	for (size_t pe = ps; ps && url[pe]; pe++) {
		if (url[pe] != '@' || pe - ps < 3)
			continue;
		if (leaks(s, url, ps, pe)) {
			char *pw = strndup(url + ps, pe - ps);
			FUZZ_CHECK(0, "password '%s' in %s '%s'", pw, what, s);
		}
	}
	/* libpq keywords: password=VALUE (VALUE up to a blank) */
	if (strstr(url, "://"))
		return;
	for (const char *k = url; (k = strstr(k, "password")) != NULL; k++) {
		const char *v = k + 8;
		while (*v == ' ')
			v++;
		if (*v++ != '=')
			continue;
		while (*v == ' ')
			v++;
		size_t vs = (size_t)(v - url), ve = vs + strcspn(v, " ");
		if (ve - vs >= 3 && leaks(s, url, vs, ve)) {
			char *pw = strndup(url + vs, ve - vs);
			FUZZ_CHECK(0, "keyword password '%s' in %s '%s'", pw, what, s);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = fuzz_cstr(data, size);
	db_url u;
	retort_error err = {0};
	int rc = url_parse(url, &u, &err);
	fuzz_check_error(rc, &err);
	if (rc == RETORT_OK) {
		FUZZ_CHECK(u.scheme && u.redacted, "scheme or redacted URL missing");
		if (strcmp(u.scheme, "sqlite") == 0)
			FUZZ_CHECK(u.path && u.path[0], "sqlite URL without a path");
		else
			FUZZ_CHECK(u.conninfo != NULL, "%s URL without conninfo", u.scheme);
		check_hidden(u.redacted, "redacted URL", url);
		char *shown = url_display(&u);
		FUZZ_CHECK(!strchr(shown, '\n'), "newline in display form '%s'", shown);
		if (strcmp(u.scheme, "sqlite") != 0)
			check_hidden(shown, "display form", url);
		free(shown);
	} else {
		FUZZ_CHECK(!u.scheme && !u.path && !u.conninfo && !u.redacted,
		           "fields left after an error");
		check_hidden(err.message, "error", url);
	}
	url_free(&u);
	free(url);
	return 0;
}
