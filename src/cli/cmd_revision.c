/*
 * cmd_revision.c: the commands that write files: init, revision, merge.
 * The new file's path goes to stdout so scripts can open it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_init[] = "usage: retort init [DIR]\n";

int cmd_init(struct cli *cli, int argc, char **argv)
{
	const char **pos;
	int npos;
	int rc = cli_parse(cli, argc, argv, GLOBAL_SHORT, (const struct option[]){GLOBAL_LONG, {0, 0, 0, 0}},
	                   usage_init, NULL, NULL, &pos, &npos);
	if (!rc && npos > 1)
		rc = cli_usage_error(cli, usage_init, "too many arguments");
	if (!rc) {
		const char *dir = npos ? pos[0] : ".";
		retort_error err = {0};
		if (retort_init(dir, &err))
			rc = cli_fail(&err);
		else if (!cli->quiet)
			fprintf(stderr,
			        "INFO  [retort] Created %s/retort.ini and %s/migrations/versions/\n",
			        dir, dir);
	}
	free(pos);
	return rc;
}

struct rev_cli_opts {
	retort_revision_opts o;
	int autogenerate;
};

static int on_opt(struct cli *cli, int c, const char *arg, void *ctx)
{
	(void)cli;
	struct rev_cli_opts *r = ctx;
	switch (c) {
	case 'm':
		r->o.message = arg;
		break;
	case 'I':
		r->o.rev_id = arg;
		break;
	case 'H':
		r->o.head = arg;
		break;
	case 'S':
		r->o.splice = 1;
		break;
	case 'B':
		r->o.branch_label = arg;
		break;
	case 'D':
		r->o.depends_on = arg;
		break;
	case 'A':
		r->autogenerate = 1;
		break;
	case 'X':
		r->o.phased = 1;
		break;
	default:
		return RETORT_EUSAGE;
	}
	return 0;
}

static const struct option rev_lo[] = {GLOBAL_LONG,
                                       {"message", required_argument, 0, 'm'},
                                       {"rev-id", required_argument, 0, 'I'},
                                       {"head", required_argument, 0, 'H'},
                                       {"splice", no_argument, 0, 'S'},
                                       {"branch-label", required_argument, 0, 'B'},
                                       {"depends-on", required_argument, 0, 'D'},
                                       {"autogenerate", no_argument, 0, 'A'},
                                       {"phased", no_argument, 0, 'X'},
                                       {0, 0, 0, 0}};

static const char usage_revision[] =
	"usage: retort revision -m MSG [--rev-id ID] [--head REV] [--splice]\n"
	"                       [--branch-label L] [--depends-on REV[,REV]] [--phased]\n";
static const char usage_merge[] =
	"usage: retort merge -m MSG REV REV... [--rev-id ID] [--branch-label L]\n";

static int write_rev(struct cli *cli, int argc, char **argv, int merge)
{
	struct rev_cli_opts r = {.o = RETORT_REVISION_OPTIONS_INIT};
	const char **pos;
	int npos;
	const char *usage = merge ? usage_merge : usage_revision;
	int rc = cli_parse(cli, argc, argv, GLOBAL_SHORT "m:", rev_lo, usage, on_opt, &r, &pos, &npos);
	if (!rc && !merge && npos)
		rc = cli_usage_error(cli, usage, "unexpected argument '%s'", pos[0]);
	if (!rc && merge && npos < 1)
		rc = cli_usage_error(cli, usage, "merge needs revisions to merge (e.g. heads)");
	/* The library reads an empty --head as "head"; typed, it is a mistake. */
	if (!rc && r.o.head && !*r.o.head)
		rc = cli_usage_error(cli, usage, "empty target for --head");
	if (!rc && r.o.depends_on && !*r.o.depends_on)
		rc = cli_usage_error(cli, usage, "empty target for --depends-on");
	if (!rc && r.autogenerate)
		rc = cli_usage_error(cli, usage, "--autogenerate is not available yet in this version");
	if (!rc && !r.o.message)
		r.o.message = "";
	if (!rc)
		rc = cli_open_project(cli);
	if (!rc) {
		retort_error err = {0};
		char *path = NULL;
		if (merge)
			r.o.merge_of = pos;
		rc = merge ? retort_merge(cli->p, &r.o, &path, &err)
		           : retort_revision(cli->p, &r.o, &path, &err);
		if (rc)
			rc = cli_fail(&err);
		else
			printf("%s\n", path);
		free(path);
	}
	free(pos);
	return rc;
}

int cmd_revision(struct cli *cli, int argc, char **argv)
{
	return write_rev(cli, argc, argv, 0);
}

int cmd_merge(struct cli *cli, int argc, char **argv)
{
	return write_rev(cli, argc, argv, 1);
}
