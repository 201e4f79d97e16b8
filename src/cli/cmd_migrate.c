/*
 * cmd_migrate.c: the commands that change a database's version: upgrade,
 * downgrade and stamp, online or rendered as SQL with --sql.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct migrate_opts {
	int sql, purge, strict;
};

static int on_opt(struct cli *cli, int c, const char *arg, void *ctx)
{
	(void)cli;
	(void)arg;
	struct migrate_opts *o = ctx;
	if (c == 's')
		o->sql = 1;
	else if (c == 'P')
		o->purge = 1;
	else if (c == 'T')
		o->strict = 1;
	else
		return RETORT_EUSAGE;
	return 0;
}

enum { UPGRADE, DOWNGRADE, STAMP };

static const char *usages[] = {
	("usage: retort upgrade [TARGET] [--sql] [--strict]\n"
	"  TARGET: head, heads, a revision (or unique prefix), label@head, +N, REV+N;\n"
	"          default: heads. --sql prints the SQL instead of running it\n"
	"          (offline; 'from:to' picks the starting revision).\n"
	 "          --strict refuses when an applied revision's file changed.\n"),
	("usage: retort downgrade TARGET [--sql]\n"
	"  TARGET: a revision, base, -N, REV-N, label@-N. --sql needs 'from:to'.\n"),
	("usage: retort stamp REV [--sql] [--purge]\n"
	"  set the version table to REV (heads, base, ...) without running anything;\n"
	"  --purge first deletes every version row.\n"),
};

static int migrate(struct cli *cli, int argc, char **argv, int op)
{
	static const struct option lo[] = {
		GLOBAL_LONG, {"sql", no_argument, 0, 's'}, {"purge", no_argument, 0, 'P'},
		{"strict", no_argument, 0, 'T'}, {0, 0, 0, 0}};
	struct migrate_opts o = {0};
	const char **pos;
	int npos;
	const char *usage = usages[op];
	int rc = cli_parse(cli, argc, argv, GLOBAL_SHORT, lo, usage, on_opt, &o, &pos, &npos);
	if (!rc && o.purge && op != STAMP)
		rc = cli_usage_error(cli, usage, "--purge is only for stamp");
	if (!rc && o.strict && op != UPGRADE)
		rc = cli_usage_error(cli, usage, "--strict is only for upgrade");
	if (!rc && npos > 1)
		rc = cli_usage_error(cli, usage, "too many arguments");
	if (!rc && npos == 0 && op != UPGRADE)
		rc = cli_usage_error(cli, usage, "a target revision is required");
	if (!rc && npos == 1 && !*pos[0])
		rc = cli_usage_error(cli, usage, "empty target: name a revision (id or prefix of at least 4 "
		                     "characters), head, heads or base");
	const char *target = npos ? pos[0] : "heads";
	if (!rc)
		rc = cli_open_project(cli);
	if (!rc && !o.sql && op != STAMP) {
		retort_error err = {0};
		if (retort_validate(cli->p, &err))
			rc = cli_fail(&err);
	}
	if (!rc && !o.sql)
		rc = cli_connect(cli);
	if (!rc) {
		retort_error err = {0};
		char *out = NULL;
		retort_run_options ro = RETORT_RUN_OPTIONS_INIT;
		ro.sql_only = o.sql;
		ro.purge = o.purge;
		ro.strict = o.strict;
		ro.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
		if (op == UPGRADE)
			rc = retort_upgrade(cli->p, cli->db, target, &ro, &out, &err);
		else if (op == DOWNGRADE)
			rc = retort_downgrade(cli->p, cli->db, target, &ro, &out, &err);
		else
			rc = retort_stamp(cli->p, cli->db, target, &ro, &out, &err);
		rc = cli_finish(rc, out, &err);
	}
	free(pos);
	return rc;
}

int cmd_upgrade(struct cli *cli, int argc, char **argv)
{
	return migrate(cli, argc, argv, UPGRADE);
}

int cmd_downgrade(struct cli *cli, int argc, char **argv)
{
	return migrate(cli, argc, argv, DOWNGRADE);
}

int cmd_stamp(struct cli *cli, int argc, char **argv)
{
	return migrate(cli, argc, argv, STAMP);
}
