/*
 * lint.c: `retort lint` (SPEC §8): every part of the chosen revisions
 * through sql/lint.c's rules, for the dialect of the project's URL, never
 * connecting. Each revision's sections are read in the order they run
 * (upgrade or expand, migrate, contract), so what one part creates is new
 * in the next; its downgrade starts afresh. The expand command calls
 * lint_project_revisions before touching the database.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static const int lint_sections[] = {SEC_UPGRADE, SEC_EXPAND, SEC_MIGRATE, SEC_CONTRACT,
                                    SEC_DOWNGRADE};

static lint_part part_of(int sec)
{
	return sec == SEC_MIGRATE     ? LINT_MIGRATE
	       : sec == SEC_CONTRACT  ? LINT_CONTRACT
	       : sec == SEC_DOWNGRADE ? LINT_DOWNGRADE
	                              : LINT_EXPAND;
}

static int collect(retort_project *p, const intvec *revs, dialect d, lint_findings *out,
                   retort_error *err)
{
	for (size_t i = 0; i < revs->n; i++) {
		const revision *r = p->g.revs[revs->v[i]];
		lint_state st = {0};
		for (size_t k = 0; k < sizeof(lint_sections) / sizeof(*lint_sections); k++) {
			int sec = lint_sections[k];
			if (!r->section[sec])
				continue;
			if (sec == SEC_DOWNGRADE)
				lint_state_downgrade(&st);
			stmt_list l = {0};
			int rc =
			    sql_split(d, r->section[sec], r->section_line[sec], r->path, &l, err);
			if (rc) {
				if (err && !err->reason)
					err->reason = RETORT_R_REVISION_FILE;
				lint_state_free(&st);
				return rc;
			}
			lint_section s = {.file = r->path,
			                  .text = r->section[sec],
			                  .first_line = r->section_line[sec],
			                  .stmts = &l,
			                  .part = part_of(sec),
			                  .transactional = r->transactional,
			                  .d = d};
			lint_run(&st, &s, out);
			stmt_list_free(&l);
		}
		lint_state_free(&st);
	}
	return RETORT_OK;
}

static const char *severity_name(lint_severity s)
{
	return s == LINT_ERROR ? "error" : "warning";
}

static int is_blocking(const lint_finding *f, int strict)
{
	return !f->allowed && (f->severity == LINT_ERROR || strict);
}

static void report_text(const lint_findings *f, sbuf *out)
{
	for (size_t i = 0; i < f->n; i++) {
		const lint_finding *x = &f->v[i];
		if (x->allowed)
			continue;
		sb_addf(out, "%s:%d: %s[%s]: %s", x->file, x->line, severity_name(x->severity),
		        x->rule, x->message);
		if (x->hint)
			sb_addf(out, " (%s)", x->hint);
		sb_addc(out, '\n');
	}
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].allowed)
			sb_addf(out, "%s:%d: allowed %s\n", f->v[i].file, f->v[i].line,
			        f->v[i].rule);
}

int lint_project_revisions(retort_project *p, const intvec *revs, dialect d, int strict,
                           sbuf *report, int *blocking, retort_error *err)
{
	lint_findings f = {0};
	*blocking = 0;
	int rc = collect(p, revs, d, &f, err);
	if (!rc) {
		for (size_t i = 0; i < f.n; i++)
			*blocking += is_blocking(&f.v[i], strict);
		if (report)
			report_text(&f, report);
	}
	lint_findings_free(&f);
	return rc;
}

/* ---- retort_lint ---------------------------------------------------------- */

/* text wrapped at width columns */
static void wrap(sbuf *out, const char *text, size_t width)
{
	size_t col = 0;
	const char *p = text;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		if (n == 2 && !strncmp(p, "--", 2) && p[2] == ' ') /* "-- +migrate" stays whole */
			n = 3 + strcspn(p + 3, " ");
		if (col && col + 1 + n > width) {
			sb_addc(out, '\n');
			col = 0;
		} else if (col) {
			sb_addc(out, ' ');
			col++;
		}
		sb_add(out, p, n);
		col += n;
		p += n;
	}
	sb_addc(out, '\n');
}

