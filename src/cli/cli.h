/*
 * cli.h: what the parts of the command line share: the table that
 * describes a command (its flags, its option table, its help), the parsed
 * global options with the open project and database, and the helpers that
 * report results and errors the way every command does (results on
 * stdout, one "FAILED: ..." line on stderr, exit code = status).
 *
 * A command file (cmd_*.c) holds only its option tables, which point at
 * the library's option structs, an optional check of its arguments, and a
 * run function that calls the library. Everything around that call (parse,
 * open the project, validate, connect, signals, print, free) is main.c's
 * ladder, written once.
 */
#ifndef RETORT_CLI_H
#define RETORT_CLI_H

#include <stdio.h>

#include "retort.h"

/* One option of a command. Parsing sets *flag to 1 (no arg) or *value to
 * the argument; the same row gives getopt_long its entry and the help its
 * line. Global options have neither pointer: main.c handles them by key. */
struct cli_opt {
	const char *name;   /* long name, without "--" */
	char letter;        /* short option letter, or 0 */
	const char *arg;    /* the argument's name in help ("REV"), or NULL: a flag */
	const char *help;   /* one or two sentences */
	int *flag;          /* set to 1 when given (options without an argument) */
	const char **value; /* set to the argument */
	int key;            /* global options: what main.c switches on */
};
#define CLI_OPT_END                                                                                \
	{                                                                                          \
		0                                                                                  \
	}

/* What the ladder does before calling a command's run function. A check
 * function may clear bits for this invocation (upgrade --sql: offline). */
enum {
	NEEDS_PROJECT = 1, /* open retort.ini and read every revision */
	VALIDATES = 2,     /* split every statement before connecting */
	NEEDS_DB = 4,      /* connect (the command changes or reads the database) */
	DB_IF_EXISTS = 8,  /* connect quietly when the database exists (history -v) */
};

struct cli;
struct command {
	const char *name;
	int (*run)(struct cli *cli, char **out, retort_error *err);
	unsigned flags;
	const struct cli_opt *opts;    /* the command's own options; globals are added */
	const char *args;              /* positionals, for the synopsis: "[TARGET]" */
	int min_args, max_args;        /* max -1: no limit */
	const char *summary;           /* one line, for `retort --help` */
	const char *help;              /* what it does, its arguments (pre-wrapped) */
	int (*check)(struct cli *cli); /* usage checks before anything is opened */
};

struct cli {
	const char *config;
	const char *url;
	int quiet, verbose, json;
	const struct command *cmd;
	unsigned flags; /* cmd->flags, as narrowed by its check */
	const char **pos;
	int npos;
	retort_project *p;
	retort_db *db;
};

/* ---- opt.c: option tables -> getopt_long, help, suggestions ---------- */

extern const struct cli_opt cli_global_opts[];
enum {
	GOPT_CONFIG = 1,
	GOPT_URL,
	GOPT_QUIET,
	GOPT_VERBOSE,
	GOPT_FORMAT,
	GOPT_NO_COLOR,
	GOPT_HELP,
	GOPT_VERSION
};

#define CLI_HELP (-100) /* cli_parse: -h was given */
/* Parses a command's arguments (argv[0] is the command's name) against
 * its table and the global options; positionals, including relative
 * targets like "-2", go to cli->pos. Returns 0, CLI_HELP, or a usage
 * error's status (message printed). */
int cli_parse(struct cli *cli, const struct command *cmd, int argc, char **argv);
/* The global options before the command; returns the index of the
 * command's name (argc if none), CLI_HELP, or -status after an error. */
int cli_parse_globals(struct cli *cli, int argc, char **argv, int *version);
int cli_global_opt(struct cli *cli, int key, const char *arg);
void cli_print_help(const struct command *cmd);           /* `retort CMD -h` */
void cli_print_usage(FILE *f, const struct command *cmd); /* synopsis lines */
/* The closest of names[0..n) to word, or NULL when none is close. */
const char *cli_suggest(const char *word, const char *const *names, size_t n);
/* Sets cli->json when argv asks for JSON, before anything can fail. */
void cli_prescan_format(struct cli *cli, int argc, char **argv);

/* ---- main.c ------------------------------------------------------------ */

extern const struct command cli_commands[];
extern const size_t cli_ncommands;
const struct command *cli_find_command(const char *name);
void cli_print_main_help(void);
extern const char cli_main_usage[];

/* ---- out.c: results and errors ----------------------------------------- */

void cli_log(void *ud, int level, const char *msg);
/* Prints the FAILED line (and under --format json the error document on
 * stdout); returns the exit status. */
int cli_fail(struct cli *cli, const retort_error *err);
/* A usage error: FAILED line, then cmd's synopsis (or the main usage). */
int cli_usage_error(struct cli *cli, const struct command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prints out (and frees it), then the error if rc != 0; under --format
 * json a failure is folded into the document. Returns the exit status. */
int cli_finish(struct cli *cli, int rc, char *out, const retort_error *err);
/* A JSON document ("...\n") for out, from a jansson value (consumed). */
struct json_t;
char *cli_json_dump(struct json_t *doc);

/* ---- signals.c, progress.c --------------------------------------------- */

void cli_signals_install(retort_db *db);
void cli_signals_restore(void);
int cli_signal_received(void); /* the signal that asked us to stop, or 0 */

void cli_progress(void *ud, const retort_progress *pr);
int cli_progress_wanted(const struct cli *cli); /* stderr a terminal, not -q */
void cli_progress_stop(void);
/* Serialises stderr between log lines and the status line. */
void cli_stderr_lock(void);
void cli_stderr_unlock(void);

/* ---- the commands ------------------------------------------------------- */

#define CMD_DECL(n)                                                                                \
	int cmd_##n(struct cli *cli, char **out, retort_error *err);                               \
	extern const struct cli_opt n##_opts[];                                                    \
	extern const char n##_help[]
CMD_DECL(init);
CMD_DECL(revision);
CMD_DECL(merge);
CMD_DECL(upgrade);
CMD_DECL(downgrade);
CMD_DECL(stamp);
CMD_DECL(current);
CMD_DECL(version);
CMD_DECL(history);
CMD_DECL(heads);
CMD_DECL(branches);
CMD_DECL(show);
CMD_DECL(verify);
CMD_DECL(repair);
CMD_DECL(check);
CMD_DECL(schema);
CMD_DECL(test);
CMD_DECL(lint);
CMD_DECL(sync);
CMD_DECL(graph);
CMD_DECL(expand);
CMD_DECL(migrate);
CMD_DECL(contract);
#undef CMD_DECL
int check_revision(struct cli *cli);
int check_migrate(struct cli *cli);
int check_phase(struct cli *cli);
int check_history(struct cli *cli);
int check_show(struct cli *cli);
int check_repair(struct cli *cli);
int check_lint(struct cli *cli);
int check_sync(struct cli *cli);
int check_graph(struct cli *cli);

/* A usage error has no library reason; its JSON reason is "usage". */
#define REASON_USAGE (-1)

#endif
