/*
 * cmd_report.c: the read-only commands: current (and version), history,
 * heads, branches, show. Text output is byte-for-byte Alembic 1.8's;
 * --format json prints one JSON document with the same facts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct report_opts {
	const char *range;
	int indicate_current, resolve_deps;
};

static int on_opt(struct cli *cli, int c, const char *arg, void *ctx)
{
	(void)cli;
	struct report_opts *o = ctx;
	if (c == 'r')
		o->range = arg;
	else if (c == 'i')
		o->indicate_current = 1;
	else if (c == 'R')
		o->resolve_deps = 1;
	else
		return RETORT_EUSAGE;
	return 0;
}

static const struct option report_lo[] = {GLOBAL_LONG,
                                          {"rev-range", required_argument, 0, 'r'},
                                          {"indicate-current", no_argument, 0, 'i'},
                                          {"resolve-dependencies", no_argument, 0, 'R'},
                                          {0, 0, 0, 0}};

enum { CURRENT, HISTORY, HEADS, BRANCHES, SHOW };

static const char *usages[] = {
	("usage: retort current [-v] [--format text|json]\n"),
	("usage: retort history [-r RANGE] [-v] [-i|--indicate-current] [--format text|json]\n"
	"  RANGE: A:B, A:, :B, current:, -3:, base:head\n"),
	("usage: retort heads [-v] [--resolve-dependencies] [--format text|json]\n"),
	("usage: retort branches [-v] [--format text|json]\n"),
	("usage: retort show REV [--format text|json]\n"),
};

static int report(struct cli *cli, int argc, char **argv, int which)
{
	struct report_opts o = {0};
	const char **pos;
	int npos;
	const char *usage = usages[which];
	const char *shortopts = which == HISTORY ? GLOBAL_SHORT "r:i" : GLOBAL_SHORT;
	int rc = cli_parse(cli, argc, argv, shortopts, report_lo, usage, on_opt, &o, &pos, &npos);
	if (!rc && which == SHOW && npos != 1)
		rc = cli_usage_error(cli, usage, "show needs exactly one revision");
	else if (!rc && which != SHOW && npos > 0)
		rc = cli_usage_error(cli, usage, "unexpected argument '%s'", pos[0]);
	if (!rc && which != HISTORY && (o.range || o.indicate_current))
		rc = cli_usage_error(cli, usage, "-r and --indicate-current are for history");
	/* Alembic's wording: an empty range is no range, not "everything". */
	if (!rc && o.range && !*o.range)
		rc = cli_usage_error(cli, usage,
		                     "History range requires [start]:[end], [start]:, or :[end]");
	if (!rc)
		rc = cli_open_project(cli);
	/* Like Alembic, only "current" in a range or --indicate-current reads
	 * the database; "-3:" counts from the heads. */
	int needs_db = which == CURRENT ||
	               (!rc && which == SHOW && npos == 1 && strcmp(pos[0], "current") == 0) ||
	               (which == HISTORY &&
	                (o.indicate_current || (o.range && strstr(o.range, "current"))));
	if (!rc && needs_db)
		rc = cli_connect(cli);
	/* history -v shows when each revision was applied, if a database is
	 * configured and reachable; without one it is the plain record. */
	if (!rc && which == HISTORY && cli->verbose && !needs_db && !cli->json &&
	    retort_database_exists(cli->p)) {
		retort_error ignored;
		retort_db *db = NULL;
		int quiet = cli->quiet;
		cli->quiet = 1;
		if (retort_connect(cli->p, &db, &ignored) == RETORT_OK)
			cli->db = db;
		cli->quiet = quiet;
	}
	if (rc) {
		free(pos);
		return rc;
	}
	retort_report_options ro = RETORT_REPORT_OPTIONS_INIT;
	ro.verbose = cli->verbose;
	ro.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
	ro.indicate_current = o.indicate_current;
	ro.resolve_dependencies = o.resolve_deps;
	retort_error err = {0};
	char *out = NULL;
	switch (which) {
	case CURRENT:
		rc = retort_report_current(cli->p, cli->db, &ro, &out, &err);
		break;
	case HISTORY:
		rc = retort_report_history(cli->p, cli->db, o.range, &ro, &out, &err);
		break;
	case HEADS:
		rc = retort_report_heads(cli->p, &ro, &out, &err);
		break;
	case BRANCHES:
		rc = retort_report_branches(cli->p, &ro, &out, &err);
		break;
	default:
		rc = retort_report_show(cli->p, cli->db, pos[0], &ro, &out, &err);
	}
	/* current prints what it knows even when it then refuses (dirty). */
	free(pos);
	return cli_finish(rc, out, &err);
}

int cmd_current(struct cli *cli, int argc, char **argv)
{
	return report(cli, argc, argv, CURRENT);
}

int cmd_history(struct cli *cli, int argc, char **argv)
{
	return report(cli, argc, argv, HISTORY);
}

int cmd_heads(struct cli *cli, int argc, char **argv)
{
	return report(cli, argc, argv, HEADS);
}

int cmd_branches(struct cli *cli, int argc, char **argv)
{
	return report(cli, argc, argv, BRANCHES);
}

int cmd_show(struct cli *cli, int argc, char **argv)
{
	return report(cli, argc, argv, SHOW);
}