static int explain(const char *name, int json, char **out, retort_error *err)
{
	const lint_rule *r = lint_rule_find(name);
	if (!r) {
		sbuf names = SBUF_INIT;
		for (size_t i = 0; i < lint_nrules; i++)
			sb_addf(&names, "%s%s", i ? ", " : "", lint_rules[i].name);
		rt_fail(err, RETORT_EUSAGE, RETORT_R_NONE, NULL, 0,
		        "unknown lint rule '%s'; the rules are: %s", name, sb_str(&names));
		sb_free(&names);
		return RETORT_EUSAGE;
	}
	if (json) {
		json_t *doc = json_object();
		json_object_set_new(doc, "rule", json_string(r->name));
		json_object_set_new(doc, "severity", json_string(severity_name(r->severity)));
		json_object_set_new(doc, "summary", json_string(r->summary));
		json_object_set_new(doc, "doc", json_string(r->doc));
		*out = json_finish(doc);
		return RETORT_OK;
	}
	sbuf b = SBUF_INIT;
	sb_addf(&b, "%s (%s): %s\n\n", r->name, severity_name(r->severity), r->summary);
	wrap(&b, r->doc, 78);
	*out = sb_detach(&b);
	return RETORT_OK;
}

/* The URL's dialect without connecting; PostgreSQL's rules without a URL. */
static int lint_dialect(retort_project *p, const sql_dialect **out, retort_error *err)
{
	*out = &dialect_pg;
	if (!p->url) {
		rt_log(&p->log, RETORT_LOG_INFO, "No database URL: linting for PostgreSQL.");
		return RETORT_OK;
	}
	db_url u;
	int rc = project_url(p, &u, err);
	const sql_dialect *found = rc ? NULL : dialect_for_scheme(u.scheme);
	url_free(&u);
	if (rc)
		return rc;
	if (found)
		*out = found;
	return RETORT_OK;
}

static const char *dialect_label(dialect d)
{
	return d == DIALECT_SQLITE ? "SQLite" : d == DIALECT_MYSQL ? "MySQL" : "PostgreSQL";
}

static const char *dialect_json(dialect d)
{
	return d == DIALECT_SQLITE ? "sqlite" : d == DIALECT_MYSQL ? "mysql" : "postgresql";
}

/* The revisions the targets name (all without any), oldest first. */
static int select_revisions(retort_project *p, const char *const *targets, intvec *out,
                            retort_error *err)
{
	size_t n = p->g.n;
	unsigned char *mark = xcalloc(n ? n : 1, 1);
	int rc = RETORT_OK;
	if (!targets || !*targets)
		memset(mark, 1, n);
	for (size_t t = 0; targets && targets[t] && !rc; t++) {
		intvec none = INTVEC_INIT, revs = INTVEC_INIT;
		rc = target_resolve(&p->g, &none, targets[t], 1, &revs, err);
		if (rc && err && !err->reason)
			err->reason = RETORT_R_TARGET;
		for (size_t i = 0; !rc && i < revs.n; i++)
			if (revs.v[i] >= 0 && (size_t)revs.v[i] < n)
				mark[revs.v[i]] = 1;
		iv_free(&revs);
	}
	if (!rc) {
		intvec walk = INTVEC_INIT;
		graph_walk(&p->g, mark, &walk);
		for (size_t i = walk.n; i-- > 0;)
			iv_push(out, walk.v[i]);
		iv_free(&walk);
	}
	free(mark);
	return rc;
}

/* A JSON string, or a placeholder for text that is not UTF-8 (a path). */
static json_t *jtext(const char *s)
{
	json_t *v = s ? json_string(s) : json_null();
	return v ? v : json_string("(not UTF-8)");
}

