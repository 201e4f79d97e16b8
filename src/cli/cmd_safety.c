/*
 * cmd_safety.c: verify (have applied revision files changed?) and repair
 * (clear a dirty revision after a human fixed the database, release a
 * dead run's lease, accept edited files).
 */
#include "cli.h"

static retort_repair_options rep = RETORT_REPAIR_OPTIONS_INIT;

const struct cli_opt verify_opts[] = {CLI_OPT_END};

const struct cli_opt repair_opts[] = {
    {"applied", 0, NULL,
     "you finished the dirty revision's work by hand: record it as applied (the version "
     "moves past it) instead of undone",
     .flag = &rep.applied},
    {"lock", 0, NULL,
     "release the lock = table lease that a run which died left behind, whoever holds it "
     "(make sure no run is going on)",
     .flag = &rep.release_lock},
    {"checksums", 0, NULL,
     "accept the current files of the applied revisions: record their checksums, so "
     "verify and upgrade --strict stop reporting intended edits",
     .flag = &rep.checksums},
    CLI_OPT_END,
};

const char verify_help[] =
    "List the applied revisions whose file changed since it was applied, or is\n"
    "missing, comparing the file's checksum with the one retort_history recorded.\n"
    "Exit 3 when there is any, 0 when every file matches. Revisions applied without\n"
    "a checksum (stamped, or applied by Alembic) are counted, not compared.\n";

const char repair_help[] =
    "After a transactional: false revision failed midway (it is marked dirty and\n"
    "blocks every run) and you fixed the database by hand: by default you undid its\n"
    "partial work, so the record is cleared and the next upgrade or downgrade runs\n"
    "it again; with --applied you finished it. Without a dirty revision it says so\n"
    "and changes nothing. --lock and --checksums do only what they say.\n";

int check_repair(struct cli *cli)
{
	if (rep.applied + rep.release_lock + rep.checksums > 1)
		return cli_usage_error(cli, cli->cmd,
		                       "--applied, --lock and --checksums do not go together");
	return 0;
}

int cmd_verify(struct cli *cli, char **out, retort_error *err)
{
	retort_check_options co = RETORT_CHECK_OPTIONS_INIT;
	co.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
	return retort_verify(cli->p, cli->db, &co, out, err);
}

int cmd_repair(struct cli *cli, char **out, retort_error *err)
{
	rep.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
	return retort_repair(cli->p, cli->db, &rep, out, err);
}
