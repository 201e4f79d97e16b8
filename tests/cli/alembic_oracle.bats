#!/usr/bin/env bats
# alembic_oracle.bats: Debian's `alembic` (1.8) is the oracle for retort's
# text output (SPEC §6: "same graph, same bytes"). Each test builds the
# same revision graph twice, as Alembic .py scripts and as retort .sql
# files with identical ids, messages, labels and dependencies, runs the
# same list of commands with both tools (each against its own SQLite
# database) and compares:
#   - stdout byte for byte (history, ranges, heads, branches, ...);
#   - for migrations, the "Running upgrade/downgrade ..." log lines with
#     the logger name stripped (Alembic's is [alembic.runtime.migration],
#     retort's [retort]), then `current` and `history --indicate-current`.
# Every difference of a test is collected and reported together.
#
# Speed: starting Python and importing SQLAlchemy costs ~0.4 s, so all the
# Alembic commands of a test run in one Python process (albatch.py below,
# which calls alembic.config.main once per command and redirects file
# descriptors 1 and 2 to per-command files).

load helpers

setup_file() {
	SITE="$BATS_FILE_TMPDIR/site"
	mkdir -p "$SITE"
	# Alembic reads its versions directory in os.listdir() order, which
	# depends on the filesystem; retort reads revision files sorted by
	# name. Load order breaks ties in Alembic's topological walk (the
	# order of `history` and of upgrade steps), so to compare the two we
	# make Alembic deterministic: this sitecustomize.py, put on
	# PYTHONPATH for the alembic processes only, wraps
	# Script._list_py_dir (a classmethod returning the directory's file
	# names) to return them sorted.
	cat >"$SITE/sitecustomize.py" <<'EOF'
try:
    import alembic.script.base as _base

    _orig_list_py_dir = _base.Script._list_py_dir.__func__

    def _sorted_list_py_dir(cls, scriptdir, path):
        return sorted(_orig_list_py_dir(cls, scriptdir, path))

    _base.Script._list_py_dir = classmethod(_sorted_list_py_dir)
except ImportError:  # another Python without alembic: nothing to patch
    pass
EOF
	# albatch.py OUTDIR < commands: runs each line as `alembic LINE` in
	# this process; writes OUTDIR/a.N.out, a.N.err and a.N.rc.
	cat >"$SITE/albatch.py" <<'EOF'
import os, shlex, sys, traceback
from alembic.config import main

outdir = sys.argv[1]
saved = os.dup(1), os.dup(2)
for i, line in enumerate(sys.stdin.read().splitlines()):
    rc = 0
    sys.stdout.flush(); sys.stderr.flush()
    out = os.open(f"{outdir}/a.{i}.out", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    err = os.open(f"{outdir}/a.{i}.err", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1); os.dup2(err, 2)
    try:
        main(argv=shlex.split(line), prog="alembic")
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    except BaseException:
        traceback.print_exc()
        rc = 1
    sys.stdout.flush(); sys.stderr.flush()
    os.dup2(saved[0], 1); os.dup2(saved[1], 2)
    os.close(out); os.close(err)
    with open(f"{outdir}/a.{i}.rc", "w") as f:
        f.write(f"{rc}\n")
EOF
	# One `alembic init` for the whole file; tests copy it.
	if command -v alembic >/dev/null; then
		mkdir -p "$BATS_FILE_TMPDIR/alembic-template"
		(cd "$BATS_FILE_TMPDIR/alembic-template" && alembic init alembic >/dev/null 2>&1)
		sed -i 's|^sqlalchemy.url = .*|sqlalchemy.url = sqlite:///a.db|' \
			"$BATS_FILE_TMPDIR/alembic-template/alembic.ini"
	fi
	export SITE
}

setup() {
	command -v alembic >/dev/null || skip "alembic is not installed"
	[ -f "$BATS_FILE_TMPDIR/alembic-template/alembic.ini" ] || fail "alembic init failed"
	common_setup
	# retort's project is $PROJ (url sqlite:///app.db); Alembic's is $AL
	# with its own database a.db.
	AL="$BATS_TEST_TMPDIR/alembic"
	cp -r "$BATS_FILE_TMPDIR/alembic-template" "$AL"
	OUT="$BATS_TEST_TMPDIR/out"
	mkdir -p "$OUT"
	STEPS=()
	KINDS=()
}

# Python literal for a comma-separated list: None, or a tuple of strings.
py_tuple() {
	[ -n "$1" ] || { echo None; return; }
	local IFS=, x out="("
	for x in $1; do
		x=${x// /}
		out+="'$x', "
	done
	echo "$out)"
}

# both_rev ID DOWN MSG [LABELS [DEPENDS]]: the same revision for both tools.
# DOWN, LABELS and DEPENDS are comma-separated lists ("" for none).
both_rev() {
	local id=$1 down=$2 msg=$3 labels=${4-} deps=${5-}
	local dr=None
	if [[ $down == *,* ]]; then
		dr=$(py_tuple "$down")
	elif [ -n "$down" ]; then
		dr="'$down'"
	fi
	local s
	s=$(slug "$msg")
	# The docstring is the one of Alembic's script.py.mako, which `show`
	# and `history -v` print.
	cat >"$AL/alembic/versions/${id}_$s.py" <<EOF
"""$msg

Revision ID: $id
Revises: $down
Create Date: 2024-01-02 03:04:05

"""
from alembic import op

revision = '$id'
down_revision = $dr
branch_labels = $(py_tuple "$labels")
depends_on = $(py_tuple "$deps")


def upgrade():
    op.execute("CREATE TABLE t_$id (x INTEGER)")


def downgrade():
    op.execute("DROP TABLE t_$id")
EOF
	LABELS=$labels DEPENDS=$deps write_rev "$id" "$down" "$msg"
}

# ---- scenarios -------------------------------------------------------------
# A test lists steps, then calls run_scenario, which runs every step with
# both tools and compares per kind:
#   out     both succeed, stdout identical (and not empty)
#   out0    both succeed, stdout identical (may be empty)
#   outv    both succeed, stdout identical after norm_verbose (not empty)
#   run     both succeed, identical Running lines
#   cur     both succeed, identical stdout lines compared sorted: with
#           several heads Alembic prints `current` in the hash order of a
#           Python set, so only the set of lines is meaningful
#   fail    both fail

step() { # KIND ARGS...
	KINDS+=("$1")
	shift
	STEPS+=("$*")
}
# A migration, then what the database looks like to each tool.
migrate() {
	step run "$@"
	step cur current
	step out0 history --indicate-current
}

# The Running lines of a stderr file, logger name stripped.
running_of() {
	sed -n 's/^INFO  \[[^]]*\] \(Running \(upgrade\|downgrade\|stamp_revision\) .*\)$/\1/p' "$1"
}

# Normalising for outputs where Alembic's order is a Python frozenset's
# (hash order, changes with PYTHONHASHSEED): "Branches into:" items in -v
# records and the "   -> child" lines of `branches` are sorted. "Path:"
# names each tool's own file and is dropped.
norm_verbose() {
	local l
	grep -v '^Path: ' "$1" | while IFS= read -r l; do
		if [[ $l == "Branches into: "* ]]; then
			printf 'Branches into: %s\n' "$(tr -d ' ' <<<"${l#Branches into: }" | tr ',' '\n' | sort | paste -sd, | sed 's/,/, /g')"
		else
			printf '%s\n' "$l"
		fi
	done | awk '
		/^ *-> / { kids[n++] = $0; next }
		{ flush(); print }
		END { flush() }
		function flush(   i, j, t) {
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
				if (kids[j] < kids[i]) { t = kids[i]; kids[i] = kids[j]; kids[j] = t }
			for (i = 0; i < n; i++) print kids[i]
			n = 0
		}'
}

run_scenario() {
	local n=${#STEPS[@]} i a r diffs="$OUT/diffs"
	: >"$diffs"
	printf '%s\n' "${STEPS[@]}" >"$OUT/steps"
	(cd "$AL" && PYTHONPATH="$SITE" PYTHONHASHSEED=0 /usr/bin/python3 "$SITE/albatch.py" "$OUT" <"$OUT/steps") ||
		fail "albatch.py failed"
	for ((i = 0; i < n; i++)); do
		local rrc=0
		# shellcheck disable=SC2086
		"$RETORT_BIN" ${STEPS[$i]} >"$OUT/r.$i.out" 2>"$OUT/r.$i.err" || rrc=$?
		local arc
		arc=$(cat "$OUT/a.$i.rc")
		local what="step $i [${KINDS[$i]}]: ${STEPS[$i]}"
		if [ "${KINDS[$i]}" = fail ]; then
			[ "$arc" != 0 ] || fail "$what: alembic succeeded: $(cat "$OUT/a.$i.out")"
			[ "$rrc" != 0 ] || fail "$what: retort succeeded: $(cat "$OUT/r.$i.out")"
			continue
		fi
		[ "$arc" = 0 ] || fail "$what: alembic failed ($arc): $(tail -5 "$OUT/a.$i.err")"
		[ "$rrc" = 0 ] || fail "$what: retort failed ($rrc): $(cat "$OUT/r.$i.err")"
		a="$OUT/a.$i.out" r="$OUT/r.$i.out"
		case ${KINDS[$i]} in
		out) [ -s "$a" ] || fail "$what: alembic printed nothing" ;;
		outv)
			[ -s "$a" ] || fail "$what: alembic printed nothing"
			norm_verbose "$OUT/a.$i.out" >"$OUT/a.$i.norm"
			norm_verbose "$OUT/r.$i.out" >"$OUT/r.$i.norm"
			a="$OUT/a.$i.norm" r="$OUT/r.$i.norm"
			;;
		run)
			running_of "$OUT/a.$i.err" >"$OUT/a.$i.run"
			running_of "$OUT/r.$i.err" >"$OUT/r.$i.run"
			a="$OUT/a.$i.run" r="$OUT/r.$i.run"
			;;
		cur)
			sort "$OUT/a.$i.out" >"$OUT/a.$i.sorted"
			sort "$OUT/r.$i.out" >"$OUT/r.$i.sorted"
			a="$OUT/a.$i.sorted" r="$OUT/r.$i.sorted"
			;;
	esac
		if ! cmp -s "$a" "$r"; then
			{
				echo "=== $what"
				diff -u --label alembic --label retort "$a" "$r" || true
			} >>"$diffs"
		fi
	done
	[ ! -s "$diffs" ] || fail "retort's output differs from Alembic's:
$(cat "$diffs")"
}

