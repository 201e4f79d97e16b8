/*
 * cli.h: what the command functions share: parsed global options, the
 * open project and database, and helpers to report errors the way every
 * command does (one "FAILED: ..." line on stderr, exit code = status).
 */
#ifndef RETORT_CLI_H
#define RETORT_CLI_H

#include <getopt.h>

#include "retort.h"

struct cli {
	const char *config;
	const char *url;
	int quiet, verbose, json;
	const char *prog;
	retort_project *p;
	retort_db *db;
};

/* The long options every command also accepts, and their letters. */
#define GLOBAL_SHORT "c:u:qvh"
#define GLOBAL_LONG                                                                         \
	{"config", required_argument, 0, 'c'}, {"url", required_argument, 0, 'u'},          \
		{"quiet", no_argument, 0, 'q'}, {"verbose", no_argument, 0, 'v'},           \
		{"help", no_argument, 0, 'h'}, {"format", required_argument, 0, 'F'},       \
		{"no-color", no_argument, 0, 'N'}

/* Handles a global option returned by getopt_long; returns 1 if it was one,
 * -1 on a bad value (error printed), 0 otherwise. 'h' prints usage. */
int cli_global_opt(struct cli *cli, int c, const char *usage);
int cli_fail(const retort_error *err);
int cli_usage_error(struct cli *cli, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
typedef int (*cli_opt_fn)(struct cli *cli, int c, const char *arg, void *ctx);
/* Parses a command's arguments: global options are handled, others go to
 * fn; positionals (including relative targets like "-2") to *pos (free()). */
int cli_parse(struct cli *cli, int argc, char **argv, const char *shortopts,
              const struct option *lo, const char *usage, cli_opt_fn fn, void *ctx,
              const char ***pos, int *npos);
int cli_open_project(struct cli *cli);
int cli_connect(struct cli *cli);
void cli_print(const char *text); /* stdout, as is */
/* Prints a library call's output (if any; frees it), then its error. */
int cli_finish(int rc, char *out, const retort_error *err);
void cli_log(void *ud, int level, const char *msg);

int cmd_init(struct cli *cli, int argc, char **argv);
int cmd_revision(struct cli *cli, int argc, char **argv);
int cmd_merge(struct cli *cli, int argc, char **argv);
int cmd_upgrade(struct cli *cli, int argc, char **argv);
int cmd_downgrade(struct cli *cli, int argc, char **argv);
int cmd_stamp(struct cli *cli, int argc, char **argv);
int cmd_current(struct cli *cli, int argc, char **argv);
int cmd_history(struct cli *cli, int argc, char **argv);
int cmd_heads(struct cli *cli, int argc, char **argv);
int cmd_branches(struct cli *cli, int argc, char **argv);
int cmd_show(struct cli *cli, int argc, char **argv);
int cmd_verify(struct cli *cli, int argc, char **argv);
int cmd_repair(struct cli *cli, int argc, char **argv);

#endif
