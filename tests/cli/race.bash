# race.bash: what concurrency.bats and crash.bats share (load after
# helpers): numbered revision chains whose effects can be counted,
# starting several retort processes at one instant, and making sure no
# background process outlives its test.

# Revision ids of the numbered chain: rev_N is revision N (1-based).
rev_id() {
	printf 'rev_%03d' "$1"
}

# write_counting_revs N [EXTRA]
#   A linear chain rev_001 -> ... -> rev_N. Revision 1 creates the table
#   `applied` (rev INTEGER, deliberately without a unique constraint, so
#   a revision applied twice shows as a duplicate row). Every revision K
#   inserts K into it. With EXTRA=tables every revision also creates the
#   table t_K; EXTRA=slow-pg / slow-sqlite add a few milliseconds of work
#   per revision (so a kill lands mid-run); both may be combined
#   ("tables slow-pg").
write_counting_revs() {
	local n=$1 extra=${2-} k prev="" up down
	for ((k = 1; k <= n; k++)); do
		up=""
		down=""
		if [ "$k" -eq 1 ]; then
			up="CREATE TABLE applied (rev INTEGER);
"
		fi
		case " $extra " in *" tables "*)
			up+="CREATE TABLE t_$k (x INTEGER);
"
			down="DROP TABLE t_$k;
" ;;
		esac
		case " $extra " in
		*" slow-pg "*) up+="SELECT pg_sleep(0.01);
" ;;
		*" slow-sqlite "*) up+="WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 60000) SELECT count(*) FROM c;
" ;;
		esac
		up+="INSERT INTO applied (rev) VALUES ($k);"
		down+="DELETE FROM applied WHERE rev = $k;"
		[ "$k" -eq 1 ] && down+="
DROP TABLE applied;"
		write_rev "$(rev_id "$k")" "$prev" "Revision $k." "$up" "$down"
		prev=$(rev_id "$k")
	done
}

# ---- background processes -----------------------------------------------

# Every pid started through bg_start; bg_reap kills and reaps what is left.
BG_PIDS=()

# bg_start OUTPREFIX CMD...: runs CMD in the background, stdout to
# OUTPREFIX.out, stderr to OUTPREFIX.err, exit status to OUTPREFIX.rc.
# With a gate open (gate_open), CMD starts only when gate_release is
# called. Sets BG_PID.
bg_start() {
	local pfx=$1
	shift
	(
		if [ -n "${GATE-}" ]; then
			read -r _ <"$GATE"
		fi
		rc=0
		"$@" >"$pfx.out" 2>"$pfx.err" || rc=$?
		echo "$rc" >"$pfx.rc"
	) 3>&- 9>&- &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# bg_wait PID OUTPREFIX [TIMEOUT_S]: waits for a bg_start process (killing
# it after TIMEOUT_S, default 60) and sets BG_RC to CMD's exit status (or
# 124 on timeout).
bg_wait() {
	local pid=$1 pfx=$2 limit=$((${3:-60} * 10)) i=0
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt "$limit" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		pkill -KILL -P "$pid" 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		BG_RC=124
		return 0
	fi
	wait "$pid" 2>/dev/null || true
	BG_RC=$(cat "$pfx.rc" 2>/dev/null || echo 125)
}

# Kills (children first) and reaps every bg_start process still running;
# closes the gate. Call from teardown.
bg_reap() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			pkill -KILL -P "$pid" 2>/dev/null || true
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
	BG_PIDS=()
	gate_close
}

# ---- a starting gate --------------------------------------------------------
# gate_open creates a fifo and holds it open read-write on fd 9 (so opening
# it for reading never blocks and the data written stays until read);
# processes started with bg_start then block on reading one line;
# gate_release N writes N lines at once, releasing N waiting processes
# together.
gate_open() {
	GATE="$BATS_TEST_TMPDIR/gate.$RANDOM"
	mkfifo "$GATE"
	exec 9<>"$GATE"
}

gate_release() {
	local n=$1 i s=""
	for ((i = 0; i < n; i++)); do s+=$'\n'; done
	printf '%s' "$s" >&9
}

gate_close() {
	if [ -n "${GATE-}" ]; then
		exec 9>&- || true
		rm -f "$GATE"
		GATE=""
	fi
}

# ---- inspection ----------------------------------------------------------

# A dead pid: a process that ran and was reaped.
dead_pid() {
	local p
	sh -c 'exit 0' &
	p=$!
	wait "$p" || true
	printf '%s\n' "$p"
}

# The index K of revision id rev_K, or 0 for an empty string.
rev_index() {
	if [ -z "$1" ]; then echo 0; else echo $((10#${1#rev_})); fi
}