# <base> -> a1b2... -> e5f6..., as helpers' make_chain, for both tools.
both_chain() {
	local prev="" i
	for i in "${!CHAIN[@]}"; do
		both_rev "${CHAIN[$i]}" "$prev" "${CHAIN_MSG[$i]}"
		prev=${CHAIN[$i]}
	done
}

# A branchy graph: a branch point, a labelled branch, a merge, a second
# labelled base and a depends_on across the two.
#   a1 -> b2 (branchpoint) -> c3 (feature) -> d4 --\
#                         \-> e5 ------------------> f6 (merge) -> i9
#   g7 (lib) -> h8  <......................... i9 depends_on h8
both_branchy() {
	both_rev a1000000000a "" "initial"
	both_rev b2000000000b a1000000000a "branch point"
	both_rev c3000000000c b2000000000b "feature start" feature
	both_rev d4000000000d c3000000000c "feature more"
	both_rev e5000000000e b2000000000b "mainline"
	both_rev f6000000000f "d4000000000d, e5000000000e" "merge feature into mainline"
	both_rev g7000000000a "" "library base" lib
	both_rev h8000000000b g7000000000a "library more"
	both_rev i9000000000c f6000000000f "needs the library" "" h8000000000b
}

@test "oracle: sitecustomize makes Alembic load files in sorted order" {
	run env PYTHONPATH="$SITE" /usr/bin/python3 -c '
import alembic.script.base as b
print(b.Script._list_py_dir.__func__.__name__)'
	assert_success
	assert_output "_sorted_list_py_dir"
}

