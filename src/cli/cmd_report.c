/*
 * cmd_report.c: the read-only commands: current, version, history, heads,
 * branches, show. Text output is byte-for-byte Alembic 1.8's (the library
 * formats it); --format json prints one JSON document with the same facts.
 */
#include <string.h>

#include "cli.h"

static retort_report_options ro = RETORT_REPORT_OPTIONS_INIT;
static const char *range;

const struct cli_opt current_opts[] = {CLI_OPT_END};
const struct cli_opt version_opts[] = {CLI_OPT_END};
const struct cli_opt branches_opts[] = {CLI_OPT_END};
const struct cli_opt show_opts[] = {CLI_OPT_END};

const struct cli_opt history_opts[] = {
    {"rev-range", 'r', "RANGE",
     "only the revisions in RANGE: A:B, A: (A and newer), :B (B and older), current: "
     "(newer than the database's version), -3: (the last three), base:head",
     .value = &range},
    {"indicate-current", 'i', NULL, "mark the database's current revision(s) with (current)",
     .flag = &ro.indicate_current},
    CLI_OPT_END,
};

const struct cli_opt heads_opts[] = {
    {"resolve-dependencies", 0, NULL,
     "treat depends_on as parents: a revision another one depends on is no head",
     .flag = &ro.resolve_dependencies},
    CLI_OPT_END,
};

#define FULL_RECORD "With -v, the full record of each (as show prints it).\n"

const char current_help[] =
    "Show the revision(s) the database's version table names, as Alembic prints\n"
    "them: \"4801b98f6408\", or \"6568d7cb6710 (head)\". Exit 1 while a revision is\n"
    "dirty (after it printed what it knows). " FULL_RECORD;

const char version_help[] =
    "Print the database's version: the revision(s) its version table names, one a\n"
    "line, \"(head)\" after a head (the same lines as current), and the release\n"
    "each belongs to when a revision file says one (its own \"release:\" header, or\n"
    "its nearest ancestor's): \"6568d7cb6710 (head) (release 0.8.0)\". Exit 1 while\n"
    "a revision is dirty. " FULL_RECORD;

const char history_help[] =
    "List the revisions, newest first, one a line as Alembic prints them:\n"
    "\"PARENT -> REV (head), message\", with (branchpoint), (mergepoint) and\n"
    "(current) markers, and (release X.Y.Z) on a revision whose header names a\n"
    "release. Only a range naming current, or --indicate-current, reads\n"
    "the database. With -v, the full record of each, and when it was applied if the\n"
    "database exists.\n";

const char heads_help[] = "Show the head revisions (revisions no other revision builds on), as\n"
                          "\"6568d7cb6710 (head)\". " FULL_RECORD;

const char branches_help[] =
    "Show the branch points: revisions with more than one child, and the children\n"
    "they branch into. " FULL_RECORD;

const char show_help[] =
    "Show one revision's full record, as Alembic's show: Rev, Parent, branch\n"
    "names, Path, the message, Revision ID, Revises and Create Date.\n"
    "\n"
    "arguments:\n"
    "  REV      a revision id or unique prefix, head, base, LABEL@head, or current\n"
    "           (the revisions the database's version table names; reads the\n"
    "           database).\n";

int check_history(struct cli *cli)
{
	/* Alembic's wording: an empty range is no range, not "everything". */
	if (range && !*range)
		return cli_usage_error(cli, cli->cmd,
		                       "History range requires [start]:[end], [start]:, or :[end]");
	/* Like Alembic, only "current" in a range or --indicate-current reads
	 * the database; "-3:" counts from the heads. */
	if (ro.indicate_current || (range && strstr(range, "current")))
		cli->flags |= NEEDS_DB;
	else if (cli->verbose)
		cli->flags |= DB_IF_EXISTS; /* the Applied: lines (JSON: "applied") */
	return 0;
}

int check_show(struct cli *cli)
{
	if (strcmp(cli->pos[0], "current") == 0)
		cli->flags |= NEEDS_DB;
	return 0;
}

static const retort_report_options *opts(struct cli *cli)
{
	ro.verbose = cli->verbose;
	ro.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
	return &ro;
}

int cmd_current(struct cli *cli, char **out, retort_error *err)
{
	return retort_report_current(cli->p, cli->db, opts(cli), out, err);
}

int cmd_version(struct cli *cli, char **out, retort_error *err)
{
	return retort_report_version(cli->p, cli->db, opts(cli), out, err);
}

int cmd_history(struct cli *cli, char **out, retort_error *err)
{
	return retort_report_history(cli->p, cli->db, range, opts(cli), out, err);
}

int cmd_heads(struct cli *cli, char **out, retort_error *err)
{
	return retort_report_heads(cli->p, opts(cli), out, err);
}

int cmd_branches(struct cli *cli, char **out, retort_error *err)
{
	return retort_report_branches(cli->p, opts(cli), out, err);
}

int cmd_show(struct cli *cli, char **out, retort_error *err)
{
	return retort_report_show(cli->p, cli->db, cli->pos[0], opts(cli), out, err);
}
