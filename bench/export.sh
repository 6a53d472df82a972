#!/usr/bin/env bash
# Export benchmark on local MariaDB. Not a test: nothing fails on slowness.
#
#   bench/export.sh
#
# Fills a database of its own with BENCH_EXPORT_ROWS completion rows (learners
# at BENCH_EXPORT_INSTITUTIONS institutions in the shipped counties, four
# enrolments each, half completed with a certificate, one lesson_progress
# row per lesson) by plain INSERT ... SELECT from MariaDB's sequence tables,
# then measures, one after the other, wall time and peak RSS (/usr/bin/time):
#
#   mysql     `mysql --quick --batch` dumping the rows of the exact query
#             `xuetang export completions` runs (bench/exportbench -print-sql)
#   csv       `xuetang export completions --format csv`
#   xlsx      `xuetang export completions --format xlsx`
#   baseline  excelize's StreamWriter writing the same rows (read from the
#             exported CSV) with no database (bench/exportbench -xlsx-baseline)
#
# and prints the ratios the issue asks about: csv / mysql time, xlsx / csv
# time, xlsx / baseline peak RSS. Results: bench/out/export.json.
#
# Safe beside other work on a shared host, as bench/run.sh: no server, no
# port; the database is one this run creates under a fresh name (xt_bench_*)
# and drops at exit (BENCH_KEEP_DB=1 keeps it); files go to bench/out/export/.
# MariaDB (root, no password, 127.0.0.1:3306) must be running; the script
# neither starts nor stops it.
#
# Tunables: BENCH_EXPORT_ROWS (200000, a multiple of 4),
# BENCH_EXPORT_INSTITUTIONS (200), BENCH_DB, BENCH_KEEP_DB (0),
# BENCH_ROUNDS (1: with more, each measurement reports its median round).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_TAG=bench-export
. bench/lib.sh
OUT=$ROOT/bench/out/export
ROWS=${BENCH_EXPORT_ROWS:-200000}
INSTITUTIONS=${BENCH_EXPORT_INSTITUTIONS:-200}
ROUNDS=${BENCH_ROUNDS:-1}
DB_NAME=${BENCH_DB:-xt_bench_$(random_hex 6)}
KEEP_DB=${BENCH_KEEP_DB:-0}
BIN_DIR=""

cleanup() {
	local rc=$?
	set +e
	drop_database "$KEEP_DB" BENCH_KEEP_DB
	[[ -n $BIN_DIR ]] && rm -rf "$BIN_DIR"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $DB_NAME == xt_bench* ]] || die "BENCH_DB must start with xt_bench"
((ROWS % 4 == 0)) || die "BENCH_EXPORT_ROWS must be a multiple of 4"
command -v /usr/bin/time >/dev/null || die "/usr/bin/time is needed (Debian package time)"
need_mariadb
mkdir -p "$OUT"

BIN_DIR=$(mktemp -d)
log "building xuetang and exportbench"
go build -o "$BIN_DIR/xuetang" ./cmd/xuetang
go build -o "$BIN_DIR/exportbench" ./bench/exportbench

create_database
DB_URL="mysql://root@127.0.0.1:3306/$DB_NAME"
DATA_DIR=$OUT/data
rm -rf "$DATA_DIR"
APP_ENV=(env XUETANG_DATABASE_URL="$DB_URL" XUETANG_DATA_DIR="$DATA_DIR" XUETANG_LOG_LEVEL=warn)
"${APP_ENV[@]}" "$BIN_DIR/xuetang" migrate >/dev/null
"${APP_ENV[@]}" "$BIN_DIR/xuetang" courses import courses >/dev/null

LEARNERS=$((ROWS / 4))
log "filling $DB_NAME: $LEARNERS learners at $INSTITUTIONS institutions, $ROWS enrolments"
t0=$(date +%s)
"${MYSQL[@]}" "$DB_NAME" >/dev/null <<SQL
INSERT INTO institutions (code, name, kind, region_code, created_at)
SELECT CONCAT('bench-', s.seq), CONCAT('测试机构', s.seq), 'library', r.code, NOW(3)
FROM seq_1_to_${INSTITUTIONS} s
JOIN (SELECT code, ROW_NUMBER() OVER (ORDER BY code) AS n FROM regions WHERE level = 3) r ON r.n = s.seq;
SET @first_inst = (SELECT MIN(id) FROM institutions WHERE code LIKE 'bench-%');
SET @insts = (SELECT COUNT(*) FROM institutions WHERE code LIKE 'bench-%');
INSERT INTO users (username, display_name, password_hash, role, institution_id, locale, created_at, updated_at)
SELECT CONCAT('bl', seq), CONCAT('学员', seq), 'x', 'learner', @first_inst + seq % @insts, 'zh-CN', NOW(3), NOW(3)
FROM seq_1_to_${LEARNERS};
INSERT INTO enrollments (user_id, course_id, course_version_id, enrolled_at, completed_at, hours_credited)
SELECT u.id, c.id, c.current_version_id,
  TIMESTAMP('2026-01-01') + INTERVAL (u.id % 300) DAY + INTERVAL (u.id % 86400) SECOND,
  IF(u.id % 2 = 0, TIMESTAMP('2026-01-06') + INTERVAL (u.id % 300) DAY, NULL),
  IF(u.id % 2 = 0, cv.study_hours, 0)
