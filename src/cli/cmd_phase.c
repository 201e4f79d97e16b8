/*
 * cmd_phase.c: expand, migrate and contract, the zero-downtime phases
 * (SPEC §8): expand before the new release starts, migrate while both
 * releases run, contract once the old release is gone.
 */
#include <stdlib.h>

#include "cli.h"

static retort_phase_options ph = RETORT_PHASE_OPTIONS_INIT;
static const char *batch_size, *batch_pause, *batch_time;

const struct cli_opt expand_opts[] = {
    {"strict", 0, NULL, "lint's warnings (locking hazards) refuse the run too, not only its errors",
     .flag = &ph.strict},
    CLI_OPT_END,
};
const struct cli_opt contract_opts[] = {CLI_OPT_END};
const struct cli_opt migrate_opts[] = {
    {"batch-size", 0, "N",
     "rows per batch: replaces :batch_size in the migrate statements. Given alone, "
     "every batch has N rows; by default batches are timed (--batch-time) and N "
     "(1000) is the first batch's size and the smallest",
     .value = &batch_size},
    {"batch-time", 0, "MS",
     "size each batch so that its statement works about MS milliseconds (its locks "
     "are held from then to the COMMIT just after), from --batch-size rows up; the "
     "next batch is at most 1.5 times the last (default 50; 0: fixed batches of "
     "--batch-size rows)",
     .value = &batch_time},
    {"batch-pause", 0, "MS", "pause between batches, in milliseconds (default 0)",
     .value = &batch_pause},
    CLI_OPT_END,
};

const char expand_help[] =
    "Apply the expand parts (-- +expand) of the pending revisions up to TARGET\n"
    "(default: heads), oldest first, each in its own transaction with its phase\n"
    "state; a plain -- +upgrade revision is applied whole. Only additive changes\n"
    "belong there, so the running release keeps working. The version table moves\n"
    "only over revisions that are complete. Before anything runs, the parts are\n"
    "linted (retort lint): a destructive statement in an expand part refuses the\n"
    "run (exit 2), touching nothing.\n";

const char migrate_help[] =
    "Run the migrate parts (-- +migrate) of the expanded revisions. A statement\n"
    "holding :batch_size runs again and again, each time in its own transaction\n"
    "with the placeholder replaced by the batch size, until it changes no rows.\n"
    "Batches are timed: the first has 1000 rows (--batch-size), and each next one\n"
    "is sized from how long the last took, to hold its locks for about 50 ms\n"
    "(--batch-time; at most 1.5 times the last, never below the first);\n"
    "--batch-size alone or --batch-time 0 gives fixed batches instead. A\n"
    "`-- progress: SELECT count(*) ...` line in the part gives the rows left. The\n"
    "progress is recorded with each batch: after a crash, run migrate again and it\n"
    "resumes.\n";

const char contract_help[] =
    "Apply the contract parts (-- +contract) of the migrated revisions, which\n"
    "remove what the old release needed; refused (exit 1, naming them) while an\n"
    "expanded revision has not finished migrating. The version table then names\n"
    "the completed revisions.\n";

static int parse_num(struct cli *cli, const char *what, const char *v, long min, long *out)
{
	char *end = NULL;
	long n = strtol(v, &end, 10);
	if (!*v || *end || n < min)
		return cli_usage_error(cli, cli->cmd, "--%s wants a whole number >= %ld, not '%s'",
		                       what, min, v);
	*out = n;
	return 0;
}

int check_phase(struct cli *cli)
{
	long n;
	if (batch_size) {
		if (parse_num(cli, "batch-size", batch_size, 1, &n))
			return 2;
		ph.batch_size = n;
	}
	if (batch_pause) {
		if (parse_num(cli, "batch-pause", batch_pause, 0, &n))
			return 2;
		ph.batch_pause_ms = (int)n;
	}
	if (batch_time) {
		if (parse_num(cli, "batch-time", batch_time, 0, &n))
			return 2;
		if (n > 3600000)
			return cli_usage_error(cli, cli->cmd,
			                       "--batch-time wants milliseconds up to 3600000, not '%s'",
			                       batch_time);
		ph.batch_time_ms = n ? (int)n : -1;
	}
	return 0;
}

static void fill(struct cli *cli)
{
	ph.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
	ph.target = cli->npos ? cli->pos[0] : NULL;
}

int cmd_expand(struct cli *cli, char **out, retort_error *err)
{
	fill(cli);
	return retort_expand(cli->p, cli->db, &ph, out, err);
}

int cmd_migrate(struct cli *cli, char **out, retort_error *err)
{
	fill(cli);
	return retort_migrate(cli->p, cli->db, &ph, out, err);
}

int cmd_contract(struct cli *cli, char **out, retort_error *err)
{
	fill(cli);
	return retort_contract(cli->p, cli->db, &ph, out, err);
}
