/*
 * config.c: reading retort.ini (SPEC §3) with inih. Only the [retort]
 * section is ours; other sections (an Alembic-style [loggers] block, say)
 * are left alone. In [retort], whatever Python's configparser (which reads
 * alembic.ini) would refuse, or would read differently from inih, is an
 * error with file:line: an unknown key (a misspelt `allow_downgrade`
 * silently ignored is a policy hole), a key given twice, an indented line
 * (configparser's continuation line), settings before any section, a
 * second [retort] section. A UTF-8 BOM and CRLF line ends are accepted.
 *
 * inih reads into a fixed line buffer (INI_MAX_LINE, 200 bytes in
 * Debian's build) and reads a longer line as several, so a long URL used
 * to be a "syntax error" on a later line. The file is read here and handed
 * to inih line by line (ini_parse_stream); a line too long for its buffer
 * is passed with its value swapped for a short token that on_entry swaps
 * back, so inih still does all the parsing of keys and sections.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

/* Far more than any retort.ini; stops `-c /dev/zero` or a database file. */
#define CONFIG_MAX_BYTES (1 << 20)

/* Starts the stand-in for the value of a line too long for inih. Control
 * characters are refused in the file, so no real value starts with it. */
#define LONG_VALUE '\x01'

enum key_id {
	K_SCRIPT_LOCATION,
	K_URL,
	K_VERSION_TABLE,
	K_VERSION_TABLE_SCHEMA,
	K_TRANSACTION_PER_MIGRATION,
	K_ALLOW_DOWNGRADE,
	K_TARGET_SCHEMA,
	K_LOCK,
	K_LOCK_TIMEOUT,
	K_LOCK_LEASE,
	K_DDL_LOCK_TIMEOUT,
	K_DDL_LOCK_RETRIES,
	K_COUNT
};

/* Keys are matched in any case, as configparser does. */
static const struct {
	const char *name;
	enum key_id id;
} known_keys[] = {
	{"script_location", K_SCRIPT_LOCATION},
	{"url", K_URL},
	{"sqlalchemy.url", K_URL}, /* alembic.ini's name for it */
	{"version_table", K_VERSION_TABLE},
	{"version_table_schema", K_VERSION_TABLE_SCHEMA},
	{"transaction_per_migration", K_TRANSACTION_PER_MIGRATION},
	{"allow_downgrade", K_ALLOW_DOWNGRADE},
	{"target_schema", K_TARGET_SCHEMA},
	{"lock", K_LOCK},
	{"lock_timeout", K_LOCK_TIMEOUT},
	{"lock_lease", K_LOCK_LEASE},
	{"ddl_lock_timeout", K_DDL_LOCK_TIMEOUT},
	{"ddl_lock_retries", K_DDL_LOCK_RETRIES},
};

struct parse_state {
	config *c;
	const char *here; /* absolute directory of the file, for %(here)s */
	/* the text, and the reader's place in it */
	const char *next, *end;
	int lineno;        /* of the line last handed to inih */
	const char *line;  /* that line, without its line end */
	size_t line_len;
	strvec long_values; /* raw values of lines too long for inih */
	int retort_line;    /* of the first [retort] header; 0: none yet */
	char other_section[64]; /* the first section that is not [retort] */
	int key_line[K_COUNT];  /* where each key was set */
	retort_error err;   /* the first problem found (err.line 0: none) */
};

