/*
 * main.c: the retort command line: global options, the table of commands,
 * and the conventions every command shares (log lines on stderr in
 * Alembic's "INFO  [retort] ..." form, results on stdout, one FAILED line
 * and a documented exit code on error).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define NEEDS_DB 1

struct command {
	const char *name;
	int (*fn)(struct cli *, int, char **);
	const char *summary;
};

static const struct command commands[] = {
	{"init", cmd_init, "create retort.ini and migrations/versions/"},
	{"revision", cmd_revision, "write a new revision file"},
	{"merge", cmd_merge, "write a revision that merges several heads"},
	{"upgrade", cmd_upgrade, "apply revisions up to a target (default: heads)"},
	{"downgrade", cmd_downgrade, "revert revisions down to a target"},
	{"stamp", cmd_stamp, "set the version table without running anything"},
	{"current", cmd_current, "show the database's revision(s)"},
	{"version", cmd_current, "show the database's version (same as current)"},
	{"history", cmd_history, "list revisions, newest first"},
	{"heads", cmd_heads, "show the head revisions"},
	{"branches", cmd_branches, "show branch points"},
	{"show", cmd_show, "show one revision"},
	{"verify", cmd_verify, "exit 3 if an applied revision's file changed or is missing"},
	{"repair", cmd_repair, "clear a dirty revision after fixing the database by hand"},
};

static const char main_usage[] =
	"usage: retort [-c FILE] [-u URL] [-q] [-v] [--format text|json] COMMAND [ARGS]\n";

static void print_help(void)
{
	printf("%s\nretort %s: database schema migrations (Alembic's commands for SQLite and "
	       "PostgreSQL)\n\ncommands:\n",
	       main_usage, RETORT_VERSION);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].summary);
	printf("\nglobal options:\n"
	       "  -c, --config FILE   config file (default: $RETORT_CONFIG, then ./retort.ini)\n"
	       "  -u, --url URL       database URL (overrides $DATABASE_URL and the config)\n"
	       "  -q, --quiet         no log lines\n"
	       "  -v, --verbose       more output\n"
	       "      --format F      text (default) or json, for read-only commands\n"
	       "      --no-color      no colour (retort never colours output today)\n"
	       "  -h, --help          help; `retort COMMAND -h` for a command's options\n"
	       "      --version       print retort's version\n"
	       "\nexit codes: 0 ok, 1 runtime failure, 2 usage or configuration error, 3 check "
	       "found a difference\n");
}

void cli_log(void *ud, int level, const char *msg)
{
	const struct cli *cli = ud;
	static const char *names[] = {"DEBUG", "INFO ", "WARNI", "ERROR"};
	if (cli->quiet && level < RETORT_LOG_WARN)
		return;
	fprintf(stderr, "%s [retort] %s\n", names[level], msg);
}

int cli_fail(const retort_error *err)
{
	char buf[sizeof(err->message) + sizeof(err->file) + 32];
	fflush(stdout);
	fprintf(stderr, "FAILED: %s\n", retort_error_format(err, buf, sizeof(buf)));
	return err->code ? err->code : RETORT_ERUNTIME;
}

int cli_usage_error(struct cli *cli, const char *usage, const char *fmt, ...)
{
	(void)cli;
	va_list ap;
	va_start(ap, fmt);
	fputs("FAILED: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (usage)
		fputs(usage, stderr);
	return RETORT_EUSAGE;
}

int cli_global_opt(struct cli *cli, int c, const char *usage)
{
	switch (c) {
	case 'c':
		cli->config = optarg;
		return 1;
	case 'u':
		cli->url = optarg;
		return 1;
	case 'q':
		cli->quiet = 1;
		return 1;
	case 'v':
		cli->verbose = 1;
		return 1;
	case 'N':
		return 1;
	case 'F':
		if (strcmp(optarg, "json") == 0)
			cli->json = 1;
		else if (strcmp(optarg, "text") == 0)
			cli->json = 0;
		else {
			cli_usage_error(cli, NULL, "unknown --format '%s' (use text or json)", optarg);
			return -1;
		}
		return 1;
	case 'h':
		fputs(usage ? usage : main_usage, stdout);
		exit(0);
	}
	return 0;
}

int cli_open_project(struct cli *cli)
{
	retort_options o = RETORT_OPTIONS_INIT;
	o.config_path = cli->config;
	o.url = cli->url;
	o.log = cli_log;
	o.log_ud = cli;
	o.verbose = cli->verbose;
	retort_error err = {0};
	if (retort_project_open(&cli->p, &o, &err))
		return cli_fail(&err);
	return 0;
}

int cli_connect(struct cli *cli)
{
	retort_error err = {0};
	if (retort_connect(cli->p, &cli->db, &err))
		return cli_fail(&err);
	return 0;
}

/* Collects options through fn and positionals into *pos. Arguments like
 * "-2" are relative targets, not options, so they bypass getopt. */
