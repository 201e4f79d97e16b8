/*
 * write.c: creating files: `init` (retort.ini and migrations/versions/),
 * and new revision and merge files from the template of SPEC §4, named
 * <rev>_<slug>.sql like Alembic's default file_template. The new file's
 * parents follow Alembic's rules: the single head by default, --head to
 * choose, --splice to branch off a non-head.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"

static int mkdir_p(const char *path, retort_error *err)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			rt_fail(err, RETORT_ERUNTIME, RETORT_R_IO, p, 0, "cannot create directory: %s",
			         strerror(errno));
			free(p);
			return RETORT_ERUNTIME;
		}
		*s = '/';
	}
	int rc = RETORT_OK;
	if (mkdir(p, 0777) != 0 && errno != EEXIST)
		rc = rt_fail(err, RETORT_ERUNTIME, RETORT_R_IO, p, 0, "cannot create directory: %s",
		              strerror(errno));
	free(p);
	return rc;
}

/* Creates path only if it does not exist yet. */
static int write_new_file(const char *path, const char *text, retort_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		return rt_fail(err, errno == EEXIST ? RETORT_EUSAGE : RETORT_ERUNTIME, RETORT_R_IO, path, 0,
		                "cannot create file: %s", strerror(errno));
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n <= 0) {
			int e = errno;
			close(fd);
			unlink(path);
			return rt_fail(err, RETORT_ERUNTIME, RETORT_R_IO, path, 0, "cannot write: %s", strerror(e));
		}
		off += (size_t)n;
	}
	if (close(fd) != 0)
		return rt_fail(err, RETORT_ERUNTIME, RETORT_R_IO, path, 0, "cannot write: %s", strerror(errno));
	return RETORT_OK;
}

static const char ini_template[] =
	"# retort configuration: see `man retort` or docs/ in the retort sources.\n"
	"[retort]\n"
	"# Where revision files live (<script_location>/versions/*.sql),\n"
	"# relative to this file.\n"
	"script_location = migrations\n"
	"\n"
	"# Database URL; --url and $DATABASE_URL take precedence.\n"
	"#   sqlite:///relative.db  sqlite:////absolute.db\n"
	"#   postgresql://user:pass@host:5432/db\n"
	"url = sqlite:///app.db\n"
	"\n"
	"# version_table = retort_version   ; alembic_version to take over an Alembic DB\n"
	"# version_table_schema =           ; PostgreSQL schema for retort's tables\n"
	"# transaction_per_migration = true\n"
	"# allow_downgrade = true\n";

int retort_init(const char *dir, retort_error *err)
{
	if (!dir || !*dir)
		dir = ".";
	char *versions = xasprintf("%s/migrations/versions", dir);
	char *ini = xasprintf("%s/retort.ini", dir);
	int rc = RETORT_OK;
	if (access(ini, F_OK) == 0)
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_IO, ini, 0, "already exists; not overwriting it");
	if (!rc)
		rc = mkdir_p(versions, err);
	if (!rc)
		rc = write_new_file(ini, ini_template, err);
	free(versions);
	free(ini);
	return rc;
}

/* Alembic's slug: non-word characters become spaces, words are joined
 * with '_', lower case, cut at a word boundary near 40 characters. */
static char *slugify(const char *msg)
{
	sbuf b = SBUF_INIT;
	const char *p = msg;
	while (*p) {
		while (*p && !(((unsigned char)*p >= 0x80) || (*p >= '0' && *p <= '9') ||
		               (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
			p++;
		const char *w = p;
		while (*p && (((unsigned char)*p >= 0x80) || (*p >= '0' && *p <= '9') ||
		              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_'))
			p++;
		if (p == w)
			break;
		if (b.len && b.len + 1 + (size_t)(p - w) > 40)
			break;
		if (b.len)
			sb_addc(&b, '_');
		for (const char *c = w; c < p && b.len < 40; c++)
			sb_addc(&b, (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c);
	}
	return sb_detach(&b);
}

static int valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n < 1 || n > 32)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      *p == '_'))
			return 0;
	return 1;
}

static char *one_line(const char *s)
{
	char *t = xstrdup(s ? s : "");
	for (char *p = t; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return t;
}

/* The new revision's parents, following Alembic's `revision` rules. */
static int choose_parents(retort_project *p, const retort_revision_opts *o, strvec *parents,
                          retort_error *err)
{
	const graph *g = &p->g;
	intvec none = INTVEC_INIT, revs = INTVEC_INIT;
	int rc = RETORT_OK;
	if (o->merge_of) {
		for (const char *const *t = o->merge_of; *t && !rc; t++) {
			rc = target_resolve(g, &none, *t, 1, &revs, err);
			for (size_t i = 0; !rc && i < revs.n; i++)
				if (sv_index(parents, g->revs[revs.v[i]]->id) < 0)
					sv_push(parents, g->revs[revs.v[i]]->id);
			revs.n = 0;
		}
		if (!rc && parents->n < 2)
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
			              "a merge needs at least two distinct revisions; '%s' names %zu",
			              o->merge_of[0], parents->n);
		iv_free(&revs);
		return rc;
	}
	const char *head = o->head && *o->head ? o->head : "head";
	if (strcmp(head, "base") == 0)
		return RETORT_OK; /* a new base: a new, independent branch */
	intvec heads = INTVEC_INIT;
	graph_heads(g, &heads);
	if (heads.n == 0) {
		iv_free(&heads);
		return RETORT_OK; /* first revision */
	}
	if (strcmp(head, "head") == 0 && heads.n > 1) {
		iv_free(&heads);
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		                "Multiple heads are present; please specify the head revision on "
		                "which the new revision should be based (--head), or perform a merge.");
	}
	int one;
	rc = target_resolve_one(g, head, &one, err);
	if (!rc && iv_index(&heads, one) < 0 && !o->splice)
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
		              "Revision %s is not a head revision; please specify --splice to create "
		              "a new branch from this revision",
		              g->revs[one]->id);
	if (!rc)
		sv_push(parents, g->revs[one]->id);
	iv_free(&heads);
	return rc;
}

