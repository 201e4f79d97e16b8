/*
 * opt.c: option tables. Each command's table (struct cli_opt rows) is the
 * one description of its options: getopt_long's arrays are built from it,
 * and so are the synopsis and the -h text, so the help cannot forget an
 * option. Also: the suggestion for a mistyped command or option (edit
 * distance).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const struct cli_opt cli_global_opts[] = {
    {"config", 'c', "FILE",
     "the config file (default: $RETORT_CONFIG, then ./retort.ini); relative paths in it are "
     "relative to its directory",
     .key = GOPT_CONFIG},
    {"url", 'u', "URL",
     "the database URL, overriding $DATABASE_URL and the config's url: sqlite:///rel.db, "
     "sqlite:////abs.db, postgresql://user:pass@host:port/db",
     .key = GOPT_URL},
    {"quiet", 'q', NULL, "no INFO log lines (warnings and errors still show)", .key = GOPT_QUIET},
    {"verbose", 'v', NULL,
     "more detail: full records (Rev, Parent, Path, dates) in current, history, heads, "
     "branches and show",
     .key = GOPT_VERBOSE},
    {"format", 0, "text|json",
     "json: the result as one JSON document on stdout; a failure is a JSON document "
     "{\"error\": {...}} there too (the FAILED line still goes to stderr)",
     .key = GOPT_FORMAT},
    {"no-color", 0, NULL, "never colour the output (as $NO_COLOR; retort prints no colour today)",
     .key = GOPT_NO_COLOR},
    {"help", 'h', NULL, "print this help and exit", .key = GOPT_HELP},
    CLI_OPT_END,
};

static const struct cli_opt top_opts[] = {
    {"version", 0, NULL, "print retort's version and exit", .key = GOPT_VERSION},
    CLI_OPT_END,
};

/* ---- getopt_long's arrays from the tables ------------------------------- */

#define MAX_ROWS 48
#define LONG_VAL 256 /* getopt value of row i without a letter: LONG_VAL + i */

struct optset {
	const struct cli_opt *rows[MAX_ROWS];
	size_t n;
	struct option lo[MAX_ROWS + 1];
	char shortopts[2 + 2 * MAX_ROWS + 1];
};

static void optset_add(struct optset *s, const struct cli_opt *t)
{
	for (; t && t->name; t++) {
		/* a command's own option shadows a global one of the same name
		 * (graph --format dot|mermaid) */
		int shadowed = 0;
		for (size_t i = 0; i < s->n && !shadowed; i++)
			shadowed = strcmp(s->rows[i]->name, t->name) == 0;
		if (!shadowed && s->n < MAX_ROWS)
			s->rows[s->n++] = t;
	}
}

static void optset_build(struct optset *s)
{
	/* ':' first: getopt says ':' for a missing argument, and is quiet */
	char *sp = s->shortopts;
	*sp++ = ':';
	for (size_t i = 0; i < s->n; i++) {
		const struct cli_opt *r = s->rows[i];
		s->lo[i] = (struct option){r->name, r->arg ? required_argument : no_argument, NULL,
		                           r->letter ? r->letter : LONG_VAL + (int)i};
		if (r->letter) {
			*sp++ = r->letter;
			if (r->arg)
				*sp++ = ':';
		}
	}
	*sp = 0;
	s->lo[s->n] = (struct option){0, 0, 0, 0};
}

static const struct cli_opt *optset_row(const struct optset *s, int c)
{
	if (c >= LONG_VAL && (size_t)(c - LONG_VAL) < s->n)
		return s->rows[c - LONG_VAL];
	for (size_t i = 0; i < s->n; i++)
		if (s->rows[i]->letter == c)
			return s->rows[i];
	return NULL;
}

/* ---- suggestions -------------------------------------------------------- */

/* Optimal string alignment distance: Levenshtein plus swapping two
 * neighbours ("upgarde" is one step from "upgrade"). */
static size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	if (n > 64 || m > 64)
		return 99;
	size_t d[65][65];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[n][m];
}

