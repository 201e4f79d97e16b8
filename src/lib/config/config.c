/*
 * config.c: reading retort.ini (SPEC §3) with inih. Only the [retort]
 * section is ours; other sections (an Alembic-style [loggers] block, say)
 * are left alone. Unknown keys in [retort] are an error with file:line,
 * because a misspelt `allow_downgrade` silently ignored is a policy hole.
 */
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

struct parse_state {
	config *c;
	char bad_key[128];
	char bad_value[256];
	const char *bad_reason;
};

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

/* Alembic configs use %(here)s for the config file's directory. */
static char *expand_here(const config *c, const char *v)
{
	sbuf b = SBUF_INIT;
	const char *p;
	while ((p = strstr(v, "%(here)s")) != NULL) {
		sb_add(&b, v, (size_t)(p - v));
		sb_adds(&b, c->dir);
		v = p + 8;
	}
	sb_adds(&b, v);
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
	if (strcmp(section, "retort") != 0)
		return 1;
	if (st->bad_reason)
		return 0; /* report the first problem only */
	char *v = expand_here(c, value);
	int ok = 1;
	if (strcmp(name, "script_location") == 0)
		set_str(&c->script_location, v), v = NULL;
	else if (strcmp(name, "url") == 0 || strcmp(name, "sqlalchemy.url") == 0)
		set_str(&c->url, v), v = NULL;
	else if (strcmp(name, "version_table") == 0)
		set_str(&c->version_table, v), v = NULL;
	else if (strcmp(name, "version_table_schema") == 0)
		set_str(&c->version_table_schema, v), v = NULL;
	else if (strcmp(name, "target_schema") == 0)
		set_str(&c->target_schema, v), v = NULL;
	else if (strcmp(name, "transaction_per_migration") == 0)
		ok = parse_bool(v, &c->transaction_per_migration) == 0;
	else if (strcmp(name, "allow_downgrade") == 0)
		ok = parse_bool(v, &c->allow_downgrade) == 0;
	else if (strcmp(name, "lock") == 0) {
		ok = !strcmp(v, "advisory") || !strcmp(v, "table") || !strcmp(v, "none");
		if (ok)
			set_str(&c->lock, v), v = NULL;
	} else if (strcmp(name, "lock_timeout") == 0 || strcmp(name, "lock_lease") == 0) {
		char *end;
		long n = strtol(v, &end, 10);
		ok = *v && !*end && n >= 0 && n <= 86400;
		if (ok && name[5] == 't')
			c->lock_timeout = (int)n;
		else if (ok)
			c->lock_lease = n > 0 ? (int)n : 1;
	} else {
		snprintf(st->bad_key, sizeof(st->bad_key), "%s", name);
		st->bad_reason = "unknown key";
		free(v);
		return 0;
	}
	if (!ok) {
		snprintf(st->bad_key, sizeof(st->bad_key), "%s", name);
		snprintf(st->bad_value, sizeof(st->bad_value), "%s", v);
		st->bad_reason = "invalid value";
	}
	free(v);
	return ok;
}

/* inih reports the line of a rejected entry only as the parse result. */
int config_load(config *c, const char *path, retort_error *err)
{
	memset(c, 0, sizeof(*c));
	c->version_table = xstrdup("retort_version");
	c->transaction_per_migration = 1;
	c->allow_downgrade = 1;
	c->lock = xstrdup("advisory");
	c->lock_timeout = 60;
	c->lock_lease = 300;
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

	if (access(path, F_OK) != 0) {
		if (explicit)
			return rt_error(err, RETORT_EUSAGE, path, 0, "config file not found");
		return rt_error(err, RETORT_EUSAGE, NULL, 0,
		                "no retort.ini in the current directory (run 'retort init', or "
		                "pass -c FILE)");
	}
	struct parse_state st = {.c = c};
	int rc = ini_parse(path, on_entry, &st);
	if (rc < 0)
		return rt_error(err, RETORT_EUSAGE, path, 0, "cannot read config file");
	if (rc > 0) {
		if (st.bad_reason && !st.bad_value[0])
			return rt_error(err, RETORT_EUSAGE, path, rc, "%s '%s' in [retort]",
			                st.bad_reason, st.bad_key);
		if (st.bad_reason)
			return rt_error(err, RETORT_EUSAGE, path, rc, "invalid value '%s' for '%s'",
			                st.bad_value, st.bad_key);
		return rt_error(err, RETORT_EUSAGE, path, rc, "syntax error");
	}
	if (!c->script_location || !*c->script_location)
		return rt_error(err, RETORT_EUSAGE, path, 0, "missing 'script_location' in [retort]");
	if (c->script_location[0] != '/' && strcmp(c->dir, ".") != 0) {
		char *abs = xasprintf("%s/%s", c->dir, c->script_location);
		set_str(&c->script_location, abs);
	}
	if (c->url && !*c->url)
		set_str(&c->url, NULL);
	if (c->version_table_schema && !*c->version_table_schema)
		set_str(&c->version_table_schema, NULL);
	if (!*c->version_table)
		return rt_error(err, RETORT_EUSAGE, path, 0, "'version_table' is empty");
	return RETORT_OK;
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
