/*
 * cmd_migrate.c: the commands that change a database's version: upgrade,
 * downgrade and stamp, online or rendered as SQL with --sql.
 */
#include <string.h>

#include "cli.h"

static retort_run_options run = RETORT_RUN_OPTIONS_INIT;

#define SQL_OPT(what)                                                                              \
	{                                                                                          \
		"sql", 0, NULL,                                                                    \
		    "print the SQL " what                                                          \
		    " instead of running it: offline, no connection is made; "                     \
		    "with FROM:TO as the target it starts from FROM instead of base",              \
		    .flag = &run.sql_only                                                          \
	}

const struct cli_opt upgrade_opts[] = {
    SQL_OPT("of the upgrade"),
    {"strict", 0, NULL,
     "refuse (exit 1, nothing run) when an applied revision's file changed since it was "
     "applied; without it retort warns and goes on",
     .flag = &run.strict},
    {"release", 0, "X.Y.Z",
     "upgrade to the newest revision whose header says 'release: X.Y.Z' (instead of "
     "TARGET); exit 1 when the database is already past that release",
     .value = &run.release},
    CLI_OPT_END,
};

const struct cli_opt downgrade_opts[] = {
    SQL_OPT("of the downgrade (it needs FROM:TO)"),
    CLI_OPT_END,
};

const struct cli_opt stamp_opts[] = {
    SQL_OPT("that sets the version table"),
    {"purge", 0, NULL, "delete every version row first (also rows naming unknown revisions)",
     .flag = &run.purge},
    CLI_OPT_END,
};

const char upgrade_help[] =
    "Apply the revisions between the database's current version and TARGET, oldest\n"
    "first, each in its own transaction together with its version-table update and\n"
    "a row in retort_history. A file that cannot be split is rejected (file:line)\n"
    "before anything connects. Several runs at once take turns on a run lock.\n"
    "\n"
    "arguments:\n"
    "  TARGET   where to go; default heads (every head). One of:\n"
    "           head (the only head), heads, a revision id or a unique prefix\n"
    "           of at least 4 characters, LABEL@head, LABEL@REV, +N (N steps up\n"
    "           from current), REV+N, head-N. With --sql: FROM:TO.\n";

const char downgrade_help[] =
    "Revert revisions, newest first, until the database is at TARGET; each step\n"
    "runs its file's +downgrade section in its own transaction. A revision without\n"
    "a +downgrade section cannot be downgraded past; allow_downgrade = false in\n"
    "retort.ini refuses every downgrade.\n"
    "\n"
    "arguments:\n"
    "  TARGET   where to go (required): base (nothing applied), a revision id or\n"
    "           unique prefix, -N (N steps down from current), REV-N, LABEL@-N,\n"
    "           LABEL@REV, head-N. With --sql: FROM:TO, e.g. ae10:base.\n";

const char stamp_help[] =
    "Set the version table to REV without running any revision: for a database\n"
    "whose schema is already at REV (created by hand, or by another tool).\n"
    "\n"
    "arguments:\n"
    "  REV      a revision id or unique prefix, head, heads, base (empty the\n"
    "           version table), LABEL@head.\n";

int check_migrate(struct cli *cli)
{
	if (cli->npos == 1 && !*cli->pos[0])
		return cli_usage_error(cli, cli->cmd,
		                       "empty target: name a revision (id or prefix of at least 4 "
		                       "characters), head, heads or base");
	if (run.release && cli->npos)
		return cli_usage_error(cli, cli->cmd, "give a TARGET or --release, not both");
	/* offline: the library renders the SQL for the URL's dialect */
	if (run.sql_only)
		cli->flags &= ~(unsigned)(VALIDATES | NEEDS_DB);
	return 0;
}

static void set_format(struct cli *cli)
{
	run.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
}

int cmd_upgrade(struct cli *cli, char **out, retort_error *err)
{
	set_format(cli);
	return retort_upgrade(cli->p, cli->db, cli->npos ? cli->pos[0] : "heads", &run, out, err);
}

int cmd_downgrade(struct cli *cli, char **out, retort_error *err)
{
	set_format(cli);
	return retort_downgrade(cli->p, cli->db, cli->pos[0], &run, out, err);
}

int cmd_stamp(struct cli *cli, char **out, retort_error *err)
{
	set_format(cli);
	return retort_stamp(cli->p, cli->db, cli->pos[0], &run, out, err);
}
