#!/usr/bin/env bats
# config_url.bats: which database a config file names, and odd config files
# and URLs (SPEC §2, §3).
#   - a relative SQLite path in retort.ini is relative to the file's
#     directory (-c other/retort.ini works from anywhere); one given with
#     -u or $DATABASE_URL is relative to the working directory; -v shows
#     the database used;
#   - no byte sequence of a password reaches any output, however the URL
#     is malformed; a password with '@', '/' or '?' must be percent-encoded
#     and libpq keyword strings are refused, each in one clear line;
#   - retort.ini lines of any length; duplicate keys, other sections,
#     indented lines, empty values, BOM, CRLF, unreadable files and
#     directories;
#   - a file that is not a SQLite database is named, and left untouched.
# Every rejected case checks, as bad_inputs.bats does: the exit code, one
# "FAILED: " line (nothing else but log lines), the database untouched, no
# password on stdout or stderr.

load helpers

A=a1b2c3d4e5f6 B=b2c3d4e5f6a1
PW=Zq7Kx9Wv # in the URLs below; no 3 characters of it may be printed
RT_TIMEOUT=10

# Each test: $PROJ/other holds a project (retort.ini, migrations/) whose
# database other/app.db has revision A applied and B pending; $PROJ, the
# working directory, has a project of its own (from common_setup) whose
# ./app.db does not exist.
setup() {
	common_setup
	rm -f "$DB"
	OTHER="$PROJ/other"
	mkdir -p "$OTHER"
	(cd "$OTHER" && "$RETORT_BIN" init >/dev/null 2>&1) || fail "init in $OTHER failed"
	VERSIONS_DIR="$OTHER/migrations/versions" write_rev "$A" "" "Applied."
	(cd "$OTHER" && "$RETORT_BIN" -q upgrade head) || fail "priming upgrade failed"
	VERSIONS_DIR="$OTHER/migrations/versions" write_rev "$B" "$A" "Pending."
	ODB="$OTHER/app.db"
	BEFORE=$(file_sum "$ODB")
	[ "$BEFORE" != absent ] || fail "priming upgrade did not create $ODB"
}

rt() {
	timeout -k 2 "$RT_TIMEOUT" "$RETORT_BIN" "$@"
}

# other_ini LINE...: other/retort.ini with these lines after [retort].
other_ini() {
	{
		echo '[retort]'
		printf '%s\n' "$@"
	} >"$OTHER/retort.ini"
}

