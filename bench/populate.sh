#!/usr/bin/env bash
# A populated MariaDB database for the benchmarks that need national-scale
# data (the statistics dashboard, a teacher's class grid): a database of its
# own under a fresh name, filled by `xuetang dev generate` and its statistics
# counted (`xuetang stats rebuild`), each timed. Not a test: nothing fails
# on slowness.
#
#   bench/populate.sh                  populate, report, drop the database
#   BENCH_KEEP=1 bench/populate.sh     ... and keep it (drop it by hand later)
#   bench/populate.sh CMD [ARG ...]    populate, run CMD with the database
#                                      (XUETANG_DATABASE_URL and BENCH_POP_DSN
#                                      set), then drop it unless BENCH_KEEP=1
#
# Standard output gets the database's URL
# (mysql://root@127.0.0.1:3306/NAME), once it is populated (before CMD
# runs; CMD's own output follows); the generator's progress goes to standard
# error. Results land in bench/out/:
# populate.json (time, rows, rows/s, per-table counts, the machine and its
# load; "seconds" is the whole command, migrations and course loading
# included) and populate.log (the generator's output). Generated accounts
# (gen-r*, gen-a*, gen-t*, gen-l*) share one password, bench/out/pop-password
# (mode 600), for scenarios that sign in.
#
# Safe beside other work on a shared host: the database is one this run
# creates under a fresh name (CREATE without IF NOT EXISTS, so an existing
# one is never taken over) and drops at exit unless kept. The machine's
# MariaDB (root, no password, 127.0.0.1:3306) must be running: the script
# neither starts nor stops it, and changes no global setting.
#
# Tunables (environment): BENCH_LEARNERS_POP (1000000), BENCH_INSTITUTIONS_POP
# (empty: the generator's one per ten learners, 100,000 at a million),
# BENCH_SEED (1), BENCH_DAYS (365), BENCH_EVENTS_PER_LESSON (2),
# BENCH_WRITERS (1), BENCH_REBUILD (1; 0 skips `stats rebuild`, to time it
# on its own later), BENCH_DB (xt_bench_pop_RANDOM; must start with xt_bench
# and not exist yet), BENCH_KEEP (0; BENCH_KEEP_DB=1 as in bench/run.sh works
# too), BENCH_XUETANG (a xuetang binary to use instead of building one).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_TAG=populate
. bench/lib.sh
OUT=$ROOT/bench/out
LEARNERS=${BENCH_LEARNERS_POP:-1000000}
INSTITUTIONS=${BENCH_INSTITUTIONS_POP:-}
SEED=${BENCH_SEED:-1}
DAYS=${BENCH_DAYS:-365}
EVENTS=${BENCH_EVENTS_PER_LESSON:-2}
WRITERS=${BENCH_WRITERS:-1}
DB_NAME=${BENCH_DB:-xt_bench_pop_$(random_hex 6)}
KEEP=${BENCH_KEEP:-${BENCH_KEEP_DB:-0}}
REBUILD=${BENCH_REBUILD:-1}
XUETANG_BIN=${BENCH_XUETANG:-}
CHILD=""

cleanup() {
	local rc=$?
	set +e
	if [[ -n $CHILD ]]; then
		kill "$CHILD" 2>/dev/null
		wait "$CHILD" 2>/dev/null
	fi
	drop_database "$KEEP" BENCH_KEEP
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $LEARNERS =~ ^[1-9][0-9]{0,7}$ ]] || die "BENCH_LEARNERS_POP=$LEARNERS: want 1 to 99999999"
[[ -z $INSTITUTIONS || $INSTITUTIONS =~ ^[1-9][0-9]{0,7}$ ]] || die "BENCH_INSTITUTIONS_POP=$INSTITUTIONS: want a positive number"
[[ $SEED =~ ^[0-9]{1,19}$ ]] || die "BENCH_SEED=$SEED: want a number"
[[ $DAYS =~ ^[1-9][0-9]{0,4}$ ]] || die "BENCH_DAYS=$DAYS: want a positive number"
[[ $EVENTS =~ ^[0-9]{1,3}$ ]] || die "BENCH_EVENTS_PER_LESSON=$EVENTS: want 0 (every heartbeat) or a count"
[[ $WRITERS =~ ^[1-8]$ ]] || die "BENCH_WRITERS=$WRITERS: want 1 to 8"
[[ $KEEP =~ ^[01]$ ]] || die "BENCH_KEEP=$KEEP: want 0 or 1"
[[ $REBUILD =~ ^[01]$ ]] || die "BENCH_REBUILD=$REBUILD: want 0 or 1"
# The database is dropped at exit, so it must be recognisably a benchmark one.
[[ $DB_NAME =~ ^xt_bench[a-z0-9_]*$ ]] || die "BENCH_DB=$DB_NAME: want a name starting with xt_bench"
for tool in bc go jq mysql mysqladmin od; do
	command -v "$tool" >/dev/null || die "$tool is not installed"
