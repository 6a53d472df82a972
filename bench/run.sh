#!/usr/bin/env bash
# Benchmarks of Xuetang on local MariaDB + Redis, each against a bare Echo
# baseline measured in the same run. Not a test: nothing fails on slowness.
#
#   bench/run.sh [scenario ...]        default: me
#
# Scenarios are functions named scenario_NAME below; add one and it can be
# named on the command line. Everything is on loopback. Results land in
# bench/out/ (NAME.json per scenario, raw load outputs, server logs).
#
# Tunables (environment): BENCH_CONNECTIONS (64), BENCH_DURATION (15s),
# BENCH_WARMUP (3s), BENCH_ROUNDS (1: with more, the targets take turns and
# each reports its median round, which evens out other work on the machine),
# BENCH_DB (xt_bench: dropped and recreated every run, so it must start with xt_bench).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=$ROOT/bench/out
CONNECTIONS=${BENCH_CONNECTIONS:-64}
DURATION=${BENCH_DURATION:-15s}
WARMUP=${BENCH_WARMUP:-3s}
ROUNDS=${BENCH_ROUNDS:-1}
DB_NAME=${BENCH_DB:-xt_bench}

APP_ADDR=127.0.0.1:18181
BASELINE_ADDR=127.0.0.1:18182
REDIS_SESSION_ADDR=127.0.0.1:18183
REDIS_URL=redis://127.0.0.1:6379/0
MYSQL=(mysql -uroot -h127.0.0.1 --protocol=tcp)

BENCH_USER=bench_learner
JAR=$OUT/cookies.txt
SESSION="" # xuetang_session cookie of the signed-in learner
CSRF=""    # its CSRF token (cookie xuetang_csrf, header X-CSRF-Token)

LOADAVG_AT_START=""
APP_PID=""
LAST_PID=""
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
	log "building xuetang, load and baseline into bench/out/"
	go build -trimpath -ldflags "-s -w -X main.Version=bench" -o "$OUT/xuetang" ./cmd/xuetang
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
	env "${APP_ENV[@]}" "$OUT/xuetang" user create --username "$BENCH_USER" --role learner --display-name 压测学员 \
		<"$OUT/password" >>"$OUT/xuetang.log" 2>&1 || die "user create failed (see bench/out/xuetang.log)"
}

start_app() {
	port_free "$APP_ADDR" || die "$APP_ADDR is already in use"
	log "starting xuetang on $APP_ADDR (MariaDB $DB_NAME, Redis)"
	# Started directly (not through a shell function) so $! is the server
	# itself and the clean-up's kill reaches it.
	env "${APP_ENV[@]}" "$OUT/xuetang" serve >>"$OUT/xuetang.log" 2>&1 &
	APP_PID=$!
	STARTED_PIDS+=("$APP_PID")
	wait_ready "http://$APP_ADDR/readyz" "$APP_PID"
}

# start_baseline MODE ADDR: a bare Echo server (see bench/baseline); sets LAST_PID.
start_baseline() {
	port_free "$2" || die "$2 is already in use"
	"$OUT/baseline" -mode "$1" -addr "$2" -redis "$REDIS_URL" >"$OUT/baseline-$1.log" 2>&1 &
	LAST_PID=$!
	STARTED_PIDS+=("$LAST_PID")
	wait_ready "http://$2/healthz" "$LAST_PID"
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
	who=$(curl -fsS -b "$JAR" "http://$APP_ADDR/api/v1/me" | jq -r .username)
	[[ $who == "$BENCH_USER" ]] || die "GET /api/v1/me after sign-in answered $who"
	log "signed in as $BENCH_USER"
}

# ---------------------------------------------------------------- measuring

# cpu_ticks PID: user + system CPU time the process has used, in clock ticks.
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# load OUTFILE URL "LABEL:PID ..." [load flags...]: a warm-up, then one
# measured run with the common settings and the learner's cookies. Extra flags
# (-method, -body, -header, -name) pass through. The CPU time the listed
# server-side processes and the load generator spend during the measured run
# is added to the output: unlike req/s, CPU per request hardly moves when
# other work shares the machine.
load() {
	local out=$1 url=$2 procs=$3
	shift 3
	local common=(-url "$url" -c "$CONNECTIONS" -cookie "xuetang_session=$SESSION; xuetang_csrf=$CSRF")
	log "load $url -> ${out#"$ROOT"/}"
	if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
		"$OUT/load" "${common[@]}" -d "$WARMUP" "$@" >/dev/null 2>"$out.err" ||
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
	jq --argjson server "$server" --argjson client "$(awk '{ print $1 + $2 }' <<<"$client")" \
		'. + {cpu_s: {server: $server, load_generator: $client},
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
		'{date: $date, cpus: ($cpus | tonumber), cpu: $cpu, kernel: $kernel, go: $go, mariadb: $mariadb, redis: $redis,
		  loadavg_at_start: $loadavg}'
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
	start_baseline static "$BASELINE_ADDR"
	base_static=$LAST_PID
	start_baseline redis-session "$REDIS_SESSION_ADDR"
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

# ---------------------------------------------------------------- main

main() {
	local scenarios=("${@:-me}") s
	for s in "${scenarios[@]}"; do
		declare -F "scenario_$s" >/dev/null || die "unknown scenario $s"
	done
	[[ $ROUNDS =~ ^([1-9]|10)$ ]] || die "BENCH_ROUNDS=$ROUNDS: want 1 to 10"
	# The database is dropped, so it must be recognisably a benchmark one.
	[[ $DB_NAME =~ ^xt_bench[a-z0-9_]*$ ]] || die "BENCH_DB=$DB_NAME: want a name starting with xt_bench"
	for tool in go curl jq mysql mysqladmin redis-cli redis-server start-stop-daemon; do
		command -v "$tool" >/dev/null || die "$tool is not installed"
	done
	mkdir -p "$OUT"
	: >"$OUT/xuetang.log"
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
