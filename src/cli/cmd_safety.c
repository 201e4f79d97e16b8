/*
 * cmd_safety.c: verify (have applied revision files changed?) and repair
 * (clear a dirty revision after a human fixed the database).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_verify[] =
	"usage: retort verify\n"
	"  lists applied revisions whose file changed since it was applied, or is\n"
	"  missing; exit 3 when there is any, 0 when all match.\n";

int cmd_verify(struct cli *cli, int argc, char **argv)
{
	const char **pos;
	int npos;
	static const struct option lo[] = {GLOBAL_LONG, {0, 0, 0, 0}};
	int rc = cli_parse(cli, argc, argv, GLOBAL_SHORT, lo, usage_verify, NULL, NULL, &pos, &npos);
	if (!rc && npos)
		rc = cli_usage_error(cli, usage_verify, "unexpected argument '%s'", pos[0]);
	if (!rc)
		rc = cli_open_project(cli);
	if (!rc)
		rc = cli_connect(cli);
	if (!rc) {
		retort_error err = {0};
		char *out = NULL;
		retort_check_options co = RETORT_CHECK_OPTIONS_INIT;
		co.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
		rc = retort_verify(cli->p, cli->db, &co, &out, &err);
		rc = cli_finish(rc, out, &err);
	}
	free(pos);
	return rc;
}

static const char usage_repair[] =
	"usage: retort repair [--applied | --lock]\n"
	"  after a non-transactional revision failed midway and you fixed the\n"
	"  database by hand: by default you undid its partial work (the next\n"
	"  upgrade or downgrade runs it again); with --applied you finished it by\n"
	"  hand (the version moves past it).\n"
	"  --lock: release the lock = table lease of a run that died (whoever\n"
	"  holds it: make sure no run is going on).\n";

static int on_repair_opt(struct cli *cli, int c, const char *arg, void *ctx)
{
	(void)cli;
	(void)arg;
	retort_repair_options *o = ctx;
	if (c == 'A')
		o->applied = 1;
	else if (c == 'L')
		o->release_lock = 1;
	else
		return RETORT_EUSAGE;
	return 0;
}

int cmd_repair(struct cli *cli, int argc, char **argv)
{
	const char **pos;
	int npos;
	retort_repair_options ro = RETORT_REPAIR_OPTIONS_INIT;
	static const struct option lo[] = {GLOBAL_LONG, {"applied", no_argument, 0, 'A'},
	                                   {"lock", no_argument, 0, 'L'}, {0, 0, 0, 0}};
	int rc = cli_parse(cli, argc, argv, GLOBAL_SHORT, lo, usage_repair, on_repair_opt, &ro,
	                   &pos, &npos);
	if (!rc && npos)
		rc = cli_usage_error(cli, usage_repair, "unexpected argument '%s'", pos[0]);
	if (!rc && ro.applied && ro.release_lock)
		rc = cli_usage_error(cli, usage_repair, "--applied and --lock do not go together");
	if (!rc)
		rc = cli_open_project(cli);
	if (!rc)
		rc = cli_connect(cli);
	if (!rc) {
		retort_error err = {0};
		char *out = NULL;
		rc = ro.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
		rc = retort_repair(cli->p, cli->db, &ro, &out, &err);
		rc = cli_finish(rc, out, &err);
	}
	free(pos);
	return rc;
}