const char *cli_suggest(const char *word, const char *const *names, size_t count)
{
	size_t len = strlen(word), best = 99;
	const char *pick = NULL, *prefixed = NULL;
	int nprefixed = 0;
	for (size_t i = 0; i < count; i++) {
		size_t d = edit_distance(word, names[i]);
		if (d < best) {
			best = d;
			pick = names[i];
		}
		if (len >= 2 && strncmp(names[i], word, len) == 0) {
			prefixed = names[i];
			nprefixed++;
		}
	}
	/* one typo in a short word, two in a longer one; else a unique
	 * command the word begins ("hist") */
	if (pick && best > 0 && best <= (len <= 4 ? 1u : 2u))
		return pick;
	return nprefixed == 1 ? prefixed : NULL;
}

/* An unknown or ambiguous long option, with a suggestion if one is close. */
static int bad_long_option(struct cli *cli, const struct command *cmd, const struct optset *s,
                           const char *arg)
{
	char name[128];
	size_t n = strcspn(arg + 2, "=");
	snprintf(name, sizeof(name), "%.*s", (int)(n < 100 ? n : 100), arg + 2);
	const char *names[MAX_ROWS];
	char matches[512] = "";
	int nmatch = 0;
	for (size_t i = 0; i < s->n; i++) {
		names[i] = s->rows[i]->name;
		if (*name && strncmp(names[i], name, strlen(name)) == 0) {
			size_t l = strlen(matches);
			snprintf(matches + l, sizeof(matches) - l, "%s--%s", nmatch ? ", " : "",
			         names[i]);
			nmatch++;
		}
	}
	if (nmatch > 1)
		return cli_usage_error(cli, cmd, "ambiguous option '--%s' (%s)", name, matches);
	if (nmatch == 1) /* getopt knew it: "--sql=x" */
		return cli_usage_error(cli, cmd, "option '--%s' takes no value", name);
	const char *near = cli_suggest(name, names, s->n);
	if (near)
		return cli_usage_error(cli, cmd, "unknown option '--%s'; did you mean '--%s'?",
		                       name, near);
	return cli_usage_error(cli, cmd, "unknown option '--%s'", name);
}

/* arg: the element getopt stopped in, when it was a long option (a long
 * option always moves optind past its element; an unknown letter inside
 * "-xq" does not, so optopt says which letter). */
static int bad_option(struct cli *cli, const struct command *cmd, const struct optset *s, int c,
                      const char *arg)
{
	if (c == ':' && strncmp(arg, "--", 2) != 0 && optopt > 0 && optopt < LONG_VAL)
		return cli_usage_error(cli, cmd, "missing value for option '-%c'", optopt);
	if (c == ':')
		return cli_usage_error(cli, cmd, "missing value for option '%s'", arg);
	const struct cli_opt *r = optopt ? optset_row(s, optopt) : NULL;
	int long_form = strncmp(arg, "--", 2) == 0 &&
	                (!optopt || (r && strncmp(arg + 2, r->name, strcspn(arg + 2, "=")) == 0));
	if (long_form)
		return bad_long_option(cli, cmd, s, arg);
	return cli_usage_error(cli, cmd, "unknown option '-%c'", optopt ? optopt : '?');
}

/* ---- parsing ------------------------------------------------------------ */

int cli_global_opt(struct cli *cli, int key, const char *arg)
{
	switch (key) {
	case GOPT_CONFIG:
		cli->config = arg;
		break;
	case GOPT_URL:
		cli->url = arg;
		break;
	case GOPT_QUIET:
		cli->quiet = 1;
		break;
	case GOPT_VERBOSE:
		cli->verbose = 1;
		break;
	case GOPT_NO_COLOR:
		break;
	case GOPT_FORMAT:
		if (strcmp(arg, "json") == 0)
			cli->json = 1;
		else if (strcmp(arg, "text") == 0)
			cli->json = 0;
		else
			return cli_usage_error(cli, cli->cmd,
			                       "unknown --format '%s' (use text or json)", arg);
		break;
	case GOPT_HELP:
		return CLI_HELP;
	}
	return 0;
}

void cli_prescan_format(struct cli *cli, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
			cli->json = strcmp(argv[++i], "json") == 0;
		else if (strncmp(argv[i], "--format=", 9) == 0)
			cli->json = strcmp(argv[i] + 9, "json") == 0;
	}
}

static int is_relative_target(const char *a)
{
	return a[0] == '-' && a[1] >= '0' && a[1] <= '9' &&
	       strspn(a + 1, "0123456789") == strlen(a + 1);
}