done
need_mariadb

mkdir -p "$OUT"
if [[ -n $XUETANG_BIN ]]; then
	[[ -x $XUETANG_BIN ]] || die "BENCH_XUETANG=$XUETANG_BIN is not an executable"
else
	log "building xuetang into bench/out/"
	go build -trimpath -ldflags "-s -w -X main.Version=bench" -o "$OUT/xuetang" ./cmd/xuetang
	XUETANG_BIN=$OUT/xuetang
fi

create_database
DSN="mysql://root@127.0.0.1:3306/$DB_NAME"

(umask 077 && random_hex 18 >"$OUT/pop-password")
args=(dev generate --learners "$LEARNERS" --seed "$SEED" --days "$DAYS" --events-per-lesson "$EVENTS"
	--writers "$WRITERS" --password "$(cat "$OUT/pop-password")")
[[ -z $INSTITUTIONS ]] || args+=(--institutions "$INSTITUTIONS")

LOADAVG_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v n="$(nproc)" '{ exit !($1 > n / 2) }' /proc/loadavg; then
	log "warning: load average $LOADAVG_AT_START on $(nproc) CPUs before starting; the time will be noisy"
fi
log "generating $LEARNERS learners into $DB_NAME (progress below)"
start=$(date +%s.%N)
# Migration and course-loading logs (JSON on stdout) go to the log file;
# the generator's progress lines (stderr) to the terminal as well.
XUETANG_DATABASE_URL=$DSN XUETANG_DATA_DIR=$OUT/data "$XUETANG_BIN" "${args[@]}" \
	>"$OUT/populate.log" 2> >(tee -a "$OUT/populate.log" >&2) &
CHILD=$!
wait "$CHILD" || die "xuetang dev generate failed (see bench/out/populate.log)"
CHILD=""
end=$(date +%s.%N)
LOADAVG_AT_END=$(cut -d' ' -f1-3 /proc/loadavg)

counts=$("${MYSQL[@]}" -N -B "$DB_NAME" -e "SELECT JSON_OBJECT(
	'institutions', (SELECT COUNT(*) FROM institutions),
	'users', (SELECT COUNT(*) FROM users),
	'learners', (SELECT COUNT(*) FROM users WHERE role = 'learner'),
	'classes', (SELECT COUNT(*) FROM classes),
	'class_members', (SELECT COUNT(*) FROM class_members),
	'assignments', (SELECT COUNT(*) FROM assignments),
	'enrollments', (SELECT COUNT(*) FROM enrollments),
	'completed', (SELECT COUNT(*) FROM enrollments WHERE completed_at IS NOT NULL),
	'lesson_progress', (SELECT COUNT(*) FROM lesson_progress),
	'progress_events', (SELECT COUNT(*) FROM progress_events),
	'quiz_attempts', (SELECT COUNT(*) FROM quiz_attempts),
	'certificates', (SELECT COUNT(*) FROM certificates),
	'revoked', (SELECT COUNT(*) FROM certificates WHERE revoked_at IS NOT NULL))")