@test "oracle: linear chain: history, ranges, heads, branches" {
	both_chain
	step out history
	step out history -r b2c3d4e5f6a1:d4e5f6a1b2c3
	step out history -r c3d4e5f6a1b2:
	step out history -r :c3d4e5f6a1b2
	step out history -r b2c3:d4e5
	step out history -r base:head
	step out heads
	step out0 branches
	step outv show c3d4e5f6a1b2
	step outv history -v
	run_scenario
}

@test "oracle: linear chain: migrations, current, history --indicate-current" {
	both_chain
	migrate upgrade head-2
	step out history -r current:
	migrate upgrade +1
	migrate upgrade head
	step out history -r-3:
	migrate downgrade -2
	migrate downgrade b2c3d4e5f6a1
	migrate upgrade c3d4e5f6a1b2+2
	migrate downgrade d4e5f6a1b2c3-2
	migrate stamp d4e5f6a1b2c3
	migrate stamp b2c3d4e5f6a1
	migrate downgrade base
	run_scenario
	# both really migrated their databases the same way
	assert_equal "$(db_tables "$PROJ/app.db")" "$(db_tables "$AL/a.db")"
}

@test "oracle: branchy graph: history, ranges, heads, branches" {
	both_branchy
	step out history
	step out history -r b2000000000b:f6000000000f
	step out history -r :e5000000000e
	step out history -r c3000000000c:
	step out history -r feature@c3000000000c:
	step out history -r a1000000000a:heads
	step out heads
	step out heads --resolve-dependencies
	step outv branches
	run_scenario
}