int cli_parse_globals(struct cli *cli, int argc, char **argv, int *version)
{
	struct optset s = {.n = 0};
	optset_add(&s, cli_global_opts);
	optset_add(&s, top_opts);
	optset_build(&s);
	/* '+': stop at the command's name; what follows is the command's */
	char shortopts[sizeof(s.shortopts) + 1] = "+";
	strcat(shortopts, s.shortopts);
	optind = 0;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shortopts, s.lo, NULL)) != -1) {
		const struct cli_opt *r = c == '?' || c == ':' ? NULL : optset_row(&s, c);
		if (!r)
			return -bad_option(cli, NULL, &s, c, argv[optind - 1]);
		if (r->key == GOPT_VERSION) {
			*version = 1;
			return argc;
		}
		int rc = cli_global_opt(cli, r->key, optarg);
		if (rc)
			return rc == CLI_HELP ? CLI_HELP : -rc;
	}
	return optind;
}

int cli_parse(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	struct optset s = {.n = 0};
	optset_add(&s, cmd->opts);
	optset_add(&s, cli_global_opts);
	optset_build(&s);
	/* Arguments like "-2" are relative targets, not options: they bypass
	 * getopt (which permutes av, so positionals are found by pointer). */
	char **av = calloc((size_t)argc + 1, sizeof(char *));
	char **neg = calloc((size_t)argc + 1, sizeof(char *));
	int ac = 0, nneg = 0, rc = 0, c;
	for (int i = 0; i < argc; i++) {
		if (i > 0 && is_relative_target(argv[i]))
			neg[nneg++] = argv[i];
		else
			av[ac++] = argv[i];
	}
	optind = 0;
	opterr = 0;
	while (!rc && (c = getopt_long(ac, av, s.shortopts, s.lo, NULL)) != -1) {
		const struct cli_opt *r = c == '?' || c == ':' ? NULL : optset_row(&s, c);
		if (!r)
			rc = bad_option(cli, cmd, &s, c, av[optind - 1]);
		else if (r->key)
			rc = cli_global_opt(cli, r->key, optarg);
		else if (r->flag)
			*r->flag = 1;
		else if (r->value)
			*r->value = optarg;
	}
	cli->npos = 0;
	cli->pos = calloc((size_t)argc + 1, sizeof(char *));
	/* keep the user's order between ordinary and "-N" positionals */
	for (int i = 1; i < argc; i++) {
		int take = 0;
		for (int k = 0; k < nneg && !take; k++)
			take = neg[k] == argv[i];
		for (int k = optind; k < ac && !take; k++)
			take = av[k] == argv[i];
		if (take)
			cli->pos[cli->npos++] = argv[i];
	}
	free(av);
	free(neg);
	return rc;
}

/* ---- help ---------------------------------------------------------------- */

#define WIDTH 79
#define HELP_COL 26

/* Writes text from column col (the cursor is there), wrapping at WIDTH
 * with continuation lines indented to col. */
/* Prints text word by word from column col (the cursor is there),
 * breaking before WIDTH and indenting continuation lines to col; with
 * grouped, a "[...]" group counts as one word, so an option's usage is
 * never split. Ends the line. */
