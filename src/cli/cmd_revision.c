/*
 * cmd_revision.c: the commands that write files: init, revision, merge.
 * The new file's path goes to stdout so scripts can open it; under
 * --format json a document describing what was written, read back from
 * the new file's header (the library returns only the path).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static retort_revision_opts rev = RETORT_REVISION_OPTIONS_INIT;
static int autogenerate;

#define MESSAGE_OPT                                                                                \
	{                                                                                          \
		"message", 'm', "MSG",                                                             \
		    "the revision's message: its header's message line and the file name's slug",  \
		    .value = &rev.message                                                          \
	}
#define REV_ID_OPT                                                                                 \
	{                                                                                          \
		"rev-id", 0, "ID",                                                                 \
		    "the new revision's id (1-32 of A-Z a-z 0-9 _) instead of 12 random hex "      \
		    "digits",                                                                      \
		    .value = &rev.rev_id                                                           \
	}
#define BRANCH_LABEL_OPT                                                                           \
	{                                                                                          \
		"branch-label", 0, "LABEL",                                                        \
		    "a branch label for the new revision, so LABEL@head names its branch's head",  \
		    .value = &rev.branch_label                                                     \
	}

const struct cli_opt revision_opts[] = {
    MESSAGE_OPT,
    {"autogenerate", 0, NULL,
     "fill the revision from the difference between the database (at head) and "
     "target_schema: upgrade and downgrade both",
     .flag = &autogenerate},
    REV_ID_OPT,
    {"head", 0, "REV",
     "the parent: a head, or with --splice any revision (default: head, the only head; "
     "LABEL@head picks a branch's)",
     .value = &rev.head},
    {"splice", 0, NULL, "allow a --head that is not a head, starting a new branch from it",
     .flag = &rev.splice},
    BRANCH_LABEL_OPT,
    {"depends-on", 0, "REV[,REV]",
     "revisions that must be applied before this one without being its parents "
     "(ids, prefixes or labels, comma-separated)",
     .value = &rev.depends_on},
    {"phased", 0, NULL,
     "write +expand, +migrate and +contract sections (zero-downtime phases) instead of "
     "+upgrade",
     .flag = &rev.phased},
    CLI_OPT_END,
};

const struct cli_opt merge_opts[] = {MESSAGE_OPT, REV_ID_OPT, BRANCH_LABEL_OPT, CLI_OPT_END};

const struct cli_opt init_opts[] = {CLI_OPT_END};

const char init_help[] =
    "Create DIR/retort.ini (script_location = migrations, url = sqlite:///app.db,\n"
    "the other settings commented out) and DIR/migrations/versions/. An existing\n"
    "retort.ini is never overwritten: exit 2.\n"
    "\n"
    "arguments:\n"
    "  DIR      the project directory (default: the current directory).\n";

const char revision_help[] =
    "Write a new revision file, migrations/versions/<id>_<slug>.sql, whose parent is\n"
    "the current head, with empty +upgrade and +downgrade sections to fill in, and\n"
    "print its path. The header's keys are described in `man retort` (REVISION\n"
    "FILES).\n";

const char merge_help[] =
    "Write a revision whose parents are the given revisions, joining branches into\n"
    "one head, and print its path. Its sections are empty: a merge usually changes\n"
    "nothing.\n"
    "\n"
    "arguments:\n"
    "  REV...   at least two distinct revisions (ids, prefixes, LABEL@head), or\n"
    "           heads (every head).\n";

int check_revision(struct cli *cli)
{
	/* The library reads an empty --head as "head"; typed, it is a mistake. */
	if (rev.head && !*rev.head)
		return cli_usage_error(cli, cli->cmd, "empty target for --head");
	if (rev.depends_on && !*rev.depends_on)
		return cli_usage_error(cli, cli->cmd, "empty target for --depends-on");
	if (autogenerate && rev.phased)
		return cli_usage_error(cli, cli->cmd, "--autogenerate and --phased do not go together");
	if (autogenerate)
		cli->flags |= NEEDS_DB | VALIDATES;
	return 0;
}

/* ---- JSON ----------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	json_t *j = s && *s ? json_string(s) : NULL;
	return j ? j : json_null();
}

static json_t *list(const char *csv)
{
	json_t *a = json_array();
	while (csv && *csv) {
		csv += strspn(csv, " ,");
		size_t n = strcspn(csv, ",");
		size_t m = n;
		while (m && csv[m - 1] == ' ')
			m--;
		if (m) {
			json_t *s = json_stringn(csv, m);
			if (s)
				json_array_append_new(a, s);
		}
		csv += n;
	}
	return a;
}

/* The new file's header ("-- key: value" lines before the first section
 * marker) as the fields `show --format json` uses. */
