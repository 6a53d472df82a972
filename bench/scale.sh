#!/usr/bin/env bash
# The staff's heavy reads on a national-scale database, each against the
# lesson view in the same run: a teacher's class grid (issue 13, "Scale and
# speed": a class of BENCH_CLASS_SIZE (200) learners with 10 assigned
# courses, GET /api/v1/teach/classes/{id}/progress) and an admin's statistics
# dashboard (issue 12, "Measure": the requests /admin/stats makes, in turn:
# summary, regions, a province's regions, the monthly trend, breakdowns by
# kind, course and age band). The lesson view (GET /api/v1/lessons/{id},
# gzip), the grid and the dashboard are loaded in turn at BENCH_CONNECTIONS
# (16) connections for BENCH_DURATION (15s) each, BENCH_ROUNDS (3) rounds;
# it reports each median-round p95 and its ratio to the lesson view's (aim:
# at most 2x). Run it on a 10,000-learner database too for the dashboard's
# "independent of table size" (within 1.2x). Not a test: nothing fails on
# slowness.
#
#   bench/populate.sh bench/scale.sh     populate 1M learners, measure, drop
#   XUETANG_DATABASE_URL=mysql://root@127.0.0.1:3306/xt_bench_pop_... \
#   BENCH_POP_PASSWORD=bench/out/pop-password bench/scale.sh
#                                        on a database kept by populate.sh
#
# It adds to that database an admin account (bench_scale_admin, the
# generated accounts' password, kept), its own class (named bench-grid-RANDOM),
# its members, assignments, and enrolments and lesson progress of the
# members in the assigned courses where they had none (as a class that has
# been working for a few weeks), and deletes the class, its members and
# assignments again at exit (the enrolments and progress rows stay: they are
# what such learners would have). The server runs on a free loopback port
# with sessions in the database (no Redis database is touched) and a data
# dir under bench/out/grid-data. Results: bench/out/scale.json.
# BENCH_XUETANG names a xuetang binary to run instead of building one (it
# must not be older than the database's schema).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_TAG=scale
. bench/lib.sh
OUT=$ROOT/bench/out
mkdir -p "$OUT"
MYSQL=(mysql -uroot -h127.0.0.1 --protocol=tcp)
CONNECTIONS=${BENCH_CONNECTIONS:-16}
DURATION=${BENCH_DURATION:-15s}
WARMUP=${BENCH_WARMUP:-3s}
ROUNDS=${BENCH_ROUNDS:-3}
CLASS_SIZE=${BENCH_CLASS_SIZE:-200}
PASSWORD_FILE=${BENCH_POP_PASSWORD:-$OUT/pop-password}
URL=${XUETANG_DATABASE_URL:-}
[[ $URL =~ ^mysql://root@127\.0\.0\.1:3306/(xt_bench[A-Za-z0-9_]*)$ ]] ||
	die "XUETANG_DATABASE_URL must name a populated xt_bench* database on 127.0.0.1:3306 (see bench/populate.sh)"
DB_NAME=${BASH_REMATCH[1]}
[[ -r $PASSWORD_FILE ]] || die "no generated accounts' password at $PASSWORD_FILE (BENCH_POP_PASSWORD)"
need_mariadb
sql() { "${MYSQL[@]}" -N -B "$DB_NAME" -e "$1"; }

CLASS_ID=""
APP_PID=""
cleanup() {
	local rc=$?
	set +e
	[[ -n $APP_PID ]] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null
	if [[ -n $CLASS_ID ]]; then
		sql "DELETE FROM assignments WHERE class_id = $CLASS_ID; DELETE FROM class_members WHERE class_id = $CLASS_ID;
			DELETE FROM classes WHERE id = $CLASS_ID" || log "warning: could not delete class $CLASS_ID"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

XUETANG_BIN=${BENCH_XUETANG:-}
if [[ -n $XUETANG_BIN ]]; then
	[[ -x $XUETANG_BIN ]] || die "BENCH_XUETANG=$XUETANG_BIN is not an executable"
	log "using $XUETANG_BIN; building load and freeport into bench/out/"
else
	log "building xuetang, load and freeport into bench/out/"
	go build -trimpath -o "$OUT/xuetang" ./cmd/xuetang
	XUETANG_BIN=$OUT/xuetang
fi
go build -trimpath -o "$OUT/load" ./bench/load
go build -trimpath -o "$OUT/freeport" ./bench/freeport

counts=$(sql "SELECT (SELECT COUNT(*) FROM users WHERE role = 'learner'), (SELECT COUNT(*) FROM lesson_progress),
	(SELECT COUNT(*) FROM institutions)")
read -r N_LEARNERS N_PROGRESS N_INST <<<"$counts"
log "database $DB_NAME: $N_LEARNERS learners, $N_PROGRESS lesson progress rows, $N_INST institutions"

# The class: a generated teacher's, open to outside learners, with
# CLASS_SIZE learners spread over the country and 10 courses of one language.
read -r TEACHER_ID TEACHER INST_ID <<<"$(sql "SELECT id, username, institution_id FROM users
	WHERE role = 'teacher' AND username LIKE 'gen-t%' AND institution_id IS NOT NULL ORDER BY id LIMIT 1")"
[[ $TEACHER_ID =~ ^[0-9]+$ ]] || die "no generated teacher in $DB_NAME"
name="bench-grid-$(random_hex 4)"
CLASS_ID=$(sql "INSERT INTO classes (institution_id, name, teacher_id, created_at, allow_outside)
	VALUES ($INST_ID, '$name', $TEACHER_ID, NOW(3) - INTERVAL 40 DAY, TRUE); SELECT LAST_INSERT_ID()")
step=$((N_LEARNERS / CLASS_SIZE))
sql "INSERT INTO class_members (class_id, user_id, joined_at)
	SELECT $CLASS_ID, id, NOW(3) - INTERVAL 40 DAY FROM (
	  SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM users WHERE role = 'learner' AND deleted_at IS NULL) x
	WHERE MOD(n, $step) = 0 LIMIT $CLASS_SIZE"
sql "INSERT INTO assignments (class_id, course_id, due_at, created_by, created_at)
	SELECT $CLASS_ID, id, NOW(3) + INTERVAL 14 DAY, $TEACHER_ID, NOW(3) - INTERVAL 30 DAY FROM courses
	WHERE language = 'zh-CN' AND current_version_id IS NOT NULL ORDER BY id LIMIT 10"
# Four in five members enrolled in each assigned course, each some lessons in.
sql "INSERT IGNORE INTO enrollments (user_id, course_id, course_version_id, enrolled_at, institution_id)
	SELECT m.user_id, c.id, c.current_version_id, NOW(3) - INTERVAL 30 DAY, u.institution_id
	FROM class_members m JOIN assignments a ON a.class_id = m.class_id JOIN courses c ON c.id = a.course_id
	JOIN users u ON u.id = m.user_id WHERE m.class_id = $CLASS_ID AND MOD(m.user_id + c.id, 5) <> 0"
sql "INSERT IGNORE INTO lesson_progress (user_id, course_id, lesson_slug, first_opened_at, last_seen_at, completed_at,
	  active_seconds, best_score, attempts)
	SELECT e.user_id, e.course_id, l.slug, NOW(3) - INTERVAL 20 DAY, NOW(3) - INTERVAL 10 DAY,
	  CASE WHEN MOD(e.user_id + l.position, 3) = 0 THEN NULL ELSE NOW(3) - INTERVAL 10 DAY END,
	  300 + MOD(e.user_id, 900), 60 + MOD(e.user_id + l.position, 41), 1 + MOD(e.user_id, 3)
	FROM class_members m JOIN assignments a ON a.class_id = m.class_id
	JOIN enrollments e ON e.user_id = m.user_id AND e.course_id = a.course_id
	JOIN lessons l ON l.course_version_id = e.course_version_id
	WHERE m.class_id = $CLASS_ID AND l.position <= 1 + MOD(e.user_id, 6)"
read -r MEMBERS ASSIGNED CELLS <<<"$(sql "SELECT (SELECT COUNT(*) FROM class_members WHERE class_id = $CLASS_ID),
	(SELECT COUNT(*) FROM assignments WHERE class_id = $CLASS_ID),
	(SELECT COUNT(*) FROM lesson_progress p JOIN class_members m ON m.user_id = p.user_id AND m.class_id = $CLASS_ID
	  JOIN assignments a ON a.class_id = $CLASS_ID AND a.course_id = p.course_id)")"
log "class $CLASS_ID ($name, teacher $TEACHER): $MEMBERS members, $ASSIGNED courses, $CELLS progress rows in them"

# The lesson view's learner: a class member enrolled in an assigned course.
read -r LEARNER LESSON_ID <<<"$(sql "SELECT u.username, l.id FROM class_members m JOIN users u ON u.id = m.user_id
	JOIN assignments a ON a.class_id = m.class_id JOIN enrollments e ON e.user_id = m.user_id AND e.course_id = a.course_id
	JOIN lessons l ON l.course_version_id = e.course_version_id AND l.position = 2
	WHERE m.class_id = $CLASS_ID ORDER BY m.user_id LIMIT 1")"

mapfile -t ports < <("$OUT/freeport" 1)
ADDR=127.0.0.1:${ports[0]}
rm -rf "$OUT/grid-data"
XUETANG_DATABASE_URL=$URL XUETANG_ADDR=$ADDR XUETANG_DATA_DIR=$OUT/grid-data XUETANG_LOG_LEVEL=warn \
	"$XUETANG_BIN" serve >"$OUT/grid-xuetang.log" 2>&1 &
APP_PID=$!
for _ in $(seq 1 600); do
	curl -fs -o /dev/null --max-time 1 "http://$ADDR/readyz" && break
	kill -0 "$APP_PID" 2>/dev/null || die "xuetang exited (bench/out/grid-xuetang.log)"
	sleep 0.2
done
curl -fs -o /dev/null "http://$ADDR/readyz" || die "xuetang did not become ready"

# sign_in USER: prints "COOKIE<TAB>CSRF" for bench/load -sessions.
sign_in() {
	local jar=$OUT/grid-$1.cookies pre body csrf session
	rm -f "$jar"
	pre=$(curl -fsS -c "$jar" -b "$jar" "http://$ADDR/api/v1/auth/csrf" | jq -r .csrf_token)
	body=$(jq -nc --arg u "$1" --rawfile p "$PASSWORD_FILE" '{username: $u, password: ($p | rtrimstr("\n"))}')
	csrf=$(curl -fsS -c "$jar" -b "$jar" -H 'Content-Type: application/json' -H "X-CSRF-Token: $pre" \
		--data "$body" "http://$ADDR/api/v1/auth/login" | jq -r .csrf_token)
	session=$(awk -F'\t' '$6 == "xuetang_session" { v = $7 } END { print v }' "$jar")
	[[ -n $session ]] || die "sign-in of $1 failed"
	printf 'xuetang_session=%s; xuetang_csrf=%s\t%s\n' "$session" "$csrf" "$csrf"
}
ADMIN=bench_scale_admin
if [[ $(sql "SELECT COUNT(*) FROM users WHERE username = '$ADMIN'") == 0 ]]; then
	XUETANG_DATABASE_URL=$URL XUETANG_DATA_DIR=$OUT/grid-data "$XUETANG_BIN" user create --username "$ADMIN" \
		--role admin --display-name 压测管理员 <"$PASSWORD_FILE" >>"$OUT/grid-xuetang.log" 2>&1 ||
		die "could not create $ADMIN (bench/out/grid-xuetang.log)"
fi
sign_in "$ADMIN" >"$OUT/grid-admin.tsv"
sign_in "$TEACHER" >"$OUT/grid-teacher.tsv"
sign_in "$LEARNER" >"$OUT/grid-learner.tsv"
chmod 600 "$OUT"/grid-*.tsv "$OUT"/grid-*.cookies

GRID=http://$ADDR/api/v1/teach/classes/$CLASS_ID/progress
LESSON=http://$ADDR/api/v1/lessons/$LESSON_ID
# What the grid answers: every member, every assigned course.
curl -fsS -b "$OUT/grid-$TEACHER.cookies" "$GRID" >"$OUT/grid-answer.json" || die "GET $GRID failed"
jq -e --argjson m "$MEMBERS" '.learners | length == $m' "$OUT/grid-answer.json" >/dev/null ||
	log "warning: the grid's answer does not list $MEMBERS learners (bench/out/grid-answer.json)"
curl -fsS -o /dev/null -b "$OUT/grid-$LEARNER.cookies" "$LESSON" || die "GET $LESSON failed"
STATS=http://$ADDR/api/v1/admin/stats
PROVINCE=$(curl -fsS -b "$OUT/grid-$ADMIN.cookies" "$STATS/regions" | jq -r '[.rows[] | select(.type == "region") | .code][0] // empty')
[[ -n $PROVINCE ]] || die "GET $STATS/regions named no region"
DASH=(-url "$STATS/summary" -url "$STATS/regions" -url "$STATS/regions?region=$PROVINCE" -url "$STATS/trend?period=month"
	-url "$STATS/breakdown?by=kind" -url "$STATS/breakdown?by=course" -url "$STATS/breakdown?by=age_band")
for u in "${DASH[@]}"; do
	[[ $u == -url ]] && continue
	curl -fsS -o /dev/null -b "$OUT/grid-$ADMIN.cookies" "$u" || die "GET $u failed"
done

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(loadavg)
for ((r = 1; r <= ROUNDS; r++)); do
	"$OUT/load" -url "$LESSON" -c "$CONNECTIONS" -d "$DURATION" -warmup "$WARMUP" -sessions "$OUT/grid-learner.tsv" \
		-header 'Accept-Encoding: gzip' -name lesson >"$OUT/grid.lesson.$r.json"
	"$OUT/load" -url "$GRID" -c "$CONNECTIONS" -d "$DURATION" -warmup "$WARMUP" -sessions "$OUT/grid-teacher.tsv" \
		-header 'Accept-Encoding: gzip' -name grid >"$OUT/grid.grid.$r.json"
	"$OUT/load" "${DASH[@]}" -c "$CONNECTIONS" -d "$DURATION" -warmup "$WARMUP" -sessions "$OUT/grid-admin.tsv" \
		-header 'Accept-Encoding: gzip' -name dashboard >"$OUT/grid.dashboard.$r.json"
done
LOAD_END=$(loadavg)

jq -n --arg db "$DB_NAME" --argjson learners "$N_LEARNERS" --argjson progress "$N_PROGRESS" --argjson inst "$N_INST" \
	--argjson members "$MEMBERS" --argjson courses "$ASSIGNED" --argjson cells "$CELLS" --arg c "$CONNECTIONS" \
	--arg d "$DURATION" --arg ls "$LOAD_START" --arg le "$LOAD_END" \
	--slurpfile l <(jq -s . "$OUT"/grid.lesson.*.json) --slurpfile g <(jq -s . "$OUT"/grid.grid.*.json) \
	--slurpfile s <(jq -s . "$OUT"/grid.dashboard.*.json) '
	def med(f): [.[] | f] | sort | .[(length - 1) / 2 | floor];
	def r3: . * 1000 | round / 1000;
	{scenario: "grid", database: {name: $db, learners: $learners, lesson_progress_rows: $progress, institutions: $inst},
	 class: {members: $members, assigned_courses: $courses, progress_rows: $cells},
	 connections: ($c | tonumber), duration: $d, load_average: {start: $ls, end: $le},
	 rounds: [range(0; $l[0] | length) as $i | {
	   lesson_p95_ms: $l[0][$i].latency_ms.p95, grid_p95_ms: $g[0][$i].latency_ms.p95,
	   dashboard_p95_ms: $s[0][$i].latency_ms.p95,
	   lesson_rps: $l[0][$i].rps, grid_rps: $g[0][$i].rps, dashboard_rps: $s[0][$i].rps,
	   errors: ($l[0][$i].errors + $g[0][$i].errors + $s[0][$i].errors),
	   ratio: ($g[0][$i].latency_ms.p95 / $l[0][$i].latency_ms.p95 | r3),
	   dashboard_ratio: ($s[0][$i].latency_ms.p95 / $l[0][$i].latency_ms.p95 | r3)}],
	 grid_body_bytes: ($g[0][0].body_bytes_mean)}
	| .median = {lesson_p95_ms: (.rounds | med(.lesson_p95_ms)), grid_p95_ms: (.rounds | med(.grid_p95_ms)),
	             ratio: (.rounds | med(.ratio)), lesson_rps: (.rounds | med(.lesson_rps)), grid_rps: (.rounds | med(.grid_rps)),
	             dashboard_p95_ms: (.rounds | med(.dashboard_p95_ms)), dashboard_ratio: (.rounds | med(.dashboard_ratio)),
	             dashboard_rps: (.rounds | med(.dashboard_rps))}
	| .aim_met = (.median.ratio <= 2) | .dashboard_aim_met = (.median.dashboard_ratio <= 2)' >"$OUT/scale.json"
jq -r '"grid: \(.database.learners) learners, \(.database.lesson_progress_rows) lesson progress rows, \(.database.institutions) institutions; class of \(.class.members), \(.class.assigned_courses) courses; \(.connections) connections; load \(.load_average.start) -> \(.load_average.end)",
	(.rounds[] | "  round: lesson p95 \(.lesson_p95_ms) ms (\(.lesson_rps) req/s), grid p95 \(.grid_p95_ms) ms (\(.grid_rps) req/s, ratio \(.ratio)), dashboard p95 \(.dashboard_p95_ms) ms (\(.dashboard_rps) req/s, ratio \(.dashboard_ratio)), errors \(.errors)"),
	"  median: grid p95 / lesson p95 = \(.median.ratio) (aim <= 2: \(if .aim_met then "met" else "MISSED" end)); dashboard p95 / lesson p95 = \(.median.dashboard_ratio) (aim <= 2: \(if .dashboard_aim_met then "met" else "MISSED" end))"' "$OUT/scale.json"
echo "  written: bench/out/scale.json"
