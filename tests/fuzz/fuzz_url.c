/*
 * fuzz_url.c: url_parse on arbitrary text (up to a NUL). When the input
 * has the shape scheme://user:PASSWORD@... (a password of 3 or more
 * characters, ending at the first '@'), neither the redacted URL nor an
 * error message may show any of it (SPEC §2): no character of the
 * password that could not have come from elsewhere (see leaks()).
 */
#include "fuzz_common.h"

/* Every fixed piece of wording an URL error message is made of: url.c's
 * formats and the libpq URI parser messages url.c may pass on. */
static const char *const wording[] = {
	"invalid database URL '", "': ", "query parameters are not supported in SQLite URLs: '",
	"invalid SQLite URL '",
	"' (expected sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite://)",
	"unsupported database URL scheme '", "' in ", "postgresql://",
	"invalid URI propagated to internal parser routine",
	"end of string reached when looking for matching \"]\" in IPv6 host address in URI",
	"IPv6 host address may not be empty in URI",
	"unexpected character \"", "\" at position ", " in URI (expected \":\" or \"/\")",
	"extra key/value separator \"=\" in URI query parameter: \"",
	"missing key/value separator \"=\" in URI query parameter: \"",
	"invalid URI query parameter: \"", "invalid percent-encoded token: \"",
	"forbidden value %00 in percent-encoded value: \"", "invalid connection option \"",
	"out of memory", "\"", "password=***",
};

/* [*ps, *pe): the password of scheme://user:PASSWORD@..., or 0. */
static int password_span(const char *u, size_t *ps, size_t *pe)
{
	const char *p = u;
	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
	       *p == '+' || *p == '_' || *p == '-' || *p == '.')
		p++;
	if (p == u || strncmp(p, "://", 3) != 0)
		return 0;
	p += 3;
	while (*p && !strchr(":/@?", *p))
		p++;
	if (*p != ':')
		return 0;
	const char *at = strchr(p + 1, '@');
	if (!at || at - (p + 1) < 3)
		return 0;
	*ps = (size_t)(p + 1 - u);
	*pe = (size_t)(at - u);
	return 1;
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
	} else {
		FUZZ_CHECK(!u.scheme && !u.path && !u.conninfo && !u.redacted,
		           "fields left after an error");
	}
	size_t ps, pe;
	if (password_span(url, &ps, &pe)) {
		char *pw = strndup(url + ps, pe - ps);
		if (rc == RETORT_OK)
			FUZZ_CHECK(!leaks(u.redacted, url, ps, pe), "password '%s' in redacted URL '%s'",
			           pw, u.redacted);
		else
			FUZZ_CHECK(!leaks(err.message, url, ps, pe), "password '%s' in error '%s'", pw,
			           err.message);
		free(pw);
	}
	url_free(&u);
	free(url);
	return 0;
}