static void fail(struct parse_state *st, int line, const char *fmt, ...) RT_PRINTF(3, 4);
static void fail(struct parse_state *st, int line, const char *fmt, ...)
{
	if (st->err.line)
		return; /* report the first problem only */
	char msg[sizeof(st->err.message)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rt_error(&st->err, RETORT_EUSAGE, st->c->path, line, "%s", msg);
}

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Notes the section a header line opens (inih parses it too; this only
 * tells which sections the file has). */
static void note_section(struct parse_state *st, const char *s, size_t n)
{
	const char *e = s + n;
	while (s < e && is_blank(*s))
		s++;
	if (s == e || *s != '[')
		return;
	const char *rb = memchr(s, ']', (size_t)(e - s));
	if (!rb)
		return; /* inih reports it */
	size_t len = (size_t)(rb - s - 1);
	if (len == 6 && memcmp(s + 1, "retort", 6) == 0) {
		if (st->retort_line)
			fail(st, st->lineno,
			     "a second [retort] section (the first is on line %d): merge them",
			     st->retort_line);
		else
			st->retort_line = st->lineno;
	} else if (!st->other_section[0]) {
		snprintf(st->other_section, sizeof(st->other_section), "%.*s",
		         (int)(len < 60 ? len : 60), s + 1);
	}
}

/* inih's fgets-like reader: one line of the file per call, with "\n".
 * A line longer than buf is passed as "<key>= <LONG_VALUE><index>" and
 * its value kept in long_values; a long comment as ";". */
static char *read_line(char *buf, int num, void *stream)
{
	struct parse_state *st = stream;
	if (st->err.line || st->next >= st->end)
		return NULL;
	if (num < 32) {
		fail(st, st->lineno + 1, "inih's line buffer is too small (%d bytes)", num);
		return NULL;
	}
	const char *s = st->next;
	const char *nl = memchr(s, '\n', (size_t)(st->end - s));
	size_t n = (size_t)((nl ? nl : st->end) - s);
	st->next = nl ? nl + 1 : st->end;
	st->lineno++;
	if (n && s[n - 1] == '\r')
		n--; /* CRLF */
	if (st->lineno == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		s += 3, n -= 3; /* UTF-8 BOM, as Notepad writes */
	st->line = s;
	st->line_len = n;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			if (ch == 0)
				fail(st, st->lineno, "NUL byte in the config file (is it a text file?)");
			else
				fail(st, st->lineno,
				     "control character 0x%02x in the config file (%s)", ch,
				     ch == '\r' ? "a carriage return inside a line" : "is it a text file?");
			return NULL;
		}
	}
	note_section(st, s, n);
	if (st->err.line)
		return NULL;
	size_t room = (size_t)num - 2; /* for "\n" and the NUL */
	if (n <= room) {
		memcpy(buf, s, n);
		memcpy(buf + n, "\n", 2);
		return buf;
	}
	const char *t = s, *e = s + n;
	while (t < e && is_blank(*t))
		t++;
	if (t == e || *t == ';' || *t == '#') {
		memcpy(buf, t == e ? "\n" : ";\n", t == e ? 2 : 3); /* blank, or a comment */
		return buf;
	}
	if (*t == '[') {
		/* "[retort]   ; a long comment" */
		const char *rb = memchr(t, ']', (size_t)(e - t));
		if (!rb || (size_t)(rb + 1 - s) > room) {
			fail(st, st->lineno, "section name too long (%zu characters on the line)", n);
			return NULL;
		}
		memcpy(buf, s, (size_t)(rb + 1 - s));
		memcpy(buf + (rb + 1 - s), "\n", 2);
		return buf;
	}
	/* inih splits at the first '=' or ':' */
	size_t sep = 0;
	while (sep < n && s[sep] != '=' && s[sep] != ':')
		sep++;
	char token[32];
	int tn = snprintf(token, sizeof(token), " %c%zu\n", LONG_VALUE, st->long_values.n);
	if (sep >= n || sep + 1 + (size_t)tn + 1 > (size_t)num) {
		/* no '=' at all: inih reports this line; a key this long is
		 * not one of ours */
		if (sep >= n) {
			memcpy(buf, s, room);
			memcpy(buf + room, "\n", 2);
			return buf;
		}
		fail(st, st->lineno, "key too long (%zu characters before the '%c')", sep, s[sep]);
		return NULL;
	}
	sv_push_owned(&st->long_values, xstrndup(s + sep + 1, n - sep - 1));
	memcpy(buf, s, sep + 1);
	memcpy(buf + sep + 1, token, (size_t)tn + 1);
	return buf;
}

/* The value of a long line as inih would have given it: leading blanks
 * off, a ';' comment after a blank off, trailing blanks off. */
static char *long_value(const char *raw)
{
	size_t n = 0;
	for (int was_blank = 0; raw[n] && !(was_blank && raw[n] == ';'); n++)
		was_blank = is_blank(raw[n]);
	while (n && is_blank(raw[n - 1]))
		n--;
	while (n && is_blank(*raw))
		raw++, n--;
	return xstrndup(raw, n);
}

