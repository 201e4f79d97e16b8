/*
 * main.c: the retort command line: the table of commands and the ladder
 * every command climbs (parse -> open the project -> validate -> connect
 * -> call the library -> print -> free), written once here so that a
 * command file only maps its options onto the library's option struct.
 * Conventions shared by all: log lines on stderr in Alembic's
 * "INFO  [retort] ..." form, results on stdout, one FAILED line and a
 * documented exit code on error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "cli.h"

static int cmd_help(struct cli *cli, char **out, retort_error *err);
static int check_help_args(struct cli *cli);
static const char help_help[] =
    "Print the help of COMMAND: exactly what `retort COMMAND -h` prints. Without\n"
    "COMMAND, the list of commands (as `retort --help`).\n";

/* NEEDS_DB implies the project; VALIDATES splits every statement first, so
 * a broken file never reaches the database. Checks may narrow the flags:
 * upgrade --sql is offline, history -i or a "current" range connects. */
const struct command cli_commands[] = {
    {"init", cmd_init, 0, init_opts, "[DIR]", 0, 1, "create retort.ini and migrations/versions/",
     init_help, NULL},
    {"revision", cmd_revision, NEEDS_PROJECT, revision_opts, "", 0, 0, "write a new revision file",
     revision_help, check_revision},
    {"merge", cmd_merge, NEEDS_PROJECT, merge_opts, "REV REV...", 1, -1,
     "write a revision that merges several heads", merge_help, check_revision},
    {"upgrade", cmd_upgrade, NEEDS_PROJECT | VALIDATES | NEEDS_DB, upgrade_opts, "[TARGET]", 0, 1,
     "apply revisions up to a target (default: heads)", upgrade_help, check_migrate},
    {"downgrade", cmd_downgrade, NEEDS_PROJECT | VALIDATES | NEEDS_DB, downgrade_opts, "TARGET", 1,
     1, "revert revisions down to a target", downgrade_help, check_migrate},
    {"stamp", cmd_stamp, NEEDS_PROJECT | NEEDS_DB, stamp_opts, "REV", 1, 1,
     "set the version table without running anything", stamp_help, check_migrate},
    {"sync", cmd_sync, NEEDS_PROJECT | VALIDATES | NEEDS_DB, sync_opts, "[TARGET]", 0, 1,
     "version an unversioned database (or refuse) and upgrade it", sync_help, check_sync},
    {"current", cmd_current, NEEDS_PROJECT | NEEDS_DB, current_opts, "", 0, 0,
     "show the database's revision(s)", current_help, NULL},
    {"version", cmd_version, NEEDS_PROJECT | NEEDS_DB, version_opts, "", 0, 0,
     "print the database's version (its current revisions)", version_help, NULL},
    {"history", cmd_history, NEEDS_PROJECT, history_opts, "", 0, 0, "list revisions, newest first",
     history_help, check_history},
    {"graph", cmd_graph, NEEDS_PROJECT | DB_IF_EXISTS, graph_opts, "", 0, 0,
     "the revision graph as Graphviz dot or a Mermaid flowchart", graph_help, check_graph},
    {"heads", cmd_heads, NEEDS_PROJECT, heads_opts, "", 0, 0, "show the head revisions", heads_help,
     NULL},
    {"branches", cmd_branches, NEEDS_PROJECT, branches_opts, "", 0, 0, "show branch points",
     branches_help, NULL},
    {"show", cmd_show, NEEDS_PROJECT, show_opts, "REV", 1, 1, "show one revision", show_help,
     check_show},
    {"verify", cmd_verify, NEEDS_PROJECT | NEEDS_DB, verify_opts, "", 0, 0,
     "exit 3 if an applied revision's file changed or is missing", verify_help, NULL},
    {"lint", cmd_lint, NEEDS_PROJECT, lint_opts, "[REV...]", 0, -1,
     "flag operations unsafe for a live database (exit 3 on errors)", lint_help, check_lint},
    {"expand", cmd_expand, NEEDS_PROJECT | VALIDATES | NEEDS_DB, expand_opts, "[TARGET]", 0, 1,
     "zero-downtime phase 1: apply the expand parts", expand_help, check_phase},
    {"migrate", cmd_migrate, NEEDS_PROJECT | VALIDATES | NEEDS_DB, migrate_opts, "[TARGET]", 0,
     1, "phase 2: run the migrate parts in batches (resumable)", migrate_help, check_phase},
    {"contract", cmd_contract, NEEDS_PROJECT | VALIDATES | NEEDS_DB, contract_opts, "[TARGET]",
     0, 1, "phase 3: apply the contract parts once migrated", contract_help, check_phase},
    {"check", cmd_check, NEEDS_PROJECT | NEEDS_DB, check_opts, "", 0, 0,
     "exit 3 if behind head or different from target_schema", check_help,
     NULL},
    {"schema", cmd_schema, NEEDS_PROJECT | NEEDS_DB, schema_opts, "[TABLE]", 0, 1,
     "describe the live schema, like psql's \\d", schema_help, NULL},
    {"test", cmd_test, NEEDS_PROJECT | VALIDATES | NEEDS_DB, test_opts, "", 0, 0,
     "upgrade, downgrade, upgrade each revision on a scratch database", test_help, NULL},
    {"repair", cmd_repair, NEEDS_PROJECT | NEEDS_DB, repair_opts, "", 0, 0,
     "clear a dirty revision after fixing the database by hand", repair_help, check_repair},
    {"help", cmd_help, 0, NULL, "[COMMAND]", 0, 1, "the help of one command (as COMMAND -h)",
     help_help, check_help_args},
};
const size_t cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