FROM users u
JOIN (SELECT id, current_version_id FROM courses WHERE current_version_id IS NOT NULL ORDER BY id LIMIT 4) c
JOIN course_versions cv ON cv.id = c.current_version_id
WHERE u.username LIKE 'bl%';
INSERT INTO lesson_progress (user_id, course_id, lesson_slug, first_opened_at, last_seen_at, completed_at, active_seconds, best_score, attempts)
SELECT e.user_id, e.course_id, l.slug, e.enrolled_at, e.enrolled_at, e.completed_at, 300 + e.id % 600,
  IF(EXISTS (SELECT 1 FROM questions q WHERE q.lesson_id = l.id), 60 + e.id % 41, NULL), 1
FROM enrollments e JOIN lessons l ON l.course_version_id = e.course_version_id;
INSERT INTO certificates (serial, enrollment_id, user_id, course_id, course_version_id, learner_name, course_title,
  institution_name, study_hours, issued_at)
SELECT CONCAT('XT-B', e.id), e.id, e.user_id, e.course_id, e.course_version_id, u.display_name, cv.title, '测试机构',
  e.hours_credited, e.completed_at
FROM enrollments e JOIN users u ON u.id = e.user_id JOIN course_versions cv ON cv.id = e.course_version_id
WHERE e.completed_at IS NOT NULL;
ANALYZE TABLE enrollments, users, institutions, lesson_progress, certificates, lessons, questions;
SQL
log "filled in $(($(date +%s) - t0)) s"
PROGRESS_ROWS=$("${MYSQL[@]}" -N "$DB_NAME" -e "SELECT COUNT(*) FROM lesson_progress")

SQL_TEXT=$("$BIN_DIR/exportbench" -print-sql -db "$DB_URL")

# measure NAME CMD...: runs the command ROUNDS times under /usr/bin/time and
# sets TIME_S and RSS_KB to the median round's.
measure() {
	local name=$1
	shift
	local times=() rss=()
	for ((r = 1; r <= ROUNDS; r++)); do
		/usr/bin/time -f '%e %M' -o "$OUT/$name.time" "$@"
		read -r t m <"$OUT/$name.time"
		times+=("$t")
		rss+=("$m")
		log "$name round $r: ${t}s, peak RSS ${m} KB"
	done
	TIME_S=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(((ROUNDS + 1) / 2))p")
	RSS_KB=$(printf '%s\n' "${rss[@]}" | sort -g | sed -n "$(((ROUNDS + 1) / 2))p")
}

measure mysql sh -c '"$@" > "'"$OUT"'/mysql.tsv"' sh "${MYSQL[@]}" --quick --batch --skip-column-names "$DB_NAME" -e "$SQL_TEXT"
MYSQL_T=$TIME_S MYSQL_M=$RSS_KB
measure csv "${APP_ENV[@]}" "$BIN_DIR/xuetang" export completions --format csv --out "$OUT/completions.csv"
CSV_T=$TIME_S CSV_M=$RSS_KB
measure xlsx "${APP_ENV[@]}" "$BIN_DIR/xuetang" export completions --format xlsx --out "$OUT/completions.xlsx"
XLSX_T=$TIME_S XLSX_M=$RSS_KB
measure baseline "$BIN_DIR/exportbench" -xlsx-baseline -in "$OUT/completions.csv" -out "$OUT/baseline.xlsx"
BASE_T=$TIME_S BASE_M=$RSS_KB

MYSQL_ROWS=$(wc -l <"$OUT/mysql.tsv")
CSV_ROWS=$(($(wc -l <"$OUT/completions.csv") - 1))
((MYSQL_ROWS == ROWS && CSV_ROWS == ROWS)) || die "row counts: mysql $MYSQL_ROWS, csv $CSV_ROWS, want $ROWS"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "null"; else printf "%.2f", a / b }'; }
cat >"$ROOT/bench/out/export.json" <<JSON
{
  "rows": $ROWS, "lesson_progress_rows": $PROGRESS_ROWS, "institutions": $INSTITUTIONS, "rounds": $ROUNDS,
  "mysql_batch": {"seconds": $MYSQL_T, "peak_rss_kb": $MYSQL_M},
  "csv": {"seconds": $CSV_T, "peak_rss_kb": $CSV_M, "bytes": $(stat -c %s "$OUT/completions.csv")},
  "xlsx": {"seconds": $XLSX_T, "peak_rss_kb": $XLSX_M, "bytes": $(stat -c %s "$OUT/completions.xlsx")},
  "xlsx_baseline": {"seconds": $BASE_T, "peak_rss_kb": $BASE_M},
  "csv_time_vs_mysql": $(ratio "$CSV_T" "$MYSQL_T"),
  "xlsx_time_vs_csv": $(ratio "$XLSX_T" "$CSV_T"),
  "xlsx_rss_vs_baseline": $(ratio "$XLSX_M" "$BASE_M"),
  "xlsx_time_vs_baseline": $(ratio "$XLSX_T" "$BASE_T")
}
JSON
cat "$ROOT/bench/out/export.json"
