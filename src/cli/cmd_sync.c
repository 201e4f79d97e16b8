/*
 * cmd_sync.c: `sync [TARGET] [--baseline REV]`: put a database under
 * version control and upgrade it (SPEC §9), refusing an unversioned
 * database that already holds tables unless a baseline is named.
 */
#include "cli.h"

static retort_sync_options so = RETORT_SYNC_OPTIONS_INIT;

const struct cli_opt sync_opts[] = {
    {"baseline", 0, "REV",
     "the revision an unversioned database's schema is at: stamp it there, then upgrade; "
     "ignored once the database has a version table, and when it has no tables (it is "
     "created from base)",
     .value = &so.baseline},
    CLI_OPT_END,
};

const char sync_help[] =
    "Bring a database of any state to TARGET without guessing where it stands:\n"
    "with a version table, a plain upgrade; with no version table and no tables\n"
    "(retort's own do not count), create it from base; with tables but no version\n"
    "table, refuse (exit 1, nothing changed) and ask which revision the schema\n"
    "matches: run 'retort stamp REV' or 'retort sync --baseline REV', which stamps\n"
    "REV and then upgrades. One 'sync --baseline REV' line thus serves a new\n"
    "database, a legacy one and every later deployment.\n"
    "\n"
    "arguments:\n"
    "  TARGET   where to go; default heads. The forms of upgrade's TARGET.\n";

int check_sync(struct cli *cli)
{
	if (cli->npos == 1 && !*cli->pos[0])
		return cli_usage_error(cli, cli->cmd,
		                       "empty target: name a revision (id or prefix of at least 4 "
		                       "characters), head or heads");
	if (so.baseline && !*so.baseline)
		return cli_usage_error(cli, cli->cmd,
		                       "empty --baseline: name the revision the schema is at");
	return 0;
}

int cmd_sync(struct cli *cli, char **out, retort_error *err)
{
	so.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
	return retort_sync(cli->p, cli->db, cli->npos ? cli->pos[0] : "heads", &so, out, err);
}