static int parse_bool(const char *v, int *out)
{
	static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* configparser's interpolation, as Alembic uses it: %(here)s is the
 * config file's directory (absolute) and %% a '%'. Any other '%' stays as
 * it is (retort.ini URLs have always held %40 and the like); another
 * %(name)s is an error, not passed on. NULL on error. */
static char *interpolate(struct parse_state *st, const char *name, const char *v)
{
	sbuf b = SBUF_INIT;
	for (const char *p = v; *p; p++) {
		if (p[0] != '%') {
			sb_addc(&b, *p);
		} else if (p[1] == '%') {
			sb_addc(&b, '%');
			p++;
		} else if (strncmp(p, "%(here)s", 8) == 0) {
			sb_adds(&b, st->here);
			p += 7;
		} else if (p[1] == '(') {
			/* the name is not shown: it may sit in a password */
			fail(st, st->lineno,
			     "'%s': '%%(' starts an interpolation, and retort knows only %%(here)s "
			     "(write a '%%' itself as %%%%)",
			     name);
			sb_free(&b);
			return NULL;
		} else {
			sb_addc(&b, '%');
		}
	}
	return sb_detach(&b);
}

static void set_str(char **dst, char *v)
{
	free(*dst);
	*dst = v;
}

static int on_entry(void *ud, const char *section, const char *name, const char *value)
{
	struct parse_state *st = ud;
	config *c = st->c;
	if (st->err.line)
		return 1; /* reported already */
	if (!*section) {
		fail(st, st->lineno, "'%s' comes before any section: put the settings under a "
		     "[retort] line", name);
		return 0;
	}
	if (strcmp(section, "retort") != 0)
		return 1;
	if (st->line_len && is_blank(st->line[0])) {
		/* inih, like configparser, takes an indented line after a
		 * key as more of its value: "  lock = none" would be part of
		 * the url. */
		fail(st, st->lineno, "indented line in [retort]: start it at the beginning of the "
		     "line (a value cannot go on over several lines)");
		return 0;
	}
	int id = -1;
	for (size_t i = 0; i < sizeof(known_keys) / sizeof(known_keys[0]) && id < 0; i++)
		if (strcasecmp(name, known_keys[i].name) == 0)
			id = (int)known_keys[i].id;
	if (id < 0) {
		fail(st, st->lineno, "unknown key '%.100s' in [retort]", name);
		return 0;
	}
	if (st->key_line[id]) {
		fail(st, st->lineno, "'%s' is set twice in [retort] (first on line %d): keep one",
		     name, st->key_line[id]);
		return 0;
	}
	st->key_line[id] = st->lineno;

	char *raw = NULL;
	if (value[0] == LONG_VALUE) {
		size_t i = strtoul(value + 1, NULL, 10);
		raw = long_value(i < st->long_values.n ? st->long_values.v[i] : "");
		value = raw;
	}
	char *v = interpolate(st, name, value);
	free(raw);
	if (!v)
		return 0;
	int ok = 1;
	switch ((enum key_id)id) {
	case K_SCRIPT_LOCATION:
	case K_VERSION_TABLE:
		if (!*v) {
			fail(st, st->lineno, "'%s' is empty", name);
			free(v);
			return 0;
		}
		set_str(id == K_SCRIPT_LOCATION ? &c->script_location : &c->version_table, v);
		return 1;
	case K_URL: /* empty: none, as if not set */
	case K_VERSION_TABLE_SCHEMA:
	case K_TARGET_SCHEMA: {
		char **dst = id == K_URL ? &c->url
		             : id == K_TARGET_SCHEMA ? &c->target_schema
		                                     : &c->version_table_schema;
		set_str(dst, *v ? v : NULL);
		if (!*v)
			free(v);
		return 1;
	}
	case K_TRANSACTION_PER_MIGRATION:
		ok = parse_bool(v, &c->transaction_per_migration) == 0;
		break;
	case K_ALLOW_DOWNGRADE:
		ok = parse_bool(v, &c->allow_downgrade) == 0;
		break;
	case K_LOCK:
		ok = !strcmp(v, "advisory") || !strcmp(v, "table") || !strcmp(v, "none");
		if (ok) {
			set_str(&c->lock, v);
			return 1;
		}
		break;
	case K_DDL_LOCK_TIMEOUT:
	case K_DDL_LOCK_RETRIES: {
		char *end;
		long n = strtol(v, &end, 10);
		ok = *v && !*end && n >= 0 && n <= (id == K_DDL_LOCK_TIMEOUT ? 3600 : 100);
		if (ok && id == K_DDL_LOCK_TIMEOUT)
			c->ddl_lock_timeout = (int)n;
		else if (ok)
			c->ddl_lock_retries = (int)n;
		break;
	}
	case K_LOCK_TIMEOUT:
	case K_LOCK_LEASE: {
		char *end;
		long n = strtol(v, &end, 10);
		ok = *v && !*end && n >= 0 && n <= 86400;
		if (ok && id == K_LOCK_TIMEOUT)
			c->lock_timeout = (int)n;
		else if (ok)
			c->lock_lease = n > 0 ? (int)n : 1;
		break;
	}
	case K_COUNT:
		break;
	}
	if (!ok)
		fail(st, st->lineno, "invalid value '%.200s' for '%s'", v, name);
	free(v);
	return ok;
}

/* The file's bytes (NUL-terminated), or an error naming it. */
static int read_config(const char *path, int explicit, char **text, size_t *len,
                       retort_error *err)
{
	*text = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (explicit)
			return rt_error(err, RETORT_EUSAGE, path, 0, "config file not found");
		return rt_error(err, RETORT_EUSAGE, NULL, 0,
		                "no retort.ini in the current directory (run 'retort init', or "
		                "pass -c FILE)");
	}
	if (fd < 0)
		return rt_error(err, RETORT_EUSAGE, path, 0, "cannot read config file: %s",
		                strerror(errno));
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return rt_error(err, RETORT_EUSAGE, path, 0,
		                "is a directory, not a config file (pass the file, e.g. -c "
		                "%s/retort.ini)",
		                path);
	}
	sbuf b = SBUF_INIT;
	char chunk[65536];
	ssize_t got;
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || b.len + (size_t)got > CONFIG_MAX_BYTES) {
			int e = got < 0 ? errno : 0;
			close(fd);
			sb_free(&b);
			if (e)
				return rt_error(err, RETORT_EUSAGE, path, 0,
				                "cannot read config file: %s", strerror(e));
			return rt_error(err, RETORT_EUSAGE, path, 0,
			                "config file larger than %d bytes: is it really a "
			                "retort.ini?", CONFIG_MAX_BYTES);
		}
		sb_add(&b, chunk, (size_t)got);
	}
	close(fd);
	*len = b.len;
	*text = sb_detach(&b);
	return RETORT_OK;
}

