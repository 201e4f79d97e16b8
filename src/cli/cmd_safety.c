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
		rc = retort_verify(cli->p, cli->db, 0, &out, &err);
		rc = cli_finish(rc, out, &err);
	}
	free(pos);
	return rc;
}

static const char usage_repair[] =
	"usage: retort repair [--applied]\n"
	"  after a non-transactional revision failed midway and you fixed the\n"
	"  database by hand: by default you undid its partial work (the next\n"
	"  upgrade runs it again); with --applied you finished it by hand (the\n"
	"  version moves past it).\n";

static int on_repair_opt(struct cli *cli, int c, const char *arg, void *ctx)
{
	(void)cli;
	(void)arg;
	if (c != 'A')
		return RETORT_EUSAGE;
	*(int *)ctx = 1;
	return 0;
}

int cmd_repair(struct cli *cli, int argc, char **argv)
{
	const char **pos;
	int npos, applied = 0;
	static const struct option lo[] = {GLOBAL_LONG, {"applied", no_argument, 0, 'A'},
	                                   {0, 0, 0, 0}};
	int rc = cli_parse(cli, argc, argv, GLOBAL_SHORT, lo, usage_repair, on_repair_opt, &applied,
	                   &pos, &npos);
	if (!rc && npos)
		rc = cli_usage_error(cli, usage_repair, "unexpected argument '%s'", pos[0]);
	if (!rc)
		rc = cli_open_project(cli);
	if (!rc)
		rc = cli_connect(cli);
	if (!rc) {
		retort_error err = {0};
		char *out = NULL;
		rc = retort_repair(cli->p, cli->db, applied ? RETORT_REPAIR_APPLIED : 0, &out, &err);
		rc = cli_finish(rc, out, &err);
	}
	free(pos);
	return rc;
}