@test "oracle: branchy graph: migrations across branches, a merge and a dependency" {
	both_branchy
	migrate upgrade d4000000000d
	step out history -r current:
	migrate upgrade heads
	migrate downgrade b2000000000b
	migrate upgrade feature@head
	migrate downgrade feature@-1
	migrate upgrade lib@head
	migrate downgrade lib@base
	migrate upgrade heads
	migrate downgrade base
	migrate upgrade e5000000000e
	migrate upgrade lib@g7000000000a
	migrate upgrade heads
	run_scenario
	assert_equal "$(db_tables "$PROJ/app.db")" "$(db_tables "$AL/a.db")"
}

@test "oracle: 'upgrade head' with several heads fails in both, nothing applied" {
	both_branchy
	step fail upgrade head
	step out0 current
	run_scenario
	grep -q heads "$OUT/r.0.err" || fail "retort's message does not mention heads: $(cat "$OUT/r.0.err")"
	assert_equal "$(cat "$OUT/r.1.out")" ""
}

@test "oracle: show and history -v give the same records (Path aside)" {
	both_branchy
	step outv show b2000000000b
	step outv show f6000000000f
	step outv show i9000000000c
	step outv show h8000000000b
	step outv history -v
	step outv heads -v
	run_scenario
}

@test "oracle: retort takes over an Alembic-managed database and hands it back" {
	both_chain
	al() { (cd "$AL" && PYTHONPATH="$SITE" alembic "$@"); }
	local C=("${CHAIN[@]}") url="sqlite:///$AL/a.db"
	run al upgrade "${C[1]}"
	assert_success
	# retort continues on Alembic's own database and version table
	printf 'version_table = alembic_version\n' >>retort.ini
	run --separate-stderr retort -u "$url" upgrade "${C[3]}"
	assert_success
	assert_equal "$(running_lines)" "Running upgrade ${C[1]} -> ${C[2]}, ${CHAIN_MSG[2]}
Running upgrade ${C[2]} -> ${C[3]}, ${CHAIN_MSG[3]}"
	# ... and Alembic takes it back where retort left it
	run al current
	assert_success
	assert_output --partial "${C[3]}"
	run al upgrade head
	assert_success
	assert_output --partial "Running upgrade ${C[3]} -> ${C[4]}"
	refute_output --partial "Running upgrade ${C[2]} ->"
	run --separate-stderr retort -u "$url" current
	assert_success
	assert_output "${C[4]} (head)"
	run --separate-stderr retort -u "$url" downgrade "${C[2]}"
	assert_success
	run al current
	assert_output --partial "${C[2]}"
	refute_output --partial "${C[3]}"
	assert_equal "$(sqlite3 "$AL/a.db" "SELECT name FROM sqlite_master WHERE name LIKE 't_%' ORDER BY name" | paste -sd' ')" "t_${C[0]} t_${C[1]} t_${C[2]}"
}

# ---- stamp, create dates, tricky graphs -------------------------------------

# The version rows of each tool's database in table order (rowid), one line.
both_rows() {
	printf 'alembic: %s\nretort:  %s\n' \
		"$(sqlite3 "$AL/a.db" 'SELECT version_num FROM alembic_version ORDER BY rowid' | paste -sd' ')" \
		"$(sqlite3 "$PROJ/app.db" 'SELECT version_num FROM retort_version ORDER BY rowid' | paste -sd' ')"
}

