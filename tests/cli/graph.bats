#!/usr/bin/env bats
# graph.bats: `graph [--format dot|mermaid]`: the revision graph as
# Graphviz dot or a Mermaid flowchart (or JSON) on a graph with a branch
# point, a merge, a branch label, releases and a depends_on; the current
# revisions marked when the database can be reached; a bad --format is
# exit 2. The exact text is compared, so the output is deterministic; the
# dot text is also checked by Graphviz when `dot` is installed.

load helpers

A=aaaa00000001 B=bbbb00000002 C=cccc00000003 D=dddd00000004 E=eeee00000005 F=ffff00000006

set_release() {
	sed -i "s/^-- depends_on:.*/&\n-- release: $2/" "$1"
}

#   A (message with characters dot and Mermaid must escape)
#   +-- B (branch point) --+-- C (label feature) --+-- E (merge, release 1.0.0)
#   |                      +-- D (release 0.9.1) --+
#   +-- F (depends_on D)
setup() {
	common_setup
	write_rev $A "" 'Init "users" <table> & \ path #1; done'
	write_rev $B $A "Two."
	LABELS=feature write_rev $C $B "Left."
	write_rev $D $B "Right."
	set_release "$REV_FILE" 0.9.1
	write_rev $E "$C, $D" "Merge."
	set_release "$REV_FILE" 1.0.0
	DEPENDS=$D write_rev $F $A "Other."
}

DOT_NODES_HEAD='digraph revisions {
	rankdir=BT;
	node [shape=box, style=rounded, fontname="Helvetica", fontsize=10];
	edge [arrowsize=0.7];'
DOT_EDGES="	\"$C\" -> \"$E\";
	\"$D\" -> \"$E\";
	\"$B\" -> \"$C\";
	\"$A\" -> \"$F\";
	\"$D\" -> \"$F\" [style=dashed, class=\"depends_on\"];
	\"$B\" -> \"$D\";
	\"$A\" -> \"$B\";
}"

@test "graph: dot by default, one node per revision in history's order, edges parent -> child" {
	run --separate-stderr retort graph
	assert_success
	assert_stderr ""
	assert_output "// retort revision graph: edges go parent -> child; dashed edges are depends_on.
// Shapes: inverted trapezium = branch point, trapezium = merge point, hexagon = both;
// a double border = head.
$DOT_NODES_HEAD
	\"$E\" [label=\"$E (head) (mergepoint)\\nMerge.\\nrelease 1.0.0\", class=\"revision head mergepoint\", shape=trapezium, peripheries=2];
	\"$C\" [label=\"$C\\nLeft.\\nbranch: feature\", class=\"revision\"];
	\"$F\" [label=\"$F (head)\\nOther.\", class=\"revision head\", peripheries=2];
	\"$D\" [label=\"$D\\nRight.\\nrelease 0.9.1\", class=\"revision\"];
	\"$B\" [label=\"$B (branchpoint)\\nTwo.\", class=\"revision branchpoint\", shape=invtrapezium];
	\"$A\" [label=\"$A (branchpoint)\\nInit \\\"users\\\" <table> & \\\\ path #1; done\", class=\"revision branchpoint\", shape=invtrapezium];
$DOT_EDGES"
	# no database file: none was made
	[ ! -e "$DB" ] || fail "graph created $DB"
	assert_equal "$(retort graph --format dot)" "$output"
}

@test "graph: Graphviz reads the dot text (skipped without graphviz)" {
	command -v dot >/dev/null || skip "graphviz's dot is not installed"
	retort -q upgrade $D
	retort graph >"$BATS_TEST_TMPDIR/g.dot"
	dot -Tsvg "$BATS_TEST_TMPDIR/g.dot" >"$BATS_TEST_TMPDIR/g.svg" 2>"$BATS_TEST_TMPDIR/dot.err" ||
		fail "dot failed: $(cat "$BATS_TEST_TMPDIR/dot.err")"
	[ ! -s "$BATS_TEST_TMPDIR/dot.err" ] || fail "dot warned: $(cat "$BATS_TEST_TMPDIR/dot.err")"
	grep -q 'class="node revision head mergepoint"' "$BATS_TEST_TMPDIR/g.svg" ||
		fail "no classes in the SVG"
	grep -q 'class="node revision current"' "$BATS_TEST_TMPDIR/g.svg" || fail "no current node"
	# the escaped message comes out as written
	grep -qF 'Init &quot;users&quot; &lt;table&gt; &amp; \ path #1; done' "$BATS_TEST_TMPDIR/g.svg" ||
		fail "message mangled: $(grep -F Init "$BATS_TEST_TMPDIR/g.svg")"
}