static void wrap_words(FILE *f, const char *text, int col, int grouped)
{
	int at = col;
	while (*text) {
		size_t w = 0;
		int depth = 0;
		while (text[w] && (depth || text[w] != ' ')) {
			if (grouped)
				depth += text[w] == '[' ? 1 : text[w] == ']' ? -1 : 0;
			w++;
		}
		if (at > col && at + 1 + (int)w > WIDTH) {
			fprintf(f, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', f);
			at++;
		}
		fwrite(text, 1, w, f);
		at += (int)w;
		text += w;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

static void wrap(FILE *f, const char *text, int col)
{
	wrap_words(f, text, col, 0);
}

void cli_print_usage(FILE *f, const struct command *cmd)
{
	if (!cmd) {
		fputs(cli_main_usage, f);
		return;
	}
	char head[64], body[1024] = "";
	int col = snprintf(head, sizeof(head), "usage: retort %s", cmd->name) + 1;
	for (const struct cli_opt *r = cmd->opts; r && r->name; r++) {
		size_t l = strlen(body);
		if (r->letter)
			snprintf(body + l, sizeof(body) - l, "%s[-%c%s%s]", l ? " " : "", r->letter,
			         r->arg ? " " : "", r->arg ? r->arg : "");
		else
			snprintf(body + l, sizeof(body) - l, "%s[--%s%s%s]", l ? " " : "", r->name,
			         r->arg ? " " : "", r->arg ? r->arg : "");
	}
	if (cmd->args && *cmd->args) {
		size_t l = strlen(body);
		snprintf(body + l, sizeof(body) - l, "%s%s", l ? " " : "", cmd->args);
	}
	fputs(head, f);
	if (*body)
		fputc(' ', f);
	wrap_words(f, body, col, 1);
}

/* Rows of t, except those that a row of `shadow` (a command's own
 * options) replaces. */
static void print_rows_except(const struct cli_opt *t, const struct cli_opt *shadow)
{
	for (; t && t->name; t++) {
		int shadowed = 0;
		for (const struct cli_opt *o = shadow; o && o->name && !shadowed; o++)
			shadowed = strcmp(o->name, t->name) == 0;
		if (shadowed)
			continue;
		char left[96], letter[8] = "    ";
		if (t->letter)
			snprintf(letter, sizeof(letter), "-%c, ", t->letter);
		int n = snprintf(left, sizeof(left), "  %s--%s%s%s", letter, t->name,
		                 t->arg ? " " : "", t->arg ? t->arg : "");
		if (n > HELP_COL - 2)
			printf("%s\n%*s", left, HELP_COL, "");
		else
			printf("%-*s", HELP_COL, left);
		wrap(stdout, t->help, HELP_COL);
	}
}

static void print_rows(const struct cli_opt *t)
{
	print_rows_except(t, NULL);
}

/* A command's help text: lines that start with a space are printed as
 * they are (argument lists); other runs of lines are paragraphs, wrapped. */
static void print_text(const char *text)
{
	char para[4096];
	size_t n = 0;
	for (const char *l = text; *l;) {
		size_t len = strcspn(l, "\n");
		int verbatim = l[0] == ' ' || len == 0;
		if (verbatim || n + len + 2 > sizeof(para)) {
			if (n) {
				para[n] = 0;
				wrap(stdout, para, 0);
				n = 0;
			}
		}
		if (verbatim)
			printf("%.*s\n", (int)len, l);
		else {
			if (n)
				para[n++] = ' ';
			memcpy(para + n, l, len);
			n += len;
		}
		l += len;
		if (*l)
			l++;
	}
	if (n) {
		para[n] = 0;
		wrap(stdout, para, 0);
	}
}

void cli_print_help(const struct command *cmd)
{
	cli_print_usage(stdout, cmd);
	putchar('\n');
	print_text(cmd->help);
	if (cmd->opts && cmd->opts->name) {
		printf("\noptions:\n");
		print_rows(cmd->opts);
	}
	printf("\nglobal options (before or after the command):\n");
	print_rows_except(cli_global_opts, cmd->opts);
}

void cli_print_main_help(void)
{
	printf("%s\nretort %s: database schema migrations, with Alembic's commands, for SQLite\n"
	       "and PostgreSQL.\n\ncommands:\n",
	       cli_main_usage, RETORT_VERSION);
	for (size_t i = 0; i < cli_ncommands; i++)
		printf("  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
	printf("\nglobal options:\n");
	print_rows(cli_global_opts);
	print_rows(top_opts);
	printf("\n`retort help COMMAND` (or `retort COMMAND -h`) explains a command, its\n"
	       "arguments and options; `man retort` has the revision-file format and examples.\n"
	       "\nexit codes: 0 ok, 1 runtime failure, 2 usage or configuration error, 3 a check\n"
	       "that found a difference, 130/143 interrupted by SIGINT/SIGTERM.\n");
}

int cli_usage_error(struct cli *cli, const struct command *cmd, const char *fmt, ...)
{
	retort_error err = {.code = RETORT_EUSAGE, .reason = REASON_USAGE};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	cli_fail(cli, &err);
	cli_print_usage(stderr, cmd);
	if (cmd)
		fprintf(stderr, "  see 'retort %s -h'\n", cmd->name);
	return RETORT_EUSAGE;
}
