#!/usr/bin/env bash
# Benchmarks of Xuetang on local MariaDB + Redis, each against a bare Echo
# baseline measured in the same run. Not a test: nothing fails on slowness.
#
#   bench/run.sh [scenario ...]        default: me
#
#   me        signed-in GET /api/v1/me against bare Echo, and bare Echo + Redis GET
#   lesson    signed-in GET /api/v1/lessons/{id} (gzip accepted, every lesson of
#             an enrolled course in turn) against bare Echo + Redis GET
#   progress  signed-in POST /api/v1/progress against a naive one-row GORM
#             upsert per request, checking that every acknowledged event is stored
#
# Scenarios are functions named scenario_NAME below; add one and it can be
# named on the command line. Everything is on loopback. Results land in
# bench/out/ (NAME.json per scenario, raw load outputs, server logs).
#
# Tunables (environment): BENCH_CONNECTIONS (64), BENCH_DURATION (15s),
# BENCH_WARMUP (3s), BENCH_ROUNDS (1: with more, the targets take turns and
# each reports its median round, which evens out other work on the machine),
# BENCH_DB (xt_bench: dropped and recreated every run, so it must start with xt_bench),
# BENCH_COURSE (internet-safety: the shipped course the learner enrols in),
# BENCH_XUETANG (a xuetang binary to measure instead of building one from this
# tree, e.g. a temporary profiling build kept outside the repository),
# BENCH_SETTLE (0: seconds to wait at most, before starting, for the 1-minute
# load average to fall below half the CPUs; other work skews every figure).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
CONNECTIONS=${BENCH_CONNECTIONS:-64}
DURATION=${BENCH_DURATION:-15s}
WARMUP=${BENCH_WARMUP:-3s}
ROUNDS=${BENCH_ROUNDS:-1}
DB_NAME=${BENCH_DB:-xt_bench}
COURSE=${BENCH_COURSE:-internet-safety}
XUETANG_BIN=${BENCH_XUETANG:-}
SETTLE=${BENCH_SETTLE:-0}
SOURCE_SHA256="" # of the sources the measured binary was built from

APP_ADDR=127.0.0.1:18181
BASELINE_ADDR=127.0.0.1:18182
REDIS_SESSION_ADDR=127.0.0.1:18183
NAIVE_ADDR=127.0.0.1:18184
REDIS_URL=redis://127.0.0.1:6379/0
MYSQL=(mysql -uroot -h127.0.0.1 --protocol=tcp)

BENCH_USER=bench_learner
JAR=$OUT/cookies.txt
SESSION="" # xuetang_session cookie of the signed-in learner
CSRF=""    # its CSRF token (cookie xuetang_csrf, header X-CSRF-Token)
USER_ID="" # the learner's id
LESSON_IDS=() # lessons of $COURSE, in order, once enrolled

LOADAVG_AT_START=""
APP_PID=""
LAST_PID=""
declare -A BASELINE_PIDS=() # mode -> pid, so scenarios share a baseline server
STARTED_PIDS=()
STARTED_MARIADB=0
STARTED_REDIS=0

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# ---------------------------------------------------------------- clean-up

