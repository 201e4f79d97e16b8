/*
 * cmd_lint.c: lint (operations unsafe for a live database, SPEC §8) and
 * lint --explain RULE (a rule's documentation, no project needed).
 */
#include "cli.h"

static retort_lint_options lo = RETORT_LINT_OPTIONS_INIT;

const struct cli_opt lint_opts[] = {
    {"strict", 0, NULL, "warnings fail too: exit 3 when there is any finding not allowed",
     .flag = &lo.strict},
    {"explain", 0, "RULE",
     "print what RULE checks, why, and what to do instead, and exit (an unknown name lists "
     "the rules)",
     .value = &lo.explain},
    CLI_OPT_END,
};

const char lint_help[] =
    "Check the revisions (REV... as targets: ids, prefixes, labels, heads; default:\n"
    "all) for operations unsafe on a live database, without connecting, for the\n"
    "dialect of the URL (PostgreSQL when there is none). Errors: what breaks the\n"
    "release still running, in an expand part or a plain +upgrade (DROP, RENAME, a\n"
    "type change, SET NOT NULL, a NOT NULL column without a default, enum values\n"
    "renamed or removed, TRUNCATE); contract parts may do all of that. Warnings, on\n"
    "PostgreSQL in every part: locks held for a table scan, rewrite or index build\n"
    "(an index without CONCURRENTLY, a foreign key or check without NOT VALID, a\n"
    "volatile default, a rewriting type change, a unique constraint on existing\n"
    "rows), and an unbatched UPDATE/DELETE in an expand part. CONCURRENTLY in a\n"
    "transactional revision is an error. A comment '-- lint: allow RULE' inside a\n"
    "statement, directly above it or after it on its line allows RULE there; every\n"
    "override in use is listed. Exit 3 when an error (with --strict: any finding)\n"
    "is not allowed, 0 otherwise; 2 for a file that does not split.\n";

/* --explain needs no project. */
int check_lint(struct cli *cli)
{
	if (lo.explain)
		cli->flags &= ~(unsigned)(NEEDS_PROJECT | VALIDATES);
	return 0;
}

int cmd_lint(struct cli *cli, char **out, retort_error *err)
{
	lo.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
	lo.revisions = cli->npos ? cli->pos : NULL;
	return retort_lint(cli->p, &lo, out, err);
}