static json_t *revision_json(const char *path)
{
	json_t *doc = json_object();
	json_object_set_new(doc, "path", json_string(path));
	const char *keys[] = {"revision",      "down_revision", "message",       "create_date",
	                      "branch_labels", "depends_on",    "transactional", "release"};
	enum { NKEYS = sizeof(keys) / sizeof(keys[0]) };
	char *vals[NKEYS] = {0};
	FILE *f = fopen(path, "r");
	char line[4096];
	while (f && fgets(line, sizeof(line), f) && strncmp(line, "-- +", 4) != 0) {
		line[strcspn(line, "\r\n")] = 0;
		for (size_t k = 0; k < NKEYS; k++) {
			size_t kl = strlen(keys[k]);
			if (strncmp(line, "-- ", 3) == 0 && strncmp(line + 3, keys[k], kl) == 0 &&
			    line[3 + kl] == ':' && !vals[k]) {
				const char *v = line + 4 + kl;
				v += strspn(v, " ");
				vals[k] = strdup(v);
			}
		}
	}
	if (f)
		fclose(f);
	if (!vals[0]) { /* unreadable: the id is the file name's first part */
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		vals[0] = strndup(base, strcspn(base, "_."));
	}
	/* ISO-8601: "2024-01-02T03:04:05" */
	if (vals[3] && strlen(vals[3]) > 10 && vals[3][10] == ' ')
		vals[3][10] = 'T';
	json_object_set_new(doc, "revision", str_or_null(vals[0]));
	json_object_set_new(doc, "down_revisions", list(vals[1]));
	json_object_set_new(doc, "message", str_or_null(vals[2]));
	json_object_set_new(doc, "create_date", str_or_null(vals[3]));
	json_object_set_new(doc, "branch_labels", list(vals[4]));
	json_object_set_new(doc, "depends_on", list(vals[5]));
	json_object_set_new(doc, "transactional",
	                    json_boolean(!vals[6] || strcmp(vals[6], "false") != 0));
	json_object_set_new(doc, "release", str_or_null(vals[7]));
	for (size_t k = 0; k < NKEYS; k++)
		free(vals[k]);
	return doc;
}

static char *path_result(struct cli *cli, const char *path)
{
	if (cli->json)
		return cli_json_dump(revision_json(path));
	size_t n = strlen(path);
	char *s = malloc(n + 2);
	if (s) {
		memcpy(s, path, n);
		s[n] = '\n';
		s[n + 1] = 0;
	}
	return s;
}

/* ---- the commands ------------------------------------------------------- */

int cmd_init(struct cli *cli, char **out, retort_error *err)
{
	const char *dir = cli->npos ? cli->pos[0] : ".";
	int rc = retort_init(dir, err);
	if (rc)
		return rc;
	char msg[4200];
	snprintf(msg, sizeof(msg), "Created %s/retort.ini and %s/migrations/versions/", dir, dir);
	cli_log(cli, RETORT_LOG_INFO, msg);
	if (cli->json) {
		char p[4200];
		json_t *doc = json_object();
		json_object_set_new(doc, "directory", str_or_null(dir));
		snprintf(p, sizeof(p), "%s/retort.ini", dir);
		json_object_set_new(doc, "config", str_or_null(p));
		snprintf(p, sizeof(p), "%s/migrations/versions", dir);
		json_object_set_new(doc, "versions", str_or_null(p));
		*out = cli_json_dump(doc);
	}
	return 0;
}

static int write_rev(struct cli *cli, int merge, char **out, retort_error *err)
{
	if (!rev.message)
		rev.message = "";
	if (merge)
		rev.merge_of = cli->pos; /* NULL-terminated */
	char *path = NULL;
	int rc = merge          ? retort_merge(cli->p, &rev, &path, err)
	         : autogenerate ? retort_autogenerate(cli->p, cli->db, &rev, &path, err)
	                        : retort_revision(cli->p, &rev, &path, err);
	if (!rc)
		*out = path_result(cli, path);
	free(path);
	return rc;
}

int cmd_revision(struct cli *cli, char **out, retort_error *err)
{
	return write_rev(cli, 0, out, err);
}

int cmd_merge(struct cli *cli, char **out, retort_error *err)
{
	return write_rev(cli, 1, out, err);
}