/* dir as an absolute path (caller frees). */
static char *absolute_dir(const char *dir)
{
	char *real = realpath(dir, NULL);
	if (real)
		return real;
	if (dir[0] == '/')
		return xstrdup(dir);
	char *cwd = getcwd(NULL, 0);
	char *abs = xasprintf("%s/%s", cwd ? cwd : ".", dir);
	free(cwd);
	return abs;
}

static int parse_text(config *c, const char *text, size_t len, retort_error *err)
{
	struct parse_state st = {.c = c, .next = text, .end = text + len};
	char *here = absolute_dir(c->dir);
	st.here = here;
	int rc = ini_parse_stream(read_line, &st, on_entry, &st);
	free(here);
	sv_free(&st.long_values);
	if (rc == -2)
		return rt_error(err, RETORT_EUSAGE, c->path, 0, "out of memory reading the file");
	/* inih reports the first line it could not parse, ours the first
	 * line with a problem of ours: whichever comes first. */
	if (rc > 0 && (!st.err.line || rc < st.err.line))
		return rt_error(err, RETORT_EUSAGE, c->path, rc,
		                "syntax error: not a '[section]', 'key = value' or comment line");
	if (st.err.line) {
		if (err)
			*err = st.err;
		return RETORT_EUSAGE;
	}
	if (!st.retort_line) {
		if (st.other_section[0])
			return rt_error(err, RETORT_EUSAGE, c->path, 0,
			                "no [retort] section (the file has [%s]): retort reads its "
			                "settings from [retort]",
			                st.other_section);
		return rt_error(err, RETORT_EUSAGE, c->path, 0,
		                "no [retort] section (run 'retort init' for a template)");
	}
	return RETORT_OK;
}