static int write_revision(retort_project *p, const retort_revision_opts *o, const char *up,
                          const char *down, int transactional, char **path, retort_error *err)
{
	if (!p->versions_dir)
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_CONFIG, NULL, 0,
		               "the project's revisions were given in memory: there is no directory "
		               "to write a revision file to");
	*path = NULL;
	strvec parents = STRVEC_INIT, deps = STRVEC_INIT;
	char *id = NULL, *msg = one_line(o->message), *slug = NULL, *text = NULL;
	int rc = RETORT_OK;
	if (o->rev_id && *o->rev_id) {
		if (!valid_id(o->rev_id))
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
			              "invalid revision id '%s': use 1-32 letters, digits or _",
			              o->rev_id);
		else if (script_reserved_id(o->rev_id))
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
			              "invalid revision id '%s': reserved for targets (head, heads, "
			              "base, current)",
			              o->rev_id);
		id = xstrdup(o->rev_id);
	} else {
		do {
			free(id);
			id = random_hex(6);
		} while (graph_find(&p->g, id) >= 0);
	}
	if (!rc && graph_find(&p->g, id) >= 0)
		rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0, "Revision %s is present already", id);
	if (!rc && o->branch_label && *o->branch_label) {
		if (!valid_id(o->branch_label))
			rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0, "invalid branch label '%s'",
			              o->branch_label);
		for (size_t i = 0; !rc && i < p->g.n; i++)
			if (sv_index(&p->g.revs[i]->branch_labels, o->branch_label) >= 0)
				rc = rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0,
				              "Branch name '%s' is already used by revision %s",
				              o->branch_label, p->g.revs[i]->id);
	}
	if (!rc)
		rc = choose_parents(p, o, &parents, err);
	if (!rc && o->depends_on) {
		strvec raw = STRVEC_INIT;
		sv_split_csv(&raw, o->depends_on);
		for (size_t i = 0; !rc && i < raw.n; i++) {
			int is_label = 0;
			for (size_t k = 0; k < p->g.n && !is_label; k++)
				is_label = sv_index(&p->g.revs[k]->branch_labels, raw.v[i]) >= 0;
			int one;
			if (is_label)
				sv_push(&deps, raw.v[i]);
			else if (!(rc = target_resolve_one(&p->g, raw.v[i], &one, err)))
				sv_push(&deps, p->g.revs[one]->id);
		}
		sv_free(&raw);
	}
	if (rc)
		goto done;

	slug = slugify(msg);
	*path = xasprintf("%s/%s%s%s.sql", p->versions_dir, id, *slug ? "_" : "", slug);
	char date[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
	sbuf b = SBUF_INIT;
	sb_addf(&b, "-- revision: %s\n-- down_revision: ", id);
	sv_join(&b, &parents, ", ");
	sb_addf(&b, "\n-- message: %s\n-- create_date: %s\n-- branch_labels: %s\n-- depends_on: ",
	        msg, date, o->branch_label ? o->branch_label : "");
	sv_join(&b, &deps, ", ");
	sb_addf(&b, "\n-- transactional: %s\n-- release:\n\n", transactional ? "true" : "false");
	if (o->merge_of)
		sb_adds(&b, "-- +upgrade\n\n-- +downgrade\n");
	else if (o->phased)
		sb_adds(&b, "-- +expand\n-- additive DDL only: new tables, nullable or defaulted "
		            "columns, indexes\n\n-- +migrate\n-- data movement, between the "
		            "releases\n\n-- +contract\n-- remove what the old release "
		            "needed\n\n-- +downgrade\n\n");
	else if (up || down)
		sb_addf(&b, "-- +upgrade\n%s\n-- +downgrade\n%s", up && *up ? up : "\n",
		        down && *down ? down : "\n");
	else
		sb_adds(&b, "-- +upgrade\n\n\n-- +downgrade\n\n");
	text = sb_detach(&b);
	rc = mkdir_p(p->versions_dir, err);
	if (!rc)
		rc = write_new_file(*path, text, err);
	if (!rc)
		rt_log(&p->log, RETORT_LOG_INFO, "Generating %s ...  done", *path);
done:
	if (rc) {
		free(*path);
		*path = NULL;
	}
	sv_free(&parents);
	sv_free(&deps);
	free(id);
	free(msg);
	free(slug);
	free(text);
	return rc;
}

int retort_revision(retort_project *p, const retort_revision_opts *o, char **path,
                    retort_error *err)
{
	retort_revision_opts copy = *o;
	copy.merge_of = NULL;
	return write_revision(p, &copy, NULL, NULL, 1, path, err);
}

int write_revision_text(retort_project *p, const retort_revision_opts *o, const char *up,
                        const char *down, int transactional, char **path, retort_error *err)
{
	retort_revision_opts copy = *o;
	copy.merge_of = NULL;
	copy.phased = 0;
	return write_revision(p, &copy, up ? up : "", down ? down : "", transactional, path, err);
}

int retort_merge(retort_project *p, const retort_revision_opts *o, char **path, retort_error *err)
{
	if (!o->merge_of || !o->merge_of[0])
		return rt_fail(err, RETORT_EUSAGE, RETORT_R_TARGET, NULL, 0, "merge needs two or more revisions");
	return write_revision(p, o, NULL, NULL, 1, path, err);
}