@test "graph --format mermaid: a flowchart with shapes, classes and entity-escaped labels" {
	run --separate-stderr retort graph --format mermaid
	assert_success
	assert_output "flowchart BT
    %% retort revision graph: edges go parent --> child; dotted edges are depends_on.
    %% Classes: head, branchpoint, mergepoint.
    r_$E[/\"$E (head) (mergepoint)<br/>Merge.<br/>release 1.0.0\"\\]
    r_$C(\"$C<br/>Left.<br/>branch: feature\")
    r_$F([\"$F (head)<br/>Other.\"])
    r_$D(\"$D<br/>Right.<br/>release 0.9.1\")
    r_$B[\\\"$B (branchpoint)<br/>Two.\"/]
    r_$A[\\\"$A (branchpoint)<br/>Init #34;users#34; #60;table#62; #38; \\ path #35;1; done\"/]
    r_$C --> r_$E
    r_$D --> r_$E
    r_$B --> r_$C
    r_$A --> r_$F
    r_$D -.-> r_$F
    r_$B --> r_$D
    r_$A --> r_$B
    classDef head stroke-width:3px
    classDef branchpoint fill:#fff2cc
    classDef mergepoint fill:#e6dcf5
    classDef current fill:#c8e6c9,stroke:#2e7d32
    class r_$E,r_$F head
    class r_$B,r_$A branchpoint
    class r_$E mergepoint"
}

@test "graph: connected, the version table's revisions are marked current" {
	retort -q upgrade $D
	run --separate-stderr retort graph
	assert_success
	assert_line --index 2 "// a double border = head; filled = current (the database's version)."
	assert_line "	\"$D\" [label=\"$D (current)\\nRight.\\nrelease 0.9.1\", class=\"revision current\", style=\"rounded,filled,bold\", fillcolor=\"#c8e6c9\"];"
	[ "$(printf '%s\n' "$output" | grep -c '(current)')" -eq 1 ] || fail "more than one current"
	run --separate-stderr retort graph --format mermaid
	assert_line "    %% Classes: head, branchpoint, mergepoint, current."
	assert_line "    r_$D(\"$D (current)<br/>Right.<br/>release 0.9.1\")"
	assert_line "    class r_$D current"
	# two heads applied: both marked
	retort -q upgrade heads
	run --separate-stderr retort graph --format mermaid
	assert_line "    class r_$E,r_$F current"
	run --separate-stderr retort --format json graph
	assert_success
	assert_json
	assert_equal "$(printf '%s' "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["connected"], [n["revision"][:4] for n in d["nodes"] if n["current"]])')" \
		"True ['eeee', 'ffff']"
}

@test "graph: an unreachable database is no error: the graph without current marks" {
	run --separate-stderr retort -u "postgresql://u:secret@127.0.0.1:1/x" graph
	assert_success
	assert_stderr ""
	refute_output --partial "(current)"
	assert_line --index 2 "// a double border = head."
}

@test "graph --format json: nodes in walk order, edges with their kind" {
	run --separate-stderr retort graph --format json
	assert_success
	assert_json
	run python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["connected"])
print(" ".join(n["revision"][:4] for n in d["nodes"]))
print(" ".join(e["from"][:4] + ">" + e["to"][:4] + ":" + e["kind"] for e in d["edges"]))
e = [n for n in d["nodes"] if n["revision"].startswith("eeee")][0]
print(e["is_head"], e["is_merge_point"], e["release"], e["down_revisions"])
c = [n for n in d["nodes"] if n["revision"].startswith("cccc")][0]
print(c["branch_labels"], "current" in c)
' <(retort graph --format json)
	assert_output "False
eeee cccc ffff dddd bbbb aaaa
cccc>eeee:parent dddd>eeee:parent bbbb>cccc:parent aaaa>ffff:parent dddd>ffff:depends_on bbbb>dddd:parent aaaa>bbbb:parent
True True 1.0.0 ['$C', '$D']
['feature'] False"
}

@test "graph: a bad --format is exit 2 with nothing on stdout" {
	run --separate-stderr retort graph --format png
	assert_failure 2
	assert_output ""
	assert_stderr_line "FAILED: unknown --format 'png' (use dot, mermaid or json)"
	assert_stderr --partial "usage: retort graph"
	run --separate-stderr retort graph --format
	assert_failure 2
	run --separate-stderr retort graph extra
	assert_failure 2
}

@test "graph: a merge that is also a branch point is a hexagon; an empty graph is valid" {
	write_rev 1111aaaa0007 $E "After one."
	write_rev 2222aaaa0008 $E "After two."
	run --separate-stderr retort graph
	assert_line --partial "\"$E\" [label=\"$E (branchpoint) (mergepoint)\\nMerge.\\nrelease 1.0.0\", class=\"revision branchpoint mergepoint\", shape=hexagon];"
	run --separate-stderr retort graph --format mermaid
	assert_line "    r_$E{{\"$E (branchpoint) (mergepoint)<br/>Merge.<br/>release 1.0.0\"}}"
	rm "$VERSIONS"/*.sql
	run --separate-stderr retort graph
	assert_success
	assert_line --index 3 "digraph revisions {"
	assert_line "}"
}