int cli_parse(struct cli *cli, int argc, char **argv, const char *shortopts,
              const struct option *lo, const char *usage, cli_opt_fn fn, void *ctx,
              const char ***pos, int *npos)
{
	char **av = calloc((size_t)argc + 1, sizeof(char *));
	char **neg = calloc((size_t)argc + 1, sizeof(char *));
	int ac = 0, nneg = 0, rc = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (i > 0 && a[0] == '-' && a[1] >= '0' && a[1] <= '9' && strspn(a + 1, "0123456789") == strlen(a + 1))
			neg[nneg++] = argv[i];
		else
			av[ac++] = argv[i];
	}
	int c;
	optind = 0;
	opterr = 0;
	/* A leading ':' makes getopt say ':' for a missing argument. */
	char *opts = malloc(strlen(shortopts) + 2);
	opts[0] = ':';
	strcpy(opts + 1, shortopts);
	while (!rc && (c = getopt_long(ac, av, opts, lo, NULL)) != -1) {
		if (c == '?' || c == ':') {
			rc = cli_usage_error(cli, usage, "%s '%s'",
			                     c == ':' ? "missing value for option" : "unknown option",
			                     av[optind - 1]);
			break;
		}
		int g = cli_global_opt(cli, c, usage);
		if (g < 0)
			rc = RETORT_EUSAGE;
		else if (g == 0 && fn)
			rc = fn(cli, c, optarg, ctx);
		else if (g == 0)
			rc = cli_usage_error(cli, usage, "unknown option '%s'", av[optind - 1]);
	}
	free(opts);
	*npos = 0;
	*pos = (const char **)calloc((size_t)argc + 1, sizeof(char *));
	/* keep the user's order between ordinary and "-N" positionals */
	for (int i = 1; i < argc; i++) {
		int take = 0;
		for (int k = 0; k < nneg && !take; k++)
			take = neg[k] == argv[i];
		for (int k = optind; k < ac && !take; k++)
			take = av[k] == argv[i];
		if (take)
			(*pos)[(*npos)++] = argv[i];
	}
	free(av);
	free(neg);
	return rc;
}

int cli_finish(int rc, char *out, const retort_error *err)
{
	if (out)
		cli_print(out);
	free(out);
	return rc ? cli_fail(err) : 0;
}

void cli_print(const char *text)
{
	fputs(text, stdout);
}

int main(int argc, char **argv)
{
	struct cli cli = {.prog = "retort"};
	static const struct option longopts[] = {GLOBAL_LONG, {"version", no_argument, 0, 'V'},
	                                         {0, 0, 0, 0}};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:" GLOBAL_SHORT, longopts, NULL)) != -1) {
		if (c == ':')
			return cli_usage_error(&cli, main_usage, "missing value for option '%s'",
			                       argv[optind - 1]);
		if (c == 'V') {
			printf("retort %s\n", RETORT_VERSION);
			return 0;
		}
		if (c == 'h') {
			print_help();
			return 0;
		}
		int g = cli_global_opt(&cli, c, main_usage);
		if (g < 0)
			return RETORT_EUSAGE;
		if (g == 0)
			return cli_usage_error(&cli, main_usage, "unknown option '%s'",
			                       argv[optind - 1]);
	}
	if (optind >= argc) {
		fputs(main_usage, stderr);
		return RETORT_EUSAGE;
	}
	const char *name = argv[optind];
	if (strcmp(name, "help") == 0) {
		print_help();
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		int sub_argc = argc - optind;
		char **sub_argv = argv + optind;
		optind = 0; /* fully restart getopt for the command's own options */
		int rc = commands[i].fn(&cli, sub_argc, sub_argv);
		retort_db_free(cli.db);
		retort_project_free(cli.p);
		fflush(stdout);
		return rc;
	}
	return cli_usage_error(&cli, main_usage, "unknown command '%s' (see retort --help)", name);
}