# stage STEP...: runs the steps (each "KIND ARGS", as for step) as one
# scenario, then requires both databases to hold the same rows in the same
# order (Alembic updates a row in place; a stamp must too).
stage() {
	STEPS=()
	KINDS=()
	local s
	for s in "$@"; do
		# shellcheck disable=SC2086
		if [[ $s == run\ * ]]; then migrate ${s#run }; else step $s; fi
	done
	run_scenario
	local rows
	rows=$(both_rows)
	[ "$(sed -n 's/^alembic: //p' <<<"$rows")" = "$(sed -n 's/^retort:  //p' <<<"$rows")" ] ||
		fail "version rows differ after: $*
$rows"
}

@test "oracle: stamp logs one line per step, only for rows in the target's lineage, and updates rows in place" {
	both_branchy
	# rows: e5 then c3 (two branches)
	stage "run upgrade e5000000000e" "run upgrade c3000000000c"
	# only c3's row moves, and keeps its place after e5
	stage "run stamp d4000000000d"
	# at the target: nothing logged, nothing changed
	stage "run stamp d4000000000d" "run stamp e5000000000e"
	# both rows are below the head: one merge step
	stage "run stamp heads"
	stage "run stamp heads"
	# a dependency of the head: a step down
	stage "run stamp lib@head"
	# a new branch: inserted after the existing row
	stage "run stamp c3000000000c"
	stage "run stamp b2000000000b"
	stage "run stamp feature@head" "run stamp lib@base"
	# base: one step per row
	stage "run stamp heads" "run stamp base" "run stamp base"
	stage "run stamp --purge e5000000000e" "run stamp --purge heads"
	stage "run stamp --purge base"
}

# both_rev_nodate ID DOWN MSG [LABELS [DEPENDS]]: both_rev for a revision
# without a create date (no "Create Date:" in Alembic's docstring).
both_rev_nodate() {
	both_rev "$@"
	sed -i '/^Create Date: /d' "$AL/alembic/versions/${1}_$(slug "$3").py"
	sed -i '/^-- create_date: /d' "$REV_FILE"
}

@test "oracle: a revision without a create date has no Create Date line in show and -v records" {
	both_rev_nodate a1000000000a "" "initial"
	both_rev b2000000000b a1000000000a "dated"
	both_rev_nodate c3000000000c a1000000000a "undated branch" side
	both_rev_nodate d4000000000d "b2000000000b, c3000000000c" "undated merge"
	step outv show a1000000000a
	step outv show c3000000000c
	step outv show d4000000000d
	step outv history -v
	step outv heads -v
	step outv branches -v
	migrate upgrade heads
	step outv show current
	run_scenario
}

# Multiple bases, a three-way merge, a dependency on a head (an "effective
# head"). One label per line of descent: Alembic prints a revision's labels
# in set order, and labels spread to descendants (here through the merge).
both_tricky() {
	both_rev a1000000000a "" "initial"
	both_rev b2000000000b a1000000000a "fork"
	both_rev c3000000000c b2000000000b "left" left
	both_rev d4000000000d b2000000000b "middle"
	both_rev e5000000000e b2000000000b "right"
	both_rev f6000000000f "c3000000000c, d4000000000d, e5000000000e" "three-way merge"
	both_rev g7000000000a "" "other base" other
	both_rev h8000000000b g7000000000a "other tip"
	both_rev i9000000000c f6000000000f "needs other tip" "" h8000000000b
	both_rev j0000000000d "" "lonely base"
}

@test "oracle: tricky graph: three-way merge, several bases, a dependency on a head" {
	both_tricky
	step out history
	step out history -r b2000000000b:f6000000000f
	step out history -r :i9000000000c
	step fail history -r-2:
	step out heads
	step out heads --resolve-dependencies
	step outv heads -v
	step outv branches -v
	step outv show f6000000000f
	step outv show h8000000000b
	step outv history -v
	migrate upgrade c3000000000c
	migrate upgrade d4000000000d
	migrate upgrade e5000000000e
	step out history -r current:
	migrate upgrade other@head
	migrate upgrade heads
	migrate downgrade left@-1
	migrate downgrade other@base
	migrate stamp f6000000000f
	migrate downgrade b2000000000b
	migrate stamp heads
	migrate stamp base
	run_scenario
	assert_equal "$(db_tables "$PROJ/app.db")" "$(db_tables "$AL/a.db")"
}
