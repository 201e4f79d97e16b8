/*
 * cmd_schema.c: the commands that compare or describe schemas: check
 * (behind head, or different from target_schema: exit 3), schema (the
 * live database described like psql's \d) and test (every revision up,
 * down and up again on a scratch database). revision --autogenerate is
 * in cmd_revision.c with the other writers of files.
 */
#include "cli.h"

static retort_schema_options sch = RETORT_SCHEMA_OPTIONS_INIT;

const struct cli_opt check_opts[] = {CLI_OPT_END};
const struct cli_opt schema_opts[] = {CLI_OPT_END};
const struct cli_opt test_opts[] = {CLI_OPT_END};

const char check_help[] =
    "Exit 0 when the database is at head and, if retort.ini sets target_schema,\n"
    "its schema matches that file; exit 3 otherwise, listing each pending revision\n"
    "(\"pending ID\") and each difference (\"added column 'users.email'\"), in the\n"
    "words revision --autogenerate would use. The target schema is loaded into a\n"
    "scratch database (SQLite: in memory; PostgreSQL: a temporary database, or a\n"
    "temporary schema when the role may not create databases) and dropped after.\n";

const char schema_help[] =
    "Describe the live database like psql's \\d: every table (columns, types,\n"
    "nullability, defaults, indexes, constraints, foreign keys both ways,\n"
    "triggers), then views, enum types and sequences; with TABLE, that table or\n"
    "view alone. The same form on every backend; --format json for programs.\n"
    "retort's own tables are left out.\n";

const char test_help[] =
    "Test the revisions on a scratch database (a temporary SQLite file, or a\n"
    "temporary PostgreSQL database on the project's server): with a single head,\n"
    "upgrade from base one revision at a time; after each upgrade, downgrade it and\n"
    "compare the schema with the one before it (a downgrade must leave no trace),\n"
    "then upgrade again. At head, compare with target_schema when it is set. The\n"
    "report names the revision and the objects that differ; exit 3 on a failure.\n"
    "The project's database is never changed.\n";

static int fmt(struct cli *cli)
{
	return cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
}

int cmd_check(struct cli *cli, char **out, retort_error *err)
{
	retort_check_options co = RETORT_CHECK_OPTIONS_INIT;
	co.format = fmt(cli);
	return retort_check(cli->p, cli->db, &co, out, err);
}

int cmd_schema(struct cli *cli, char **out, retort_error *err)
{
	sch.format = fmt(cli);
	sch.table = cli->npos ? cli->pos[0] : NULL;
	return retort_schema(cli->p, cli->db, &sch, out, err);
}

int cmd_test(struct cli *cli, char **out, retort_error *err)
{
	retort_check_options co = RETORT_CHECK_OPTIONS_INIT;
	co.format = fmt(cli);
	return retort_test(cli->p, cli->db, &co, out, err);
}