cleanup() {
	local rc=$?
	set +e
	if [[ -n $SESSION ]]; then # remove the session from Redis
		curl -s -o /dev/null --max-time 5 -b "$JAR" -X POST -H "X-CSRF-Token: $CSRF" \
			"http://$APP_ADDR/api/v1/auth/logout"
	fi
	local i
	for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
		kill "${STARTED_PIDS[i]}" 2>/dev/null
		wait "${STARTED_PIDS[i]}" 2>/dev/null
	done
	if ((STARTED_REDIS)) && [[ -s $OUT/redis.pid ]]; then
		log "stopping the Redis this run started"
		kill "$(cat "$OUT/redis.pid")" 2>/dev/null
	fi
	if ((STARTED_MARIADB)); then
		log "stopping the MariaDB this run started"
		start-stop-daemon --stop --quiet --oknodo --retry 30 --pidfile "$OUT/mariadbd.pid" --remove-pidfile
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- setup

ensure_services() {
	if ! mysqladmin -uroot -h127.0.0.1 --protocol=tcp ping >/dev/null 2>&1; then
		log "starting MariaDB"
		start-stop-daemon --start --oknodo --background --make-pidfile --pidfile "$OUT/mariadbd.pid" \
			--exec /usr/sbin/mariadbd
		STARTED_MARIADB=1
		local i
		for ((i = 0; i < 60; i++)); do
			mysqladmin -uroot -h127.0.0.1 --protocol=tcp ping >/dev/null 2>&1 && break
			sleep 1
		done
		mysqladmin -uroot -h127.0.0.1 --protocol=tcp ping >/dev/null 2>&1 || die "MariaDB did not come up"
	fi
	if [[ $(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) != PONG ]]; then
		log "starting Redis"
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/ci.log --pidfile "$OUT/redis.pid"
		STARTED_REDIS=1
		local i
		for ((i = 0; i < 30; i++)); do
			[[ $(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) == PONG ]] && break
			sleep 0.2
		done
		[[ $(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) == PONG ]] || die "Redis did not come up"
	fi
}

build() {
	if [[ -n $XUETANG_BIN ]]; then
		[[ -x $XUETANG_BIN ]] || die "BENCH_XUETANG=$XUETANG_BIN is not an executable"
		log "using $XUETANG_BIN instead of building xuetang"
		log "building load and baseline into bench/out/"
	else
		log "building xuetang, load and baseline into bench/out/"
		# Others may be changing the code while this runs: record what was built.
		SOURCE_SHA256=$(find cmd internal courses frontend go.mod go.sum -type f ! -name '*_test.go' -print0 |
			sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
		go build -trimpath -ldflags "-s -w -X main.Version=bench" -o "$OUT/xuetang" ./cmd/xuetang
		XUETANG_BIN=$OUT/xuetang
	fi
	go build -trimpath -o "$OUT/load" ./bench/load
	go build -trimpath -o "$OUT/baseline" ./bench/baseline
}

fresh_database() {
	log "recreating database $DB_NAME"
	"${MYSQL[@]}" -e "DROP DATABASE IF EXISTS $DB_NAME; CREATE DATABASE $DB_NAME CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
}

# The benchmark configuration of every xuetang command.
APP_ENV=(XUETANG_DATABASE_URL="mysql://root@127.0.0.1:3306/$DB_NAME" XUETANG_REDIS_URL="$REDIS_URL"
	XUETANG_ADDR="$APP_ADDR" XUETANG_DATA_DIR="$OUT/data")

port_free() {
	! curl -s -o /dev/null --max-time 1 "http://$1/"
}

# wait_ready URL PID: poll until URL answers 200, or fail if PID dies.
wait_ready() {
	local i
	for ((i = 0; i < 600; i++)); do
		curl -fs -o /dev/null --max-time 1 "$1" && return 0
		kill -0 "$2" 2>/dev/null || die "process $2 exited before $1 answered (see bench/out/*.log)"
		sleep 0.2
	done
	die "$1 did not answer within 120 s"
}

create_learner() {
	local password
	password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
	printf '%s\n' "$password" >"$OUT/password"
	chmod 600 "$OUT/password"
	log "creating learner $BENCH_USER"
	env "${APP_ENV[@]}" "$XUETANG_BIN" user create --username "$BENCH_USER" --role learner --display-name 压测学员 \
		<"$OUT/password" >>"$OUT/xuetang.log" 2>&1 || die "user create failed (see bench/out/xuetang.log)"
}

start_app() {
	port_free "$APP_ADDR" || die "$APP_ADDR is already in use"
	log "starting xuetang on $APP_ADDR (MariaDB $DB_NAME, Redis)"
	# Started directly (not through a shell function) so $! is the server
	# itself and the clean-up's kill reaches it.
	env "${APP_ENV[@]}" "$XUETANG_BIN" serve >>"$OUT/xuetang.log" 2>&1 &
	APP_PID=$!
	STARTED_PIDS+=("$APP_PID")
	wait_ready "http://$APP_ADDR/readyz" "$APP_PID"
}

# start_baseline MODE ADDR [flags...]: a bare Echo server (see bench/baseline); sets LAST_PID.
start_baseline() {
	local mode=$1 addr=$2
	shift 2
	port_free "$addr" || die "$addr is already in use"
	"$OUT/baseline" -mode "$mode" -addr "$addr" -redis "$REDIS_URL" "$@" >"$OUT/baseline-$mode.log" 2>&1 &
	LAST_PID=$!
	STARTED_PIDS+=("$LAST_PID")
	wait_ready "http://$addr/healthz" "$LAST_PID"
}

# ensure_baseline MODE ADDR [flags...]: start_baseline once per mode; sets LAST_PID.
ensure_baseline() {
	if [[ -n ${BASELINE_PIDS[$1]:-} ]]; then
		LAST_PID=${BASELINE_PIDS[$1]}
		return 0
	fi
	start_baseline "$@"
	BASELINE_PIDS[$1]=$LAST_PID
}

mariadb_pid() { cat "$("${MYSQL[@]}" -N -e 'SELECT @@pid_file')"; }
redis_pid() { redis-cli -h 127.0.0.1 info server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }'; }

# sign_in: CSRF cookie first, then the login with the header; sets SESSION and CSRF.
sign_in() {
	local pre body
	rm -f "$JAR"
	pre=$(curl -fsS -c "$JAR" -b "$JAR" "http://$APP_ADDR/api/v1/auth/csrf" | jq -r .csrf_token)
	body=$(jq -nc --arg u "$BENCH_USER" --rawfile p "$OUT/password" '{username: $u, password: ($p | rtrimstr("\n"))}')
	CSRF=$(curl -fsS -c "$JAR" -b "$JAR" -H 'Content-Type: application/json' -H "X-CSRF-Token: $pre" \
		--data "$body" "http://$APP_ADDR/api/v1/auth/login" | jq -r .csrf_token)
	SESSION=$(awk -F'\t' '$6 == "xuetang_session" { v = $7 } END { print v }' "$JAR")
	[[ -n $SESSION && -n $CSRF && $CSRF != null ]] || die "sign-in did not return a session"
	local who
	who=$(curl -fsS -b "$JAR" "http://$APP_ADDR/api/v1/me")
	[[ $(jq -r .username <<<"$who") == "$BENCH_USER" ]] || die "GET /api/v1/me after sign-in answered $who"
	USER_ID=$(jq -r .id <<<"$who")
	[[ $USER_ID =~ ^[0-9]+$ ]] || die "GET /api/v1/me returned no numeric id"
	log "signed in as $BENCH_USER (user $USER_ID)"
}

# enroll: enrol the learner in $COURSE (as the lesson page would, with the
# CSRF header) and read its lesson ids into LESSON_IDS. Idempotent.
enroll() {
	((${#LESSON_IDS[@]} == 0)) || return 0
	local code
	code=$(curl -sS -o "$OUT/enroll.json" -w '%{http_code}' -b "$JAR" -X POST -H "X-CSRF-Token: $CSRF" \
		"http://$APP_ADDR/api/v1/courses/$COURSE/enroll")
	[[ $code == 200 || $code == 201 ]] || die "enrolling in $COURSE answered HTTP $code: $(cat "$OUT/enroll.json")"
	mapfile -t LESSON_IDS < <(curl -fsS -b "$JAR" "http://$APP_ADDR/api/v1/courses/$COURSE" | jq -r '.lessons[].id')
	((${#LESSON_IDS[@]} > 0)) || die "course $COURSE has no lessons"
	log "enrolled in $COURSE (HTTP $code): lessons ${LESSON_IDS[*]}"
}

# sql QUERY: one value from the benchmark database.
sql() { "${MYSQL[@]}" -N -B "$DB_NAME" -e "$1"; }

# ---------------------------------------------------------------- measuring

# cpu_ticks PID: user + system CPU time the process has used, in clock ticks.
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# load OUTFILE URL "LABEL:PID ..." [load flags...]: a warm-up, then one
# measured run with the common settings and the learner's cookies. Extra flags
# (-method, -body, -header, -name, further -url to take in turn) pass through;
# the warm-up's counts are kept in OUTFILE as "warmup". The CPU time the listed
# server-side processes and the load generator spend during the measured run
# is added to the output: unlike req/s, CPU per request hardly moves when
# other work shares the machine.
load() {
	local out=$1 url=$2 procs=$3
	shift 3
	local common=(-url "$url" -c "$CONNECTIONS" -cookie "xuetang_session=$SESSION; xuetang_csrf=$CSRF")
	log "load $url -> ${out#"$ROOT"/}"
	local warm='{"ok": 0, "errors": 0, "status": {}}'
	if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
		warm=$("$OUT/load" "${common[@]}" -d "$WARMUP" "$@" 2>"$out.err") ||
			die "warm-up of $url failed: $(cat "$out.err")"
	fi

	local p before=() i=0 hz client
	hz=$(getconf CLK_TCK)
	for p in $procs; do before+=("$(cpu_ticks "${p#*:}")"); done
	local TIMEFORMAT='%U %S'
	client=$({ time "$OUT/load" "${common[@]}" -d "$DURATION" "$@" >"$out.raw" 2>"$out.err"; } 2>&1) ||
		die "load on $url failed: $(cat "$out.err")"
	local server="{}" after
	for p in $procs; do
		after=$(cpu_ticks "${p#*:}")
		server=$(jq -c --arg k "${p%%:*}" --argjson v "$((after - before[i]))" --argjson hz "$hz" \
			'. + {($k): ($v / $hz)}' <<<"$server")
		i=$((i + 1))
	done
	# The warm-up's counts are kept: its requests change state too.
	jq --argjson server "$server" --argjson client "$(awk '{ print $1 + $2 }' <<<"$client")" \
		--argjson warm "$warm" \
		'. + {warmup: ($warm | {ok, errors, status}), cpu_s: {server: $server, load_generator: $client},
		      server_cpu_us_per_request: (if .ok > 0 then ([$server[]] | add) / .ok * 1e6 | round else null end)}' \
		"$out.raw" >"$out"
	rm -f "$out.raw" "$out.err"
	local errors
	errors=$(jq .errors "$out")
	((errors == 0)) || log "warning: $errors failed requests in ${out#"$ROOT"/}: $(jq -r .first_error "$out")"
}

# median_round PREFIX: PREFIX.json becomes the round with the median req/s
# of PREFIX.1.json ... PREFIX.N.json, listing every round's req/s beside it.
median_round() {
	local files=() r
	for ((r = 1; r <= ROUNDS; r++)); do files+=("$1.$r.json"); done
	jq -s 'sort_by(.rps) as $s | $s[(length - 1) / 2 | floor] + {rounds_rps: map(.rps)}' "${files[@]}" >"$1.json"
}

machine_json() {
	jq -n --arg cpus "$(nproc)" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
		--arg kernel "$(uname -r)" --arg go "$(go env GOVERSION)" \
		--arg mariadb "$("${MYSQL[@]}" -N -e 'SELECT VERSION()')" \
		--arg redis "$(redis-cli -h 127.0.0.1 info server | tr -d '\r' | awk -F: '$1 == "redis_version" { print $2 }')" \
		--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg loadavg "$LOADAVG_AT_START" \
		--arg mem "$(awk '$1 == "MemTotal:" { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)" \
		--arg bin "${XUETANG_BIN#"$ROOT"/}" --arg binsha "$(sha256sum "$XUETANG_BIN" | cut -d' ' -f1)" \
		--arg src "$SOURCE_SHA256" \
		'{date: $date, cpus: ($cpus | tonumber), cpu: $cpu, memory: $mem, kernel: $kernel, go: $go, mariadb: $mariadb,
		  redis: $redis, loadavg_at_start: $loadavg,
		  xuetang: {binary: $bin, binary_sha256: $binsha, source_sha256: (if $src == "" then null else $src end)}}'
}

# print_row LABEL FILE
print_row() {
	jq -r --arg l "$1" '[$l, .rps, .latency_ms.p50, .latency_ms.p90, .latency_ms.p99, .errors,
		.server_cpu_us_per_request] | @tsv' "$2" |
		awk -F'\t' '{ printf "  %-26s %9.0f %8.2f %8.2f %8.2f %7d %12d\n", $1, $2, $3, $4, $5, $6, $7 }'
}

print_header() {
	printf '  %-26s %9s %8s %8s %8s %7s %12s\n' "" "req/s" "p50 ms" "p90 ms" "p99 ms" "errors" "CPU us/req"
}

# ---------------------------------------------------------------- scenarios

# me: signed-in GET /api/v1/me (session from Redis; the user from a short-lived
# in-process cache in front of MariaDB) against a bare Echo handler, and
# against a bare handler that does one Redis GET.
scenario_me() {
	local mariadb redis base_static base_redis
	mariadb=$(mariadb_pid)
	redis=$(redis_pid)
	ensure_baseline static "$BASELINE_ADDR"
	base_static=$LAST_PID
	ensure_baseline redis-session "$REDIS_SESSION_ADDR"
	base_redis=$LAST_PID

	rm -f "$OUT"/me.*.json
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		load "$OUT/me.baseline.$r.json" "http://$BASELINE_ADDR/api/v1/me" "baseline:$base_static" \
			-name "bare Echo handler"
		load "$OUT/me.redis-session.$r.json" "http://$REDIS_SESSION_ADDR/api/v1/me" "baseline:$base_redis redis:$redis" \
			-name "bare Echo + Redis GET"
		load "$OUT/me.xuetang.$r.json" "http://$APP_ADDR/api/v1/me" "xuetang:$APP_PID mariadb:$mariadb redis:$redis" \
			-name "xuetang GET /api/v1/me"
	done
	median_round "$OUT/me.baseline"
	median_round "$OUT/me.redis-session"
	median_round "$OUT/me.xuetang"

	jq -n --argjson machine "$(machine_json)" \
		--slurpfile b "$OUT/me.baseline.json" --slurpfile r "$OUT/me.redis-session.json" --slurpfile x "$OUT/me.xuetang.json" \
		--arg c "$CONNECTIONS" --arg d "$DURATION" --arg w "$WARMUP" --arg n "$ROUNDS" \
		'def r3: . * 1000 | round / 1000;
		 {scenario: "me", connections: ($c | tonumber), duration: $d, warmup: $w, rounds: ($n | tonumber),
		  machine: $machine,
		  runs: {baseline: $b[0], redis_session: $r[0], xuetang: $x[0]},
		  ratio: {
		    rps_xuetang_over_baseline: ($x[0].rps / $b[0].rps | r3),
		    rps_xuetang_over_redis_session: ($x[0].rps / $r[0].rps | r3),
		    cpu_per_request_xuetang_over_baseline: ($x[0].server_cpu_us_per_request / $b[0].server_cpu_us_per_request | r3),
		    p99_ms_xuetang: $x[0].latency_ms.p99,
		    p99_ms_baseline: $b[0].latency_ms.p99,
		    p99_ms_redis_session: $r[0].latency_ms.p99}}' >"$OUT/me.json"

	echo
	echo "scenario me: $CONNECTIONS connections, $DURATION per run after a $WARMUP warm-up, median of $ROUNDS" \
		"round(s), $(nproc) CPUs, load average $LOADAVG_AT_START at start"
	print_header
	print_row "bare Echo handler" "$OUT/me.baseline.json"
	print_row "bare Echo + Redis GET" "$OUT/me.redis-session.json"
	print_row "xuetang GET /api/v1/me" "$OUT/me.xuetang.json"
	jq -r '.ratio |
		"  xuetang / bare Echo: \(.rps_xuetang_over_baseline) of the req/s, \(.cpu_per_request_xuetang_over_baseline)x the server CPU per request;",
		"  p99 \(.p99_ms_xuetang) ms vs \(.p99_ms_baseline) ms. xuetang / Echo + Redis GET: \(.rps_xuetang_over_redis_session) of the req/s."' \
		"$OUT/me.json"
	echo "  written: bench/out/me.json"
}

# lesson: signed-in GET /api/v1/lessons/{id} as a browser asks for it
# (Accept-Encoding: gzip; the body is counted as received, compressed),
# taking every lesson of the enrolled course in turn, against the bare Echo
# handler that only reads the Redis session (same paths, same headers).
scenario_lesson() {
	enroll
	local mariadb redis base_redis
	mariadb=$(mariadb_pid)
	redis=$(redis_pid)
	ensure_baseline redis-session "$REDIS_SESSION_ADDR"
	base_redis=$LAST_PID

	# What a learner gets: gzip, their enrolment, the lesson HTML, and no
	# answer keys. One request per lesson; the sizes go into lesson.json.
	local id n=0 sizes="[]" code plain gz enc
	for id in "${LESSON_IDS[@]}"; do
		code=$(curl -sS -D "$OUT/lesson.headers" -o "$OUT/lesson.body" -w '%{http_code}' -b "$JAR" \
			-H 'Accept-Encoding: gzip' "http://$APP_ADDR/api/v1/lessons/$id")
		[[ $code == 200 ]] || die "GET /api/v1/lessons/$id answered HTTP $code"
		enc=$(tr -d '\r' <"$OUT/lesson.headers" | awk -F': ' 'tolower($1) == "content-encoding" { print $2 }')
		gz=$(stat -c %s "$OUT/lesson.body")
		if [[ $enc == gzip ]]; then
			gzip -dc <"$OUT/lesson.body" >"$OUT/lesson.json.tmp" || die "lesson $id: bad gzip body"
		else
			cp "$OUT/lesson.body" "$OUT/lesson.json.tmp"
		fi
		plain=$(stat -c %s "$OUT/lesson.json.tmp")
		jq -e '.course.enrolled == true and (.html | length > 0) and
			([.questions[] | has("answer") or has("explanation")] | any | not)' "$OUT/lesson.json.tmp" >/dev/null ||
			die "lesson $id: not enrolled, no HTML, or an answer key in the response"
		sizes=$(jq -c --argjson id "$id" --argjson p "$plain" --argjson g "$gz" --arg e "${enc:-identity}" \
			'. + [{id: $id, json_bytes: $p, sent_bytes: $g, encoding: $e}]' <<<"$sizes")
		n=$((n + 1))
	done
	rm -f "$OUT/lesson.headers" "$OUT/lesson.body" "$OUT/lesson.json.tmp"
	log "checked $n lessons: enrolled, HTML present, no answer keys"

	local app_urls=() base_urls=() i
	for ((i = 1; i < ${#LESSON_IDS[@]}; i++)); do
		app_urls+=(-url "http://$APP_ADDR/api/v1/lessons/${LESSON_IDS[i]}")
		base_urls+=(-url "http://$REDIS_SESSION_ADDR/api/v1/lessons/${LESSON_IDS[i]}")
	done
	local first=${LESSON_IDS[0]}

	rm -f "$OUT"/lesson.*.json
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		load "$OUT/lesson.redis-session.$r.json" "http://$REDIS_SESSION_ADDR/api/v1/lessons/$first" \
			"baseline:$base_redis redis:$redis" "${base_urls[@]}" -header 'Accept-Encoding: gzip' \
			-name "bare Echo + Redis GET"
		load "$OUT/lesson.xuetang.$r.json" "http://$APP_ADDR/api/v1/lessons/$first" \
			"xuetang:$APP_PID mariadb:$mariadb redis:$redis" "${app_urls[@]}" -header 'Accept-Encoding: gzip' \
			-name "xuetang GET /api/v1/lessons/{id}"
	done
	median_round "$OUT/lesson.redis-session"
	median_round "$OUT/lesson.xuetang"

	jq -n --argjson machine "$(machine_json)" --argjson sizes "$sizes" --arg course "$COURSE" \
		--slurpfile r "$OUT/lesson.redis-session.json" --slurpfile x "$OUT/lesson.xuetang.json" \
		--arg c "$CONNECTIONS" --arg d "$DURATION" --arg w "$WARMUP" --arg n "$ROUNDS" \
		'def r3: . * 1000 | round / 1000;
		 {scenario: "lesson", course: $course, lessons: $sizes,
		  connections: ($c | tonumber), duration: $d, warmup: $w, rounds: ($n | tonumber),
		  machine: $machine,
		  runs: {redis_session: $r[0], xuetang: $x[0]},
		  ratio: {
		    rps_xuetang_over_redis_session: ($x[0].rps / $r[0].rps | r3),
		    cpu_per_request_xuetang_over_redis_session:
		      ($x[0].server_cpu_us_per_request / $r[0].server_cpu_us_per_request | r3),
		    p99_ms_xuetang: $x[0].latency_ms.p99,
		    p99_ms_redis_session: $r[0].latency_ms.p99},
		  aims: {
		    rps_ratio_at_least_0_5: (($x[0].rps / $r[0].rps) >= 0.5),
		    p99_under_25_ms: ($x[0].latency_ms.p99 < 25)}}' >"$OUT/lesson.json"

	echo
	echo "scenario lesson ($COURSE, ${#LESSON_IDS[@]} lessons in turn, Accept-Encoding: gzip): $CONNECTIONS connections," \
		"$DURATION per run after a $WARMUP warm-up, median of $ROUNDS round(s), $(nproc) CPUs, load average $LOADAVG_AT_START at start"
	print_header
	print_row "bare Echo + Redis GET" "$OUT/lesson.redis-session.json"
	print_row "xuetang GET lesson" "$OUT/lesson.xuetang.json"
	jq -r '"  lesson JSON \([.lessons[].json_bytes] | min)-\([.lessons[].json_bytes] | max) bytes, sent as \([.lessons[].sent_bytes] | min)-\([.lessons[].sent_bytes] | max) (\(.lessons[0].encoding)); under load \(.runs.xuetang.gzipped) of \(.runs.xuetang.ok) answers gzipped, \(.runs.xuetang.body_bytes_mean) bytes on average",
		"  xuetang / Echo + Redis GET: \(.ratio.rps_xuetang_over_redis_session) of the req/s (aim >= 0.5: \(if .aims.rps_ratio_at_least_0_5 then "met" else "MISSED" end)), \(.ratio.cpu_per_request_xuetang_over_redis_session)x the server CPU per request;",
		"  p99 \(.ratio.p99_ms_xuetang) ms vs \(.ratio.p99_ms_redis_session) ms (aim < 25 ms: \(if .aims.p99_under_25_ms then "met" else "MISSED" end))."' \
		"$OUT/lesson.json"
	echo "  written: bench/out/lesson.json"
}

# load_counted OUTFILE COUNT_SQL URL PROCS [load flags...]: load, and record
# in OUTFILE how many rows COUNT_SQL counted before the warm-up and after the
# measured run, beside the number of 200 answers of both: with every request
# answered 200, the rows added must equal the answers.
load_counted() {
	local out=$1 q=$2 before after
	shift 2
	before=$(sql "$q")
	load "$out" "$@"
	after=$(sql "$q")
	jq --argjson b "$before" --argjson a "$after" \
		'((.warmup.status["200"] // 0) + (.status["200"] // 0)) as $acked
		 | (.warmup.errors + .errors) as $failed
		 | . + {check: {rows_before: $b, rows_after: $a, rows_added: ($a - $b), answered_200: $acked,
		                not_200: $failed, equal: (($a - $b) == $acked and $failed == 0)}}' \
		"$out" >"$out.tmp" && mv "$out.tmp" "$out"
	jq -e .check.equal "$out" >/dev/null ||
		log "warning: ${out#"$ROOT"/}: $(jq -c .check "$out")"
}

# progress: signed-in POST /api/v1/progress (a heartbeat with a fresh event
# id each time, the CSRF header, a mid-course lesson) against a naive handler
# that decodes the same body and does one GORM upsert per request into its
# own table of the same database. Every round checks with SQL that each
# system stored exactly as many rows as it answered 200.
scenario_progress() {
	enroll
	local mariadb redis naive lesson body
	mariadb=$(mariadb_pid)
	redis=$(redis_pid)
	lesson=${LESSON_IDS[$((${#LESSON_IDS[@]} / 2))]}
	body="{\"event_id\":\"{{uuid}}\",\"lesson_id\":$lesson,\"type\":\"heartbeat\",\"seconds\":30}"
	ensure_baseline naive-upsert "$NAIVE_ADDR" -user-id "$USER_ID" \
		-dsn "root@tcp(127.0.0.1:3306)/$DB_NAME?charset=utf8mb4&parseTime=True&loc=UTC&interpolateParams=true"
	naive=$LAST_PID

	# One event by hand first: the app must record it, and say so.
	local ev status
	ev=$(jq -nc --arg id "$(cat /proc/sys/kernel/random/uuid)" --argjson l "$lesson" \
		'{event_id: $id, lesson_id: $l, type: "open", seconds: 0}')
	status=$(curl -fsS -b "$JAR" -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" --data "$ev" \
		"http://$APP_ADDR/api/v1/progress" | jq -r .status)
	[[ $status == recorded ]] || die "POST /api/v1/progress answered status $status"
	status=$(curl -fsS -b "$JAR" -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" --data "$ev" \
		"http://$APP_ADDR/api/v1/progress" | jq -r .status)
	[[ $status == duplicate ]] || die "the same event twice answered status $status, not duplicate"

	local flags=(-method POST -body "$body" -header "X-CSRF-Token: $CSRF")
	local app_rows="SELECT COUNT(*) FROM progress_events WHERE user_id = $USER_ID"
	local naive_rows="SELECT COUNT(*) FROM bench_naive_events WHERE user_id = $USER_ID"
	rm -f "$OUT"/progress.*.json
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		load_counted "$OUT/progress.naive-upsert.$r.json" "$naive_rows" "http://$NAIVE_ADDR/api/v1/progress" \
			"baseline:$naive mariadb:$mariadb" "${flags[@]}" -name "naive GORM upsert per request"
		load_counted "$OUT/progress.xuetang.$r.json" "$app_rows" "http://$APP_ADDR/api/v1/progress" \
			"xuetang:$APP_PID mariadb:$mariadb redis:$redis" "${flags[@]}" -name "xuetang POST /api/v1/progress"
	done
	median_round "$OUT/progress.naive-upsert"
	median_round "$OUT/progress.xuetang"

	# Every round's check, and the wall-clock cap on credited time.
	local checks wall t
	checks=$(for t in naive-upsert xuetang; do
		for ((r = 1; r <= ROUNDS; r++)); do
			jq -c --arg t "$t" --argjson r "$r" '{target: $t, round: $r, check}' "$OUT/progress.$t.$r.json"
		done
	done | jq -s -c .)
	wall=$(sql "SELECT JSON_OBJECT(
		'credited_seconds', (SELECT COALESCE(SUM(credited_seconds), 0) FROM progress_events WHERE user_id = $USER_ID),
		'active_seconds', (SELECT COALESCE(SUM(active_seconds), 0) FROM lesson_progress WHERE user_id = $USER_ID),
		'claimed_seconds', (SELECT COALESCE(SUM(seconds), 0) FROM progress_events WHERE user_id = $USER_ID),
		'wall_clock_seconds_since_enrolment',
		  (SELECT TIMESTAMPDIFF(SECOND, MIN(enrolled_at), UTC_TIMESTAMP(3)) FROM enrollments WHERE user_id = $USER_ID),
		'rows_xuetang', (SELECT COUNT(*) FROM progress_events WHERE user_id = $USER_ID),
		'rows_naive', (SELECT COUNT(*) FROM bench_naive_events WHERE user_id = $USER_ID))")

	jq -n --argjson machine "$(machine_json)" --argjson checks "$checks" --argjson wall "$wall" \
		--argjson lesson "$lesson" --arg body "$body" \
		--slurpfile b "$OUT/progress.naive-upsert.json" --slurpfile x "$OUT/progress.xuetang.json" \
		--arg c "$CONNECTIONS" --arg d "$DURATION" --arg w "$WARMUP" --arg n "$ROUNDS" \
		'def r3: . * 1000 | round / 1000;
		 {scenario: "progress", lesson_id: $lesson, body: $body,
		  connections: ($c | tonumber), duration: $d, warmup: $w, rounds: ($n | tonumber),
		  machine: $machine,
		  runs: {naive_upsert: $b[0], xuetang: $x[0]},
		  ratio: {
		    rps_xuetang_over_naive: ($x[0].rps / $b[0].rps | r3),
		    cpu_per_request_xuetang_over_naive:
		      ($x[0].server_cpu_us_per_request / $b[0].server_cpu_us_per_request | r3),
		    p99_ms_xuetang: $x[0].latency_ms.p99,
		    p99_ms_naive: $b[0].latency_ms.p99},
		  checks: {rounds: $checks, every_acknowledged_event_stored: ($checks | all(.check.equal)),
		           time: ($wall + {credited_within_wall_clock:
		             ($wall.credited_seconds <= $wall.wall_clock_seconds_since_enrolment)})},
		  aims: {rps_ratio_at_least_1_5: (($x[0].rps / $b[0].rps) >= 1.5),
		         every_acknowledged_event_stored: ($checks | all(.check.equal))}}' >"$OUT/progress.json"

	echo
	echo "scenario progress (heartbeats to lesson $lesson, a fresh event id each): $CONNECTIONS connections," \
		"$DURATION per run after a $WARMUP warm-up, median of $ROUNDS round(s), $(nproc) CPUs, load average $LOADAVG_AT_START at start"
	print_header
	print_row "naive GORM upsert" "$OUT/progress.naive-upsert.json"
	print_row "xuetang POST progress" "$OUT/progress.xuetang.json"
	jq -r '"  xuetang / naive upsert: \(.ratio.rps_xuetang_over_naive) of the req/s (aim >= 1.5: \(if .aims.rps_ratio_at_least_1_5 then "met" else "MISSED" end)), \(.ratio.cpu_per_request_xuetang_over_naive)x the server CPU per request;",
		"  p99 \(.ratio.p99_ms_xuetang) ms vs \(.ratio.p99_ms_naive) ms.",
		"  rows added = 200 answers (warm-up + measured run), by SQL:",
		(.checks.rounds[] | "    \(.target) round \(.round): \(.check.rows_added) rows, \(.check.answered_200) answered 200, \(.check.not_200) not 200: \(if .check.equal then "equal" else "NOT EQUAL" end)"),
		"  every acknowledged event stored: \(if .checks.every_acknowledged_event_stored then "yes" else "NO" end);",
		"  credited \(.checks.time.credited_seconds) s of \(.checks.time.claimed_seconds) s claimed, \(.checks.time.wall_clock_seconds_since_enrolment) s of wall clock since enrolment"' \
		"$OUT/progress.json"
	echo "  written: bench/out/progress.json"
}

# ---------------------------------------------------------------- main

main() {
	local scenarios=("${@:-me}") s
	for s in "${scenarios[@]}"; do
		declare -F "scenario_$s" >/dev/null || die "unknown scenario $s"
	done
	[[ $ROUNDS =~ ^([1-9]|10)$ ]] || die "BENCH_ROUNDS=$ROUNDS: want 1 to 10"
	# The database is dropped, so it must be recognisably a benchmark one.
	[[ $DB_NAME =~ ^xt_bench[a-z0-9_]*$ ]] || die "BENCH_DB=$DB_NAME: want a name starting with xt_bench"
	for tool in go curl jq gzip mysql mysqladmin redis-cli redis-server start-stop-daemon; do
		command -v "$tool" >/dev/null || die "$tool is not installed"
	done
	[[ $SETTLE =~ ^[0-9]+$ ]] && ((SETTLE <= 3600)) || die "BENCH_SETTLE=$SETTLE: want 0 to 3600 seconds"
	mkdir -p "$OUT"
	: >"$OUT/xuetang.log"
	local waited=0
	while ((waited < SETTLE)) && ! awk -v n="$(nproc)" '{ exit !($1 < n / 2) }' /proc/loadavg; do
		((waited == 0)) && log "waiting up to ${SETTLE}s for the load average ($(cut -d' ' -f1 /proc/loadavg)) to settle"
		sleep 5
		waited=$((waited + 5))
	done
	# Other work on the machine skews every figure: say so, and record it.
	LOADAVG_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
	if awk -v n="$(nproc)" '{ exit !($1 > n / 2) }' /proc/loadavg; then
		log "warning: load average $LOADAVG_AT_START on $(nproc) CPUs before starting; the figures will be noisy"
	fi
	ensure_services
	build
	fresh_database
	create_learner
	start_app
	sign_in
	for s in "${scenarios[@]}"; do
		"scenario_$s"
	done
}

main "$@"