# assert_no_secret SECRET...: no 3 consecutive characters of any SECRET
# (nor of $PW) on stdout or stderr.
assert_no_secret() {
	local s i frag
	for s in "$PW" "$@"; do
		for ((i = 0; i + 3 <= ${#s}; i++)); do
			frag=${s:i:3}
			case "$output$stderr" in
			*"$frag"*) fail "'$frag' of the password '$s' was printed:
--- stdout ---
$output
--- stderr ---
$stderr" ;;
			esac
		done
	done
}

# assert_rejected CODE REGEX [SECRET...]: exit CODE, exactly one FAILED
# line matching REGEX (bash ERE) and nothing but log lines besides, no
# password.
assert_rejected() {
	local code=$1 re=$2 n other msg
	shift 2
	if [ "$status" -ne "$code" ]; then
		fail "exit status $status, expected $code
--- stderr ---
$(printf '%s' "$stderr" | head -c 3000)"
	fi
	n=$(printf '%s\n' "$stderr" | grep -ac '^FAILED: ' || true)
	[ "$n" -eq 1 ] || fail "expected one 'FAILED: ' line, got $n
--- stderr ---
$(printf '%s' "$stderr" | head -c 3000)"
	other=$(printf '%s\n' "$stderr" | grep -avc -e '^FAILED: ' -e '^[A-Z]\+ \+\[retort\] ' || true)
	[ "$other" -eq 0 ] || fail "stderr has $other line(s) besides FAILED and log lines
--- stderr ---
$(printf '%s' "$stderr" | head -c 3000)"
	msg=$(printf '%s\n' "$stderr" | grep -a '^FAILED: ')
	[ -z "${SHOW_FAILED-}" ] || printf '# %s\n' "${msg:0:300}" >&3
	[[ $msg =~ $re ]] || fail "the FAILED line does not match /$re/:
$msg"
	assert_no_secret "$@"
}

# other/app.db is byte for byte what it was, and still at A; nothing in
# the working directory.
assert_db_untouched() {
	assert_equal "$(file_sum "$ODB")" "$BEFORE"
	assert_equal "$(db_versions "$ODB")" "$A"
	[ ! -e "$PROJ/app.db" ] || fail "created $PROJ/app.db"
}

# ---- a relative SQLite path in the config (SPEC §3) ---------------------------

@test "sqlite: -c other/retort.ini upgrades other/app.db, not ./app.db" {
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_success
	assert_equal "$(db_versions "$ODB")" "$B"
	[ ! -e "$PROJ/app.db" ] || fail "migrated $PROJ/app.db"
}

@test "sqlite: \$RETORT_CONFIG=other/retort.ini and an absolute -c from / do too" {
	RETORT_CONFIG=other/retort.ini run --separate-stderr rt upgrade
	assert_success
	assert_equal "$(db_versions "$ODB")" "$B"
	cd /
	run --separate-stderr rt -c "$OTHER/retort.ini" downgrade "$A"
	assert_success
	assert_equal "$(db_versions "$ODB")" "$A"
	[ ! -e "$PROJ/app.db" ] && [ ! -e /app.db ] || fail "migrated the wrong app.db"
}

@test "sqlite: -v shows the database used, as an absolute sqlite:////path" {
	run --separate-stderr rt -v -c other/retort.ini current
	assert_success
	assert_stderr_line "DEBUG [retort] Database: sqlite:///$OTHER/app.db"
	# without -v, no such line
	run --separate-stderr rt -c other/retort.ini current
	assert_success
	refute_stderr --partial 'Database:'
}

@test "sqlite: ./ and subdirectories in the config's url are relative to the config file" {
	mkdir "$OTHER/data"
	other_ini 'script_location = migrations' 'url = sqlite:///./data/x.db'
	run --separate-stderr rt -v -c other/retort.ini upgrade
	assert_success
	assert_stderr_line "DEBUG [retort] Database: sqlite:///$OTHER/data/x.db"
	assert_equal "$(db_versions "$OTHER/data/x.db")" "$B"
}

@test "sqlite: %(here)s is the config file's absolute directory, not joined twice" {
	other_ini 'script_location = %(here)s/migrations' 'url = sqlite:///%(here)s/app.db'
	run --separate-stderr rt -v -c other/retort.ini upgrade
	assert_success
	assert_stderr_line "DEBUG [retort] Database: sqlite:///$OTHER/app.db"
	assert_equal "$(db_versions "$ODB")" "$B"
	[ ! -e "$OTHER/other" ] || fail "joined twice: $OTHER/other exists"
}

@test "sqlite: a relative -u or \$DATABASE_URL stays relative to the working directory" {
	run --separate-stderr rt -v -c other/retort.ini -u sqlite:///cli.db upgrade
	assert_success
	assert_stderr_line "DEBUG [retort] Database: sqlite:///$PROJ/cli.db"
	assert_equal "$(db_versions "$PROJ/cli.db")" "$B"
	DATABASE_URL=sqlite:///env.db run --separate-stderr rt -c other/retort.ini upgrade
	assert_success
	assert_equal "$(db_versions "$PROJ/env.db")" "$B"
	[ ! -e "$OTHER/cli.db" ] && [ ! -e "$OTHER/env.db" ] || fail "created next to the config"
	assert_equal "$(file_sum "$ODB")" "$BEFORE"
}

@test "sqlite: sqlite:// (memory) and sqlite:////absolute in the config are unaffected" {
	other_ini 'script_location = migrations' 'url = sqlite://'
	run --separate-stderr rt -v -c other/retort.ini upgrade
	assert_success
	assert_stderr_line "DEBUG [retort] Database: sqlite:// (in memory)"
	assert_stderr_line --partial "Running upgrade  -> $A"
	mkdir "$BATS_TEST_TMPDIR/abs"
	other_ini 'script_location = migrations' "url = sqlite:///$BATS_TEST_TMPDIR/abs/a.db"
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_success
	assert_equal "$(db_versions "$BATS_TEST_TMPDIR/abs/a.db")" "$B"
	assert_equal "$(file_sum "$ODB")" "$BEFORE"
	[ ! -e "$PROJ/app.db" ] || fail "created $PROJ/app.db"
}

# ---- passwords in malformed URLs (SPEC §2) --------------------------------------

@test "url: no ':' after the scheme (postgres//u:PW@h/db) is exit 2 without the password" {
	run --separate-stderr rt -c other/retort.ini -u "postgres//u:$PW@127.0.0.1/db" upgrade
	assert_rejected 2 "invalid database URL 'postgres//u:\*\*\*@127\.0\.0\.1/db' \(expected scheme://"
	assert_db_untouched
}

@test "url: a libpq keyword string is refused without echoing any value" {
	run --separate-stderr rt -c other/retort.ini -u "host=127.0.0.1 password=$PW dbname=x" upgrade
	assert_rejected 2 "libpq keyword string .*write it as a URL, postgresql://user:password@host:port/dbname$"
	refute_stderr --partial '127.0.0.1'
	DATABASE_URL="dbname=x password='$PW'" run --separate-stderr rt -c other/retort.ini current
	assert_rejected 2 "libpq keyword string"
	assert_db_untouched
}

@test "url: an unencoded '@' and '?' in the password are refused with the fix, nothing of it printed" {
	for pw in 'Qz@Kx?W9v' 'Qz@KxW9v' 'Qz@Kx@W9v' 'Qz@Kx/W9v' 'QzKx/W9v' 'QzK?xW9v' 'Qz@Kx%4FW9v'; do
		run --separate-stderr rt -c other/retort.ini -u "postgresql://u:$pw@127.0.0.1:1/db" current
		assert_rejected 2 "invalid database URL 'postgresql://u:\*\*\*@127\.0\.0\.1:1/db': percent-encode '@', '/' and '\?' in the password \(as %40, %2F, %3F\)" "$pw"
	done
	# the same from $DATABASE_URL and from the config file
	DATABASE_URL="postgresql://u:Qz@Kx?W9v@127.0.0.1:1/db" run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 'percent-encode' 'Qz@Kx?W9v'
	other_ini 'script_location = migrations' "url = postgresql://u:Qz@Kx@W9v@127.0.0.1:1/db"
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 'percent-encode' 'Qz@Kx@W9v'
	assert_db_untouched
}

@test "url: the same password percent-encoded is accepted (exit 1 on an unreachable host), nothing of it printed" {
	run --separate-stderr rt -c other/retort.ini -u "postgresql://u:Qz%40Kx%3FW9v%2F@127.0.0.1:1/db" upgrade
	assert_rejected 1 "cannot connect to postgresql://u:\*\*\*@127\.0\.0\.1:1/db: .*127\.0\.0\.1" 'Qz@Kx?W9v' 'Qz%40Kx%3FW9v'
	assert_db_untouched
}

@test "url: an '@' in a query value after the password must be encoded too" {
	run --separate-stderr rt -c other/retort.ini -u "postgresql://u:$PW@127.0.0.1:1/db?application_name=a@b" current
	assert_rejected 2 'percent-encode'
	run --separate-stderr rt -c other/retort.ini -u "postgresql://127.0.0.1:1/db?password=p@$PW" current
	assert_rejected 2 "'postgresql://127\.0\.0\.1:\*\*\*': percent-encode"
	run --separate-stderr rt -c other/retort.ini -u "postgresql://u:$PW@127.0.0.1:1/db?application_name=a%40b" current
	assert_rejected 1 'cannot connect'
	assert_db_untouched
}

@test "url: a bad percent escape or a control character is refused in one line, without the password" {
	run --separate-stderr rt -c other/retort.ini -u "postgresql://u:${PW}%zz@127.0.0.1:1/db" current
	assert_rejected 2 "'postgresql://u:\*\*\*@127\.0\.0\.1:1/db': a '%' must start a %XX escape \(write a '%' itself as %25\)$"
	run --separate-stderr rt -c other/retort.ini -u "postgresql://u:$PW
@127.0.0.1:1/db" current
	assert_rejected 2 "invalid database URL: it contains a control character \(byte 0x0a at offset [0-9]+\); remove it$"
	assert_db_untouched
}

@test "url: unencoded '@' with a real server: refused; percent-encoded: connects; wrong: exit 1, no password" {
	pg_required
	url=$(pg_url_for_test)
	role="u_$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
	pg_psql -d "$url" -c "CREATE ROLE $role LOGIN PASSWORD 'Qz@Kx?W9v/J'" >/dev/null
	hostdb=${url##*@}
	run --separate-stderr rt -c other/retort.ini -u "postgresql://$role:Qz@Kx?W9v/J@$hostdb" current
	assert_rejected 2 'percent-encode' 'Qz@Kx?W9v/J'
	run --separate-stderr rt -c other/retort.ini -u "postgresql://$role:Qz%40Kx%3FW9v%2FJ@$hostdb" current
	assert_success
	assert_no_secret 'Qz@Kx?W9v/J' 'Qz%40Kx%3FW9v%2FJ'
	run --separate-stderr rt -c other/retort.ini -u "postgresql://$role:Vj%40Qz%3FKx@$hostdb" current
	assert_rejected 1 'password authentication failed' 'Vj@Qz?Kx' 'Vj%40Qz%3FKx'
	pg_psql -d "$url" -c "DROP ROLE $role" >/dev/null
	assert_db_untouched
}

# ---- long lines in retort.ini ---------------------------------------------------

# long_pg_url N: a PostgreSQL URL of N characters (unreachable port 1),
# padded in its application_name.
long_pg_url() {
	local head="postgresql://u:$PW@127.0.0.1:1/db?application_name="
	printf '%s%s' "$head" "$(head -c $(($1 - ${#head})) /dev/zero | tr '\0' x)"
}

@test "ini: a 300- and a 5000-character url line are read whole (exit 1: unreachable, not a syntax error)" {
	for n in 300 5000; do
		url=$(long_pg_url $n)
		[ ${#url} -eq $n ] || fail "url of ${#url} characters"
		other_ini 'script_location = migrations' "url = $url"
		run --separate-stderr rt -c other/retort.ini upgrade
		assert_rejected 1 "^FAILED: cannot connect to postgresql://u:\*\*\*@127\.0\.0\.1:1/db\?application_name=xxxx"
	done
	assert_db_untouched
}

@test "ini: a 300-character sqlite url and a 5000-character comment: upgrade works" {
	# a relative path of ~280 characters in 5 directories
	dir=$(for i in 1 2 3 4 5; do printf 'd%s_%s/' $i "$(head -c 50 /dev/zero | tr '\0' y)"; done)
	mkdir -p "$OTHER/$dir"
	url="sqlite:///${dir}app.db"
	[ ${#url} -ge 280 ] || fail "url of ${#url} characters"
	other_ini "; $(head -c 5000 /dev/zero | tr '\0' c)" 'script_location = migrations' "url = $url   ; inline comment"
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_success
	assert_equal "$(db_versions "$OTHER/${dir}app.db")" "$B"
	assert_equal "$(file_sum "$ODB")" "$BEFORE"
}

@test "ini: a problem after a long line is reported at its own line number" {
	other_ini 'script_location = migrations' "url = $(long_pg_url 5000)" '' 'lock = sometimes'
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:5: invalid value 'sometimes' for 'lock'$"
	other_ini 'script_location = migrations' "url = $(long_pg_url 300)" 'not ini'
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:4: syntax error"
	# a long line that is not 'key = value' is the one reported
	other_ini 'script_location = migrations' "$(head -c 400 /dev/zero | tr '\0' z)"
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:3: syntax error"
	assert_db_untouched
}

# ---- odd retort.ini files -----------------------------------------------------------

@test "ini: CRLF line ends and a UTF-8 byte order mark are accepted" {
	printf '\xef\xbb\xbf[retort]\r\nscript_location = migrations\r\nurl = sqlite:///app.db\r\nlock = none\r\n' >"$OTHER/retort.ini"
	run --separate-stderr rt -v -c other/retort.ini upgrade
	assert_success
	assert_stderr_line "DEBUG [retort] Database: sqlite:///$OTHER/app.db"
	assert_equal "$(db_versions "$ODB")" "$B"
}

@test "ini: a key given twice (also as url and sqlalchemy.url) is exit 2 naming both lines" {
	other_ini 'script_location = migrations' 'url = sqlite:///app.db' 'url = sqlite:///other.db'
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:4: 'url' is set twice in \[retort\] \(first on line 3\): keep one$"
	other_ini 'script_location = migrations' "sqlalchemy.url = postgresql://u:$PW@127.0.0.1:1/db" 'url = sqlite:///app.db'
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:4: 'url' is set twice"
	assert_db_untouched
}

@test "ini: no [retort] section (an alembic.ini's [alembic]) is exit 2 naming the section found" {
	printf '[alembic]\nscript_location = migrations\nsqlalchemy.url = sqlite:///app.db\n' >"$OTHER/retort.ini"
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini: no \[retort\] section \(the file has \[alembic\]\): retort reads its settings from \[retort\]$"
	: >"$OTHER/retort.ini"
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini: no \[retort\] section"
	assert_db_untouched
}

@test "ini: settings before any section header are exit 2 naming the line" {
	printf 'script_location = migrations\n[retort]\nurl = sqlite:///app.db\n' >"$OTHER/retort.ini"
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:1: 'script_location' comes before any section"
	assert_db_untouched
}

@test "ini: a second [retort] section is exit 2 naming both" {
	printf '[retort]\nscript_location = migrations\n[loggers]\nkeys = root\n[retort]\nurl = sqlite:///app.db\n' >"$OTHER/retort.ini"
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:5: a second \[retort\] section \(the first is on line 1\)"
	assert_db_untouched
}

@test "ini: an indented line (a continued value) in [retort] is exit 2 naming the line" {
	other_ini 'script_location = migrations' "url = postgresql://u:$PW@127.0.0.1:1/db" '    lock = none'
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:4: indented line in \[retort\]"
	assert_db_untouched
}

@test "ini: empty values: url is unset, script_location and version_table are errors" {
	other_ini 'script_location = migrations' 'url ='
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: no database URL: pass --url, set DATABASE_URL, or set 'url' in other/retort\.ini$"
	run --separate-stderr rt -c other/retort.ini -u sqlite:///app.db current
	assert_success
	other_ini 'script_location =' 'url = sqlite:///app.db'
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:2: 'script_location' is empty$"
	other_ini 'script_location = migrations' 'url = sqlite:///app.db' 'version_table ='
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:4: 'version_table' is empty$"
	assert_equal "$(file_sum "$ODB")" "$BEFORE"
}

@test "ini: %% is a '%' (alembic.ini style); another %(name)s is exit 2 without showing it" {
	other_ini 'script_location = migrations' 'url = sqlite:///app%%1.db'
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_success
	[ -e "$OTHER/app%1.db" ] || fail "app%1.db not created: $(ls "$OTHER")"
	other_ini 'script_location = migrations' "url = postgresql://u:x%($PW)s@127.0.0.1:1/db"
	run --separate-stderr rt -c other/retort.ini upgrade
	assert_rejected 2 "^FAILED: other/retort\.ini:3: 'url': '%\(' starts an interpolation, and retort knows only %\(here\)s"
	assert_equal "$(file_sum "$ODB")" "$BEFORE"
}

@test "ini: -c a directory, a binary file, an unreadable file: exit 2, one line each" {
	run --separate-stderr rt -c other upgrade
	assert_rejected 2 "^FAILED: other: is a directory, not a config file \(pass the file, e.g\. -c other/retort\.ini\)$"
	run --separate-stderr rt -c other/app.db upgrade
	assert_rejected 2 "^FAILED: other/app\.db:1: NUL byte in the config file \(is it a text file\?\)$"
	run --separate-stderr rt -c /dev/null upgrade
	assert_rejected 2 "^FAILED: /dev/null: no \[retort\] section"
	if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null; then
		# root reads anything: try as nobody, with a copy of the binary and
		# the file in a directory nobody may reach (a checkout under /root,
		# mode 700, is not: a fresh machine's root clones there)
		ro=$(mktemp -d /tmp/retort-ro.XXXXXX)
		chmod 755 "$ro"
		cp "$RETORT_BIN" "$ro/retort"
		chmod 755 "$ro/retort"
		cp "$OTHER/retort.ini" "$ro/retort.ini"
		chmod 000 "$ro/retort.ini"
		run --separate-stderr runuser -u nobody -- "$ro/retort" -c "$ro/retort.ini" current
		rm -rf "$ro"
	else
		chmod 000 "$OTHER/retort.ini"
		run --separate-stderr rt -c other/retort.ini current
	fi
	if [[ $stderr == *"Permission denied"* ]] || [ "$(id -u)" -ne 0 ]; then
		assert_rejected 2 "retort\.ini: cannot read config file: Permission denied$"
	else
		skip "cannot run as an unprivileged user here: $stderr"
	fi
	assert_equal "$(file_sum "$ODB")" "$BEFORE"
}

# ---- files that are not SQLite databases ----------------------------------------------

@test "sqlite: a file that is not a database is exit 1 naming it; nothing written to it" {
	printf 'hello, not a database\n%.0s' {1..100} >"$OTHER/junk.db"
	sum=$(file_sum "$OTHER/junk.db")
	other_ini 'script_location = migrations' 'url = sqlite:///junk.db'
	for cmd in upgrade current stamp\ head; do
		run --separate-stderr rt -c other/retort.ini $cmd
		assert_rejected 1 "^FAILED: cannot open SQLite database 'other/junk\.db': file is not a database$"
	done
	run --separate-stderr rt -c other/retort.ini -u sqlite:///other/junk.db upgrade
	assert_rejected 1 "^FAILED: cannot open SQLite database 'other/junk\.db': file is not a database$"
	assert_equal "$(file_sum "$OTHER/junk.db")" "$sum"
	ls "$OTHER" | grep -q 'junk\.db-' && fail "journal left: $(ls "$OTHER")"
	assert_db_untouched
}

@test "sqlite: a directory as the database is exit 1 saying so" {
	run --separate-stderr rt -c other/retort.ini -u sqlite:///other/migrations upgrade
	assert_rejected 1 "^FAILED: cannot open SQLite database 'other/migrations': it is a directory$"
	assert_db_untouched
}