const char cli_main_usage[] =
    "usage: retort [-c FILE] [-u URL] [-q] [-v] [--format text|json] COMMAND [ARGS]\n";

const struct command *cli_find_command(const char *name)
{
	for (size_t i = 0; i < cli_ncommands; i++)
		if (strcmp(cli_commands[i].name, name) == 0)
			return &cli_commands[i];
	return NULL;
}

static int unknown_command(struct cli *cli, const char *name)
{
	const char *names[sizeof(cli_commands) / sizeof(cli_commands[0])];
	for (size_t i = 0; i < cli_ncommands; i++)
		names[i] = cli_commands[i].name;
	const char *near = cli_suggest(name, names, cli_ncommands);
	if (near)
		return cli_usage_error(
		    cli, NULL, "unknown command '%s'; did you mean '%s'? (see retort --help)", name,
		    near);
	return cli_usage_error(cli, NULL, "unknown command '%s' (see retort --help)", name);
}

static int check_help_args(struct cli *cli)
{
	if (cli->npos && !cli_find_command(cli->pos[0]))
		return unknown_command(cli, cli->pos[0]);
	return 0;
}

static int cmd_help(struct cli *cli, char **out, retort_error *err)
{
	(void)out;
	(void)err;
	if (cli->npos)
		cli_print_help(cli_find_command(cli->pos[0]));
	else
		cli_print_main_help();
	return 0;
}

static int open_project(struct cli *cli)
{
	retort_options o = RETORT_OPTIONS_INIT;
	o.config_path = cli->config;
	o.url = cli->url;
	o.log = cli_log;
	o.log_ud = cli;
	o.verbose = cli->verbose;
	if (cli_progress_wanted(cli)) {
		o.progress = cli_progress;
		o.progress_ud = cli;
	}
	retort_error err = {0};
	if (retort_project_open(&cli->p, &o, &err))
		return cli_fail(cli, &err);
	return 0;
}

static int count_args(struct cli *cli, const struct command *cmd)
{
	if (cmd->max_args >= 0 && cli->npos > cmd->max_args)
		return cmd->max_args == 0
		           ? cli_usage_error(cli, cmd, "unexpected argument '%s'", cli->pos[0])
		           : cli_usage_error(cli, cmd, "too many arguments ('%s')",
		                             cli->pos[cmd->max_args]);
	if (cli->npos < cmd->min_args)
		return cli_usage_error(cli, cmd, "%s needs %s", cmd->name, cmd->args);
	return 0;
}

static int run_command(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	cli->cmd = cmd;
	cli->flags = cmd->flags;
	int rc = cli_parse(cli, cmd, argc, argv);
	if (rc == CLI_HELP) {
		cli_print_help(cmd);
		rc = 0;
		goto done;
	}
	if (!rc)
		rc = count_args(cli, cmd);
	if (!rc && cmd->check)
		rc = cmd->check(cli);
	if (rc)
		goto done;
	retort_error err = {0};
	if (cli->flags & (NEEDS_PROJECT | NEEDS_DB | DB_IF_EXISTS))
		rc = open_project(cli);
	if (!rc && (cli->flags & VALIDATES) && retort_validate(cli->p, &err))
		rc = cli_fail(cli, &err);
	if (!rc && (cli->flags & NEEDS_DB) && retort_connect(cli->p, &cli->db, &err))
		rc = cli_fail(cli, &err);
	/* history -v shows when each revision was applied if the database is
	 * reachable; without one it is the plain record, and no error. */
	if (!rc && !(cli->flags & NEEDS_DB) && (cli->flags & DB_IF_EXISTS) &&
	    retort_database_exists(cli->p)) {
		int quiet = cli->quiet;
		cli->quiet = 1;
		if (retort_connect(cli->p, &cli->db, &err) != RETORT_OK)
			cli->db = NULL;
		cli->quiet = quiet;
	}
	if (rc)
		goto done;
	char *out = NULL;
	memset(&err, 0, sizeof(err));
	if (cli->db)
		cli_signals_install(cli->db);
	int status = cmd->run(cli, &out, &err);
	cli_progress_stop();
	cli_signals_restore();
	rc = cli_finish(cli, status, out, &err);
done:
	free(cli->pos);
	cli->pos = NULL;
	retort_db_free(cli->db);
	retort_project_free(cli->p);
	cli->db = NULL;
	cli->p = NULL;
	return rc;
}

int main(int argc, char **argv)
{
	/* The process's own choice, so here and not in the library: SQLite's
	 * memory-usage statistics (a global mutex and counters on every
	 * allocation) are read by nothing in retort; without them a 500-revision
	 * SQLite upgrade runs ~8 % fewer instructions. Before any connection
	 * (SQLite refuses configuration once initialised). */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
#ifdef __GLIBC__
	/* A short-lived process: keep freed heap instead of handing the top
	 * back to the kernel after every statement (SQLite's per-statement
	 * memory made the heap shrink and regrow, a brk and a few page faults
	 * per revision). Peak memory is unchanged; it is all returned at exit. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
	struct cli cli = {0};
	cli_prescan_format(&cli, argc, argv);
	int version = 0;
	int i = cli_parse_globals(&cli, argc, argv, &version);
	if (version) {
		printf("retort %s\n", RETORT_VERSION);
		return 0;
	}
	if (i == CLI_HELP) {
		cli_print_main_help();
		return 0;
	}
	if (i < 0)
		return -i;
	if (i >= argc)
		return cli_usage_error(&cli, NULL, "no command given (see retort --help)");
	const struct command *cmd = cli_find_command(argv[i]);
	int rc = cmd ? run_command(&cli, cmd, argc - i, argv + i) : unknown_command(&cli, argv[i]);
	fflush(stdout);
	return rc;
}
