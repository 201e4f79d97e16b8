/*
 * cmd_graph.c: `graph [--format dot|mermaid]`: the revision graph as
 * Graphviz dot or a Mermaid flowchart (or JSON), with the database's
 * current revisions marked when it can be reached (quietly, as history
 * -v: no database is no error).
 */
#include <string.h>

#include "cli.h"

static const char *style;

/* The command's own --format shadows the global one (getopt takes the
 * first exact match): json still means the JSON document. */
const struct cli_opt graph_opts[] = {
    {"format", 0, "dot|mermaid",
     "dot (default): Graphviz, e.g. 'retort graph | dot -Tsvg > graph.svg'; mermaid: a "
     "Mermaid flowchart, for Markdown; json: nodes and edges",
     .value = &style},
    CLI_OPT_END,
};

const char graph_help[] =
    "Print the revision graph: one node per revision (its id, message, branch\n"
    "labels and release), newest first, with an edge from each parent to its child\n"
    "and a dashed one for each depends_on. Heads have a double border (Mermaid: a\n"
    "stadium), branch points are inverted trapezia (wide towards their children),\n"
    "merge points trapezia (wide towards their parents; both:\n"
    "a hexagon); nodes also carry classes (head, branchpoint, mergepoint,\n"
    "current). When the database can be reached, the revisions its version table\n"
    "names are filled and marked (current).\n";

int check_graph(struct cli *cli)
{
	if (style && strcmp(style, "dot") != 0 && strcmp(style, "mermaid") != 0 &&
	    strcmp(style, "json") != 0)
		return cli_usage_error(cli, cli->cmd, "unknown --format '%s' (use dot, mermaid or json)",
		                       style);
	return 0;
}

int cmd_graph(struct cli *cli, char **out, retort_error *err)
{
	retort_graph_options go = RETORT_GRAPH_OPTIONS_INIT;
	go.format = cli->json ? RETORT_FORMAT_JSON : RETORT_FORMAT_TEXT;
	go.style = style && strcmp(style, "mermaid") == 0 ? RETORT_GRAPH_MERMAID : RETORT_GRAPH_DOT;
	return retort_graph(cli->p, cli->db, &go, out, err);
}