static void defaults(config *c)
{
	memset(c, 0, sizeof(*c));
	c->version_table = xstrdup("retort_version");
	c->transaction_per_migration = 1;
	c->allow_downgrade = 1;
	c->lock = xstrdup("advisory");
	c->lock_timeout = 60;
	c->lock_lease = 300;
	c->ddl_lock_timeout = 5;
	c->ddl_lock_retries = 3;
}

int config_from_settings(config *c, const char *const *settings, retort_error *err)
{
	defaults(c);
	c->dir = xstrdup(".");
	sbuf text = SBUF_INIT;
	sb_adds(&text, "[retort]\n");
	for (size_t i = 0; settings && settings[i]; i++) {
		if (strchr(settings[i], '\n') || strchr(settings[i], '\r')) {
			sb_free(&text);
			return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, NULL, 0,
			               "setting %zu holds a line break: give one 'key = value' per entry",
			               i + 1);
		}
		sb_addf(&text, "%s\n", settings[i]);
	}
	int rc = parse_text(c, sb_str(&text), text.len, err);
	sb_free(&text);
	if (rc && err)
		err->reason = RETORT_R_CONFIG;
	return rc;
}

static int load(config *c, const char *path, retort_error *err)
{
	defaults(c);
	int explicit = 1;
	if (!path || !*path)
		path = getenv("RETORT_CONFIG");
	if (!path || !*path) {
		path = "retort.ini";
		explicit = 0;
	}
	c->path = xstrdup(path);
	const char *slash = strrchr(path, '/');
	c->dir = slash ? xstrndup(path, (size_t)(slash - path + (slash == path))) : xstrdup(".");

	char *text;
	size_t len;
	int rc = read_config(path, explicit, &text, &len, err);
	if (rc)
		return rc;
	rc = parse_text(c, text, len, err);
	free(text);
	if (rc)
		return rc;
	if (!c->script_location)
		return rt_error(err, RETORT_EUSAGE, path, 0, "missing 'script_location' in [retort]");
	if (c->script_location[0] != '/' && strcmp(c->dir, ".") != 0) {
		char *abs = xasprintf("%s/%s", c->dir, c->script_location);
		set_str(&c->script_location, abs);
	}
	return RETORT_OK;
}

int config_load(config *c, const char *path, retort_error *err)
{
	int rc = load(c, path, err);
	if (rc && err)
		err->reason = RETORT_R_CONFIG;
	return rc;
}

void config_free(config *c)
{
	free(c->path);
	free(c->dir);
	free(c->script_location);
	free(c->url);
	free(c->version_table);
	free(c->version_table_schema);
	free(c->target_schema);
	free(c->lock);
	memset(c, 0, sizeof(*c));
}

/* url with a relative SQLite path joined to dir; NULL when it is not a
 * SQLite URL with a relative file path. */
static char *sqlite_relative_to(const char *url, const char *dir)
{
	size_t i = 0;
	while (url[i] && (isalnum((unsigned char)url[i]) || strchr("+._-", url[i])))
		i++;
	int sqlite = i >= 6 && strncasecmp(url, "sqlite", 6) == 0 && (i == 6 || url[6] == '+');
	if (!sqlite || strncmp(url + i, ":///", 4) != 0)
		return NULL; /* not SQLite, sqlite:// (memory), or invalid */
	const char *path = url + i + 4;
	if (!*path || path[0] == '/' || path[0] == '?' || strcmp(path, ":memory:") == 0)
		return NULL;
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	size_t dn = strlen(dir);
	return xasprintf("%.*s%s%s%s", (int)(i + 4), url, dir, dn && dir[dn - 1] == '/' ? "" : "/",
	                 path);
}

char *config_database_url(const config *c, const char *option, url_origin *origin)
{
	url_origin from = URL_FROM_OPTION;
	const char *url = option;
	if (!url || !*url) {
		url = getenv("DATABASE_URL");
		from = URL_FROM_ENV;
	}
	if (!url || !*url) {
		url = c->url;
		from = URL_FROM_CONFIG;
	}
	if (!url || !*url) {
		url = NULL;
		from = URL_FROM_NONE;
	}
	if (origin)
		*origin = from;
	if (!url)
		return NULL;
	char *joined = NULL;
	if (from == URL_FROM_CONFIG && c->dir && strcmp(c->dir, ".") != 0)
		joined = sqlite_relative_to(url, c->dir);
	return joined ? joined : xstrdup(url);
}
