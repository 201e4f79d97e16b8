/*
 * sync.c: `sync [TARGET]` (SPEC §9), which puts a database under version
 * control and upgrades it, never guessing where an unversioned database
 * stands:
 *   - version table present: a plain upgrade (--baseline is ignored, so
 *     one `sync --baseline REV` line serves every run of a deployment);
 *   - no version table, no user tables: created from base, upgraded;
 *   - no version table but user tables: refused (exit 1), naming the two
 *     commands that say which revision the schema is at: `retort stamp
 *     REV` or `retort sync --baseline REV`, which stamps REV and then
 *     upgrades.
 * User tables are found with the driver's inspect (retort's own tables
 * left out); the version table with table_exists in the store's schema.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* The user tables and views of the database's schema, sorted; *nviews
 * of them are views. */
static int user_tables(retort_project *p, retort_db *db, strvec *out, size_t *nviews,
                       retort_error *err)
{
	strvec skip = STRVEC_INIT;
	sv_push(&skip, p->cfg.version_table);
	sv_push(&skip, "retort_history");
	sv_push(&skip, "retort_lock");
	sch_model m;
	dialect kind = db->drv->sql->kind;
	sch_model_init(&m, kind, kind == DIALECT_SQLITE ? "main" : NULL);
	int rc = db->drv->inspect(db->conn, NULL, &skip, &m, err);
	for (size_t i = 0; !rc && i < m.ntables; i++)
		sv_push(out, m.tables[i].name);
	for (size_t i = 0; !rc && i < m.nviews; i++)
		sv_push(out, m.views[i].name);
	*nviews = rc ? 0 : m.nviews;
	sv_sort(out);
	sch_model_free(&m);
	sv_free(&skip);
	return rc;
}

/* "3 tables", "1 table and 2 views", "1 view". */
static char *count_objects(size_t ntables, size_t nviews)
{
	if (!nviews)
		return xasprintf("%zu table%s", ntables, ntables == 1 ? "" : "s");
	if (!ntables)
		return xasprintf("%zu view%s", nviews, nviews == 1 ? "" : "s");
	return xasprintf("%zu table%s and %zu view%s", ntables, ntables == 1 ? "" : "s", nviews,
	                 nviews == 1 ? "" : "s");
}

/* Parses a sub-operation's JSON document (or null) for sync's. */
static json_t *sub_doc(char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	return j ? j : json_null();
}

int retort_sync(retort_project *p, retort_db *db, const char *target,
                const retort_sync_options *o, char **out, retort_error *err)
{
	retort_sync_options defaults = RETORT_SYNC_OPTIONS_INIT;
	if (!o)
		o = &defaults;
	if (out)
		*out = NULL;
	if (!target)
		target = "heads";
	if (!*target)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		               "a target revision is required");
	if (o->baseline && !*o->baseline)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		               "empty --baseline: name the revision the database's schema is at");
	if (!db)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONNECT, NULL, 0, "no database connection");
	/* A baseline that names no revision is a usage error before anything
	 * is looked at. */
	if (o->baseline && strcmp(o->baseline, "base") != 0) {
		int k;
		int rc = target_resolve_one(&p->g, o->baseline, &k, err);
		if (rc) {
			if (!err->reason)
				err->reason = RETORT_R_TARGET;
			return rc;
		}
	}

	int versioned = 0;
	strvec tables = STRVEC_INIT;
	size_t nviews = 0;
	const char *state = "versioned";
	int rc = db->drv->table_exists(db->conn, db->st.schema, db->st.vt_name, &versioned, err);
	if (!rc && !versioned)
		rc = user_tables(p, db, &tables, &nviews, err);
	if (rc) {
		sv_free(&tables);
		return rc;
	}
	retort_run_options ro = RETORT_RUN_OPTIONS_INIT;
	ro.format = o->format;
	char *stamp_out = NULL, *up_out = NULL;
	int stamped = 0;
	if (versioned) {
		state = "versioned";
		if (o->baseline)
			rt_log(&p->log, RETORT_LOG_INFO,
			       "The database has a version table; --baseline %s is not needed.",
			       o->baseline);
	} else if (!tables.n) {
		state = "empty";
		rt_log(&p->log, RETORT_LOG_INFO,
		       "The database has no version table and no tables: creating it from base%s%s%s",
		       o->baseline ? " (--baseline " : ".", o->baseline ? o->baseline : "",
		       o->baseline ? " is for a database that already has its schema)." : "");
	} else if (o->baseline) {
		state = "unversioned";
		char *what = count_objects(tables.n - nviews, nviews);
		rt_log(&p->log, RETORT_LOG_INFO,
		       "The database has %s and no version table: stamping baseline %s.", what,
		       o->baseline);
		free(what);
		rc = retort_stamp(p, db, o->baseline, &ro, o->format == RETORT_FORMAT_JSON ? &stamp_out : NULL,
		                  err);
		stamped = !rc;
	} else {
		sbuf names = SBUF_INIT;
		for (size_t i = 0; i < tables.n && i < 5; i++)
			sb_addf(&names, "%s%s", i ? ", " : "", tables.v[i]);
		if (tables.n > 5)
			sb_addf(&names, ", and %zu more", tables.n - 5);
		char *what = count_objects(tables.n - nviews, nviews);
		rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_UNVERSIONED, NULL, 0,
		             "the database has %s (%s) but no version table %s: retort will not "
		             "guess which revision its schema is at. Run 'retort stamp REV' (then "
		             "'retort upgrade'), or 'retort sync --baseline REV', naming the revision "
		             "its schema matches",
		             what, sb_str(&names), db->st.vt_name);
		free(what);
		sb_free(&names);
	}
	if (!rc)
		rc = retort_upgrade(p, db, target, &ro, o->format == RETORT_FORMAT_JSON ? &up_out : NULL,
		                    err);
	if (!rc && out && o->format == RETORT_FORMAT_JSON) {
		json_t *doc = json_object(), *t = json_array();
		for (size_t i = 0; i < tables.n; i++)
			json_array_append_new(t, json_string(tables.v[i]));
		json_object_set_new(doc, "operation", json_string("sync"));
		json_object_set_new(doc, "state", json_string(state));
		json_object_set_new(doc, "tables", t);
		json_object_set_new(doc, "baseline",
		                    stamped ? json_string(o->baseline) : json_null());
		json_object_set_new(doc, "stamp", sub_doc(stamp_out));
		json_object_set_new(doc, "upgrade", sub_doc(up_out));
		stamp_out = up_out = NULL;
		*out = json_finish(doc);
	}
	free(stamp_out);
	free(up_out);
	sv_free(&tables);
	return rc;
}