# On disk (the tablespace files): information_schema.tables lags behind
# bulk inserts until InnoDB refreshes its statistics.
size=$("${MYSQL[@]}" -N -B -e "SELECT ROUND(SUM(allocated_size) / 1048576) FROM information_schema.innodb_sys_tablespaces
	WHERE name LIKE '$DB_NAME/%'" 2>/dev/null) || size=""
[[ $size =~ ^[0-9]+$ ]] ||
	size=$("${MYSQL[@]}" -N -B -e "SELECT ROUND(SUM(data_length + index_length) / 1048576) FROM information_schema.tables WHERE table_schema = '$DB_NAME'")

jq -n --argjson counts "$counts" --arg t0 "$start" --arg t1 "$end" --arg db "$DB_NAME" --arg size "$size" \
	--arg learners "$LEARNERS" --arg seed "$SEED" --arg days "$DAYS" --arg events "$EVENTS" --arg writers "$WRITERS" \
	--arg l0 "$LOADAVG_AT_START" --arg l1 "$LOADAVG_AT_END" --arg cpus "$(nproc)" \
	--arg mariadb "$("${MYSQL[@]}" -N -B -e 'SELECT VERSION()')" \
	--arg pool "$("${MYSQL[@]}" -N -B -e 'SELECT @@innodb_buffer_pool_size')" \
	'(($t1 | tonumber) - ($t0 | tonumber)) as $s
	 | ($counts | del(.learners, .completed, .revoked) | add) as $rows
	 | {scenario: "populate", database: $db, learners: ($learners | tonumber), seed: ($seed | tonumber),
	    days: ($days | tonumber), events_per_lesson: ($events | tonumber), writers: ($writers | tonumber),
	    seconds: ($s * 10 | round / 10), rows: $rows, rows_per_second: ($rows / $s | round),
	    learners_per_second: (($learners | tonumber) / $s | round), size_mb: ($size | tonumber), counts: $counts,
	    machine: {cpus: ($cpus | tonumber), mariadb: $mariadb, innodb_buffer_pool_bytes: ($pool | tonumber),
	              load_average_at_start: $l0, load_average_at_end: $l1}}' >"$OUT/populate.json"
jq -r '"populated \(.database): \(.learners) learners, \(.rows) rows (\(.counts.lesson_progress) lesson progress, \(.counts.progress_events) events) in \(.seconds) s: \(.rows_per_second) rows/s, \(.size_mb) MB; load average \(.machine.load_average_at_start) at start, \(.machine.load_average_at_end) at the end",
	"  written: bench/out/populate.json"' "$OUT/populate.json" >&2

# The generator writes raw rows only; the statistics are counted once, as
# `xuetang serve` would on its first start, so the dashboard and its
# benchmarks (bench/scale.sh) find them ready. Timed on its own.
if ((REBUILD == 0)); then
	log "BENCH_REBUILD=0: the statistics are not counted"
else
	log "counting the statistics (xuetang stats rebuild)"
	rb0=$(date +%s.%N)
	# A failed rebuild (at a million learners it takes about 22 minutes here;
	# docs/PERFORMANCE.md) is reported, not fatal, since the class grid needs
	# no statistics.
	if XUETANG_DATABASE_URL=$DSN XUETANG_DATA_DIR=$OUT/data "$XUETANG_BIN" stats rebuild >>"$OUT/populate.log" 2>&1; then
		rb=$(echo "$(date +%s.%N) - $rb0" | bc)
		jq --arg rb "$rb" '. + {stats_rebuild_seconds: ($rb | tonumber * 10 | round / 10)}' "$OUT/populate.json" >"$OUT/populate.json.tmp" &&
			mv "$OUT/populate.json.tmp" "$OUT/populate.json"
		log "statistics counted in $(printf '%.1f' "$rb") s"
	else
		log "warning: xuetang stats rebuild failed (see bench/out/populate.log): the dashboard's numbers are not counted"
	fi
fi

echo "$DSN"
if (($# > 0)); then
	log "running $* with XUETANG_DATABASE_URL=$DSN"
	XUETANG_DATABASE_URL=$DSN BENCH_POP_DSN=$DSN "$@"
fi