static char *report_json(const lint_findings *f, dialect d, size_t nrevs, int ok)
{
	json_t *doc = json_object(), *fa = json_array(), *oa = json_array();
	for (size_t i = 0; i < f->n; i++) {
		const lint_finding *x = &f->v[i];
		json_t *o = json_object();
		json_object_set_new(o, "rule", json_string(x->rule));
		json_object_set_new(o, "severity", json_string(severity_name(x->severity)));
		json_object_set_new(o, "file", jtext(x->file));
		json_object_set_new(o, "line", json_integer(x->line));
		json_object_set_new(o, "message", jtext(x->message));
		json_object_set_new(o, "hint", jtext(x->hint));
		json_object_set_new(o, "allowed", json_boolean(x->allowed));
		json_array_append_new(fa, o);
		if (x->allowed) {
			json_t *a = json_object();
			json_object_set_new(a, "rule", json_string(x->rule));
			json_object_set_new(a, "file", jtext(x->file));
			json_object_set_new(a, "line", json_integer(x->line));
			json_object_set_new(a, "comment_line", json_integer(x->allow_line));
			json_array_append_new(oa, a);
		}
	}
	json_object_set_new(doc, "ok", json_boolean(ok));
	json_object_set_new(doc, "dialect", json_string(dialect_json(d)));
	json_object_set_new(doc, "revisions", json_integer((json_int_t)nrevs));
	json_object_set_new(doc, "findings", fa);
	json_object_set_new(doc, "overrides", oa);
	return json_finish(doc);
}

static const char *plural(size_t n)
{
	return n == 1 ? "" : "s";
}

int retort_lint(retort_project *p, const retort_lint_options *o, char **out, retort_error *err)
{
	retort_lint_options defaults = RETORT_LINT_OPTIONS_INIT;
	if (!o)
		o = &defaults;
	*out = NULL;
	int json = o->format == RETORT_FORMAT_JSON;
	if (o->explain)
		return explain(o->explain, json, out, err);
	if (!p)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_NONE, NULL, 0, "lint needs a project");
	const sql_dialect *sd;
	intvec revs = INTVEC_INIT;
	lint_findings f = {0};
	int rc = lint_dialect(p, &sd, err);
	if (!rc)
		rc = select_revisions(p, o->revisions, &revs, err);
	if (!rc)
		rc = collect(p, &revs, sd->kind, &f, err);
	if (rc)
		goto done;
	size_t errors = 0, warnings = 0, allowed = 0, blocking = 0;
	for (size_t i = 0; i < f.n; i++) {
		allowed += f.v[i].allowed;
		errors += !f.v[i].allowed && f.v[i].severity == LINT_ERROR;
		warnings += !f.v[i].allowed && f.v[i].severity == LINT_WARNING;
		blocking += is_blocking(&f.v[i], o->strict);
	}
	if (json) {
		*out = report_json(&f, sd->kind, revs.n, blocking == 0);
	} else {
		sbuf b = SBUF_INIT;
		report_text(&f, &b);
		*out = sb_detach(&b);
	}
	rt_log(&p->log, RETORT_LOG_INFO,
	       "Linted %zu revision%s for %s: %zu error%s, %zu warning%s, %zu allowed.", revs.n,
	       plural(revs.n), dialect_label(sd->kind), errors, plural(errors), warnings,
	       plural(warnings), allowed);
	if (blocking) {
		sbuf m = SBUF_INIT;
		sb_addf(&m, "lint: %zu error%s", errors, plural(errors));
		if (warnings)
			sb_addf(&m, " and %zu warning%s", warnings, plural(warnings));
		if (o->strict && warnings)
			sb_adds(&m, " (--strict: warnings fail too)");
		rc = rt_fail(err, RETORT_EDIFF, RETORT_R_REVISION_FILE, NULL, 0, "%s", sb_str(&m));
		sb_free(&m);
	}
done:
	iv_free(&revs);
	lint_findings_free(&f);
	return rc;
}
