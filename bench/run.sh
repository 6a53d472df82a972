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
#             upsert per request (bare, and after a Redis session GET),
#             checking that every acknowledged event is stored
#   mix       the capacity plan's figures (docs/OPERATIONS.md): server CPU
#             per request of each request a learner makes (progress
#             heartbeat, lesson view, me, catalogue), weighted by how often
#             a studying learner makes it (BENCH_MIX), the database bytes
#             each one adds, and the session's size in Redis. The one
#             scenario that also runs with BENCH_STORE=sqlite.
#
# The load models a class: BENCH_LEARNERS learners (bench_learner_001 ...)
# are created, signed in and, for lesson and progress, enrolled in the
# course; connection i of every load run (baselines too) carries the cookies
# of learner i mod BENCH_LEARNERS, and on POST that learner's CSRF token
# (bench/load -sessions bench/out/sessions.tsv). The checks made with curl
# (the lesson pre-checks, recorded/duplicate) use the first learner.
# BENCH_LEARNERS=1 is the single-learner bench: every connection one learner.
#
# Scenarios are functions named scenario_NAME below; add one and it can be
# named on the command line. Everything is on loopback. Results land in
# bench/out/ (NAME.json per scenario, raw load outputs, server logs; the
# learners' shared password, cookie jars and sessions file, mode 600/700).
#
# Safe beside other work on a shared host: the servers listen on ports the
# kernel picks free at run time (bench/freeport); the database is one this
# run creates under a fresh name and drops at exit; Redis data goes to a
# database index (1 to 15) that the run finds empty and claims atomically
# (key xt-bench:claim), and at exit it deletes only the keys the app writes
# there (xt:*) and its claim. The app's Redis keys have a fixed xt: prefix,
# hence a database of its own. The machine's MariaDB (root, no password, on
# 127.0.0.1:3306) and Redis (127.0.0.1:6379) must be running: the script
# neither starts nor stops them.
#
# Tunables (environment): BENCH_CONNECTIONS (64),
# BENCH_LEARNERS (64: distinct signed-in learners, 1 to 1024; connection i is
# learner i mod BENCH_LEARNERS, so with more learners than connections the
# extra ones send nothing), BENCH_DURATION (15s),
# BENCH_WARMUP (3s), BENCH_ROUNDS (1: with more, the targets take turns and
# each reports its median round, which evens out other work on the machine),
# BENCH_DB (xt_bench_RANDOM: a database this run creates, so it must not
# exist yet, and drops at exit; the name must start with xt_bench),
# BENCH_KEEP_DB (0: 1 keeps the database at exit, for inspecting it; drop
# it by hand afterwards),
# BENCH_COURSE (internet-safety: the shipped course the learners enrol in),
# BENCH_XUETANG (a xuetang binary to measure instead of building one from this
# tree, e.g. a temporary profiling build kept outside the repository),
# BENCH_SETTLE (0: seconds to wait at most, before starting, for the 1-minute
# load average to fall below half the CPUs; other work skews every figure),
# BENCH_STORE (mariadb: MariaDB + Redis as above; sqlite: the embedded
# database in bench/out/data, emptied first, with sessions in it, no Redis;
# only the mix scenario), BENCH_MIX (requests per studying learner-hour:
# progress:120,lesson:60,me:4,catalogue:2, i.e. a heartbeat every 30 s, a
# page a minute, now and then the home page and the catalogue),
# BENCH_STUDY_HOURS (50: a learner's study hours a year, for the storage
# per learner-year).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
BENCH_TAG=bench
. bench/lib.sh
OUT=$ROOT/bench/out
CONNECTIONS=${BENCH_CONNECTIONS:-64}
LEARNERS=${BENCH_LEARNERS:-64}
DURATION=${BENCH_DURATION:-15s}
WARMUP=${BENCH_WARMUP:-3s}
ROUNDS=${BENCH_ROUNDS:-1}
DB_NAME=${BENCH_DB:-xt_bench_$(random_hex 6)}
KEEP_DB=${BENCH_KEEP_DB:-0}
COURSE=${BENCH_COURSE:-internet-safety}
XUETANG_BIN=${BENCH_XUETANG:-}
SETTLE=${BENCH_SETTLE:-0}
STORE=${BENCH_STORE:-mariadb}
MIX=${BENCH_MIX:-progress:120,lesson:60,me:4,catalogue:2}
STUDY_HOURS=${BENCH_STUDY_HOURS:-50}
SOURCE_SHA256="" # of the sources the measured binary was built from

# Chosen at run time (choose_ports, claim_redis_db).
APP_ADDR=""
BASELINE_ADDR=""
REDIS_SESSION_ADDR=""
NAIVE_ADDR=""
NAIVE_SESSION_ADDR=""
REDIS_DB=""
REDIS_URL=""
APP_ENV=() # the benchmark configuration of every xuetang command
REDIS=(redis-cli -h 127.0.0.1 -p 6379)
RUN_ID=$(random_hex 12) # this run's mark on what it claims

# The learners, index 0 to LEARNERS-1: index k is bench_learner_NNN, NNN = k+1
# zero-padded to three digits.
# All share one random password, $OUT/password (mode 600): they are
# throwaway accounts in a database this script drops.
LEARNER_NAMES=()    # usernames
LEARNER_JARS=()     # curl cookie jar of each, under $LEARNER_DIR
LEARNER_SESSIONS=() # xuetang_session cookie of each, once signed in
LEARNER_CSRFS=()    # its CSRF token (cookie xuetang_csrf, header X-CSRF-Token)
LEARNER_IDS=()      # user ids
LEARNER_DIR=$OUT/learners
SESSIONS_FILE=$OUT/sessions.tsv # "COOKIE<TAB>CSRF" per learner, for bench/load -sessions
CREATE_JOBS=4                   # xuetang user create processes at once
ENROLLED=0

# The first learner, for the checks made with curl (set by sign_in).
BENCH_USER=""
JAR=""
CSRF=""    # the first learner's CSRF token
USER_ID="" # its id
LESSON_IDS=() # lessons of $COURSE, in order, once enrolled

LOADAVG_AT_START=""
APP_PID=""
LAST_PID=""
declare -A BASELINE_PIDS=() # mode -> pid, so scenarios share a baseline server
STARTED_PIDS=()

# ---------------------------------------------------------------- clean-up

cleanup() {
	local rc=$?
	set +e
	# Sign every learner out (removes the sessions from Redis): at most one
	# try each and 30 s in all, giving up once the app is unreachable.
	local i deadline=$((SECONDS + 30)) curl_rc
	for ((i = 0; i < ${#LEARNER_SESSIONS[@]}; i++)); do
		[[ -n ${LEARNER_SESSIONS[i]} ]] || continue
		((SECONDS < deadline)) || break
		curl -s -o /dev/null --max-time 5 -b "${LEARNER_JARS[i]}" -X POST -H "X-CSRF-Token: ${LEARNER_CSRFS[i]}" \
			"http://$APP_ADDR/api/v1/auth/logout"
		curl_rc=$?
		((curl_rc == 7 || curl_rc == 28)) && break # connection refused or timed out
	done
	for ((i = ${#STARTED_PIDS[@]} - 1; i >= 0; i--)); do
		kill "${STARTED_PIDS[i]}" 2>/dev/null
		wait "${STARTED_PIDS[i]}" 2>/dev/null
	done
	release_redis_db
	drop_database "$KEEP_DB" BENCH_KEEP_DB
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- setup

# check_services: the machine's MariaDB and Redis must be up already; this
# script is one user among others and does not manage them.
check_services() {
	need_mariadb
	[[ $("${REDIS[@]}" ping 2>/dev/null) == PONG ]] ||
		die "Redis does not answer on 127.0.0.1:6379: start it first (this script does not)"
}

# choose_ports: five free loopback ports, one per server.
choose_ports() {
	local ports
	mapfile -t ports < <("$OUT/freeport" 5)
	((${#ports[@]} == 5)) || die "bench/freeport did not print 5 free ports"
	APP_ADDR=127.0.0.1:${ports[0]}
	BASELINE_ADDR=127.0.0.1:${ports[1]}
	REDIS_SESSION_ADDR=127.0.0.1:${ports[2]}
	NAIVE_ADDR=127.0.0.1:${ports[3]}
	NAIVE_SESSION_ADDR=127.0.0.1:${ports[4]}
}

# claim_redis_db: the first Redis database from 1 up that is empty, claimed
# in one script run by Redis itself (so two runs cannot both take it) by
# setting xt-bench:claim to this run's id. Database 0, the one applications
# use unless told otherwise, is never taken.
claim_redis_db() {
	local n db got
	n=$("${REDIS[@]}" config get databases 2>/dev/null | sed -n 2p)
	[[ $n =~ ^[0-9]+$ ]] || n=16
	for ((db = 1; db < n; db++)); do
		got=$("${REDIS[@]}" -n "$db" eval \
			"if redis.call('DBSIZE') == 0 then return redis.call('SET', KEYS[1], ARGV[1], 'NX') else return false end" \
			1 xt-bench:claim "$RUN_ID" 2>/dev/null) || continue
		if [[ $got == OK ]]; then
			REDIS_DB=$db
			REDIS_URL=redis://127.0.0.1:6379/$db
			log "using Redis database $db (was empty; claimed as xt-bench:claim)"
			return 0
		fi
	done
	die "no empty Redis database among 1 to $((n - 1)) to claim"
}

# release_redis_db: delete what the app wrote to the claimed database (its
# keys all start with xt:) and the claim, only while the claim is still this
# run's.
release_redis_db() {
	[[ -n $REDIS_DB ]] || return 0
	local r=("${REDIS[@]}" -n "$REDIS_DB")
	if [[ $("${r[@]}" get xt-bench:claim 2>/dev/null) != "$RUN_ID" ]]; then
		log "warning: Redis database $REDIS_DB is no longer claimed by this run; left as it is"
		return 0
	fi
	"${r[@]}" --scan --pattern 'xt:*' | xargs -r -n 500 "${r[@]}" del >/dev/null
	"${r[@]}" del xt-bench:claim >/dev/null
	REDIS_DB=""
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
	go build -trimpath -o "$OUT/freeport" ./bench/freeport
}

# configure: once the ports, database and Redis database are chosen.
configure() {
	if [[ $STORE == sqlite ]]; then
		APP_ENV=(XUETANG_ADDR="$APP_ADDR" XUETANG_DATA_DIR="$OUT/data")
		return 0
	fi
	APP_ENV=(XUETANG_DATABASE_URL="mysql://root@127.0.0.1:3306/$DB_NAME" XUETANG_REDIS_URL="$REDIS_URL"
		XUETANG_ADDR="$APP_ADDR" XUETANG_DATA_DIR="$OUT/data")
}

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

# create_learners: LEARNERS learners with one shared random password. The
# first alone (it migrates the fresh database), then CREATE_JOBS at a time.
create_learners() {
	local password i running=0
	password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
	(umask 077 && printf '%s\n' "$password" >"$OUT/password")
	chmod 600 "$OUT/password"
	rm -rf "$LEARNER_DIR"
	mkdir -m 700 "$LEARNER_DIR"
	for ((i = 0; i < LEARNERS; i++)); do
		LEARNER_NAMES[i]=$(printf 'bench_learner_%03d' $((i + 1)))
		LEARNER_JARS[i]=$LEARNER_DIR/$((i + 1)).cookies
	done
	log "creating $LEARNERS learner(s) ${LEARNER_NAMES[0]} ... ${LEARNER_NAMES[LEARNERS - 1]} (one shared password, bench/out/password)"
	create_learner 0 || die "user create failed (see bench/out/xuetang.log)"
	for ((i = 1; i < LEARNERS; i++)); do
		create_learner "$i" &
		running=$((running + 1))
		if ((running >= CREATE_JOBS)); then
			wait -n || die "user create failed (see bench/out/xuetang.log)"
			running=$((running - 1))
		fi
	done
	for ((; running > 0; running--)); do
		wait -n || die "user create failed (see bench/out/xuetang.log)"
	done
}

# create_learner INDEX
create_learner() {
	env "${APP_ENV[@]}" "$XUETANG_BIN" user create --username "${LEARNER_NAMES[$1]}" --role learner \
		--display-name 压测学员 <"$OUT/password" >>"$OUT/xuetang.log" 2>&1
}

start_app() {
	port_free "$APP_ADDR" || die "$APP_ADDR is already in use"
	log "starting xuetang on $APP_ADDR (MariaDB $DB_NAME, Redis database $REDIS_DB)"
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
redis_pid() { "${REDIS[@]}" info server | tr -d '\r' | awk -F: '$1 == "process_id" { print $2 }'; }

# sign_in_learner INDEX: CSRF cookie first, then the login with the header,
# into the learner's cookie jar; sets its LEARNER_SESSIONS, LEARNER_CSRFS and
# LEARNER_IDS entries.
sign_in_learner() {
	local i=$1 name=${LEARNER_NAMES[$1]} jar=${LEARNER_JARS[$1]} pre body csrf session who id
	rm -f "$jar"
	pre=$(curl -fsS -c "$jar" -b "$jar" "http://$APP_ADDR/api/v1/auth/csrf" | jq -r .csrf_token)
	body=$(jq -nc --arg u "$name" --rawfile p "$OUT/password" '{username: $u, password: ($p | rtrimstr("\n"))}')
	csrf=$(curl -fsS -c "$jar" -b "$jar" -H 'Content-Type: application/json' -H "X-CSRF-Token: $pre" \
		--data "$body" "http://$APP_ADDR/api/v1/auth/login" | jq -r .csrf_token)
	session=$(awk -F'\t' '$6 == "xuetang_session" { v = $7 } END { print v }' "$jar")
	LEARNER_SESSIONS[i]=$session LEARNER_CSRFS[i]=$csrf # for the clean-up's sign-out
	# Both go into the tab-separated sessions file: tokens, nothing else.
	[[ $session =~ ^[A-Za-z0-9_-]+$ && $csrf =~ ^[A-Za-z0-9_-]+$ ]] || die "sign-in of $name did not return a session"
	who=$(curl -fsS -b "$jar" "http://$APP_ADDR/api/v1/me")
	[[ $(jq -r .username <<<"$who") == "$name" ]] || die "GET /api/v1/me after sign-in of $name answered $who"
	id=$(jq -r .id <<<"$who")
	[[ $id =~ ^[0-9]+$ ]] || die "GET /api/v1/me of $name returned no numeric id"
	LEARNER_IDS[i]=$id
}

# sign_in: sign every learner in, one after another, and write the sessions
# file; the first learner's session becomes BENCH_USER, JAR, CSRF
# and USER_ID. Every session must be distinct and stored in Redis under the
# key the redis-session baseline reads (xt:sess:{the cookie's first 4
# characters}:SHA-256 of the cookie; session.RedisSessionKey).
sign_in() {
	local i keys=() n
	for ((i = 0; i < LEARNERS; i++)); do
		sign_in_learner "$i"
	done
	BENCH_USER=${LEARNER_NAMES[0]} JAR=${LEARNER_JARS[0]}
	CSRF=${LEARNER_CSRFS[0]} USER_ID=${LEARNER_IDS[0]}
	n=$(printf '%s\n' "${LEARNER_SESSIONS[@]}" | sort -u | wc -l)
	((n == LEARNERS)) || die "$LEARNERS sign-ins gave $n distinct sessions"
	for ((i = 0; i < LEARNERS; i++)); do
		keys+=("xt:sess:{${LEARNER_SESSIONS[i]:0:4}}:$(printf '%s' "${LEARNER_SESSIONS[i]}" | sha256sum | cut -d' ' -f1)")
	done
	if [[ -n $REDIS_DB ]]; then
		n=$("${REDIS[@]}" -n "$REDIS_DB" exists "${keys[@]}")
		[[ $n == "$LEARNERS" ]] || die "only $n of $LEARNERS sessions are in Redis under xt:sess:{...}:"
	fi
	(
		umask 077
		for ((i = 0; i < LEARNERS; i++)); do
			printf 'xuetang_session=%s; xuetang_csrf=%s\t%s\n' "${LEARNER_SESSIONS[i]}" "${LEARNER_CSRFS[i]}" \
				"${LEARNER_CSRFS[i]}"
		done >"$SESSIONS_FILE"
	)
	chmod 600 "$SESSIONS_FILE"
	if ((LEARNERS == 1)); then
		log "signed in as $BENCH_USER (user $USER_ID)"
	else
		log "signed in $LEARNERS learners (user ids $(printf '%s\n' "${LEARNER_IDS[@]}" | sort -n | sed -n '1p;$p' |
			paste -sd-)); sessions in ${SESSIONS_FILE#"$ROOT"/}"
	fi
}

# enroll: enrol every learner in $COURSE (as the lesson page would, with its
# CSRF header) and read the lesson ids into LESSON_IDS. Idempotent.
enroll() {
	((ENROLLED == 0)) || return 0
	local code i codes=()
	for ((i = 0; i < LEARNERS; i++)); do
		code=$(curl -sS -o "$OUT/enroll.json" -w '%{http_code}' -b "${LEARNER_JARS[i]}" -X POST \
			-H "X-CSRF-Token: ${LEARNER_CSRFS[i]}" "http://$APP_ADDR/api/v1/courses/$COURSE/enroll")
		[[ $code == 200 || $code == 201 ]] ||
			die "enrolling ${LEARNER_NAMES[i]} in $COURSE answered HTTP $code: $(cat "$OUT/enroll.json")"
		codes+=("$code")
	done
	mapfile -t LESSON_IDS < <(curl -fsS -b "$JAR" "http://$APP_ADDR/api/v1/courses/$COURSE" | jq -r '.lessons[].id')
	((${#LESSON_IDS[@]} > 0)) || die "course $COURSE has no lessons"
	ENROLLED=1
	log "enrolled $LEARNERS learner(s) in $COURSE (HTTP $(printf '%s\n' "${codes[@]}" | sort | uniq -c |
		awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }')): lessons ${LESSON_IDS[*]}"
}

# sql QUERY: one value from the benchmark database (the SQLite file with
# BENCH_STORE=sqlite, read beside the running server: WAL lets it).
sql() {
	if [[ $STORE == sqlite ]]; then
		sqlite3 -readonly -batch "$OUT/data/xuetang.db" "$1"
	else
		"${MYSQL[@]}" -N -B "$DB_NAME" -e "$1"
	fi
}

# db_bytes: {"TABLE": bytes, ...} of the benchmark database, indexes
# included. MariaDB: data_length + index_length once ANALYZE TABLE has
# refreshed InnoDB's page counts (whole 16 KiB pages: compare only deltas of
# many rows). SQLite: the pages dbstat counts per table and its indexes.
db_bytes() {
	if [[ $STORE == sqlite ]]; then
		sql "SELECT json_group_object(t, b) FROM (SELECT m.tbl_name AS t, SUM(d.pgsize) AS b
		     FROM dbstat d JOIN sqlite_master m ON m.name = d.name GROUP BY m.tbl_name)"
		return 0
	fi
	local t
	for t in $(sql "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"); do
		sql "ANALYZE TABLE \`$t\`" >/dev/null
	done
	sql "SELECT JSON_OBJECTAGG(table_name, data_length + index_length) FROM information_schema.tables
	     WHERE table_schema = DATABASE()"
}

# ---------------------------------------------------------------- measuring

# cpu_ticks PID: user + system CPU time the process has used, in clock ticks.
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# load OUTFILE URL "LABEL:PID ..." [load flags...]: a warm-up, then one
# measured run with the common settings and the learners' sessions
# (connection i is learner i mod LEARNERS, its cookies on every request and
# its CSRF token on a POST; see bench/load -sessions). Extra flags
# (-method, -body, -header, -name, further -url to take in turn) pass through;
# the warm-up's counts are kept in OUTFILE as "warmup". The CPU time the listed
# server-side processes and the load generator spend during the measured run
# is added to the output: unlike req/s, CPU per request hardly moves when
# other work shares the machine.
load() {
	local out=$1 url=$2 procs=$3
	shift 3
	local common=(-url "$url" -c "$CONNECTIONS" -sessions "$SESSIONS_FILE")
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
		--arg redis "$("${REDIS[@]}" info server | tr -d '\r' | awk -F: '$1 == "redis_version" { print $2 }')" \
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

# learners_text: "64 learners", "1 learner", for the header lines.
learners_text() {
	if ((LEARNERS == 1)); then echo "1 learner"; else echo "$LEARNERS learners"; fi
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
		--arg c "$CONNECTIONS" --arg l "$LEARNERS" --arg d "$DURATION" --arg w "$WARMUP" --arg n "$ROUNDS" \
		'def r3: . * 1000 | round / 1000;
		 {scenario: "me", connections: ($c | tonumber), learners: ($l | tonumber), duration: $d, warmup: $w, rounds: ($n | tonumber),
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
	echo "scenario me: $CONNECTIONS connections, $(learners_text), $DURATION per run after a $WARMUP warm-up, median of $ROUNDS" \
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
		--arg c "$CONNECTIONS" --arg l "$LEARNERS" --arg d "$DURATION" --arg w "$WARMUP" --arg n "$ROUNDS" \
		'def r3: . * 1000 | round / 1000;
		 {scenario: "lesson", course: $course, lessons: $sizes,
		  connections: ($c | tonumber), learners: ($l | tonumber), duration: $d, warmup: $w, rounds: ($n | tonumber),
		  machine: $machine,
		  runs: {redis_session: $r[0], xuetang: $x[0]},
		  ratio: {
		    rps_xuetang_over_redis_session: ($x[0].rps / $r[0].rps | r3),
		    cpu_per_request_xuetang_over_redis_session:
		      ($x[0].server_cpu_us_per_request / $r[0].server_cpu_us_per_request | r3),
		    p99_ms_xuetang: $x[0].latency_ms.p99,
		    p99_ms_redis_session: $r[0].latency_ms.p99,
		    rounds_rps_xuetang_over_redis_session: ([$x[0].rounds_rps, $r[0].rounds_rps] | transpose | map(.[0] / .[1] | r3))},
		  aims: {
		    rps_ratio_at_least_0_5: (($x[0].rps / $r[0].rps) >= 0.5),
		    p99_under_25_ms: ($x[0].latency_ms.p99 < 25)}}' >"$OUT/lesson.json"

	echo
	echo "scenario lesson ($COURSE, ${#LESSON_IDS[@]} lessons in turn, Accept-Encoding: gzip): $CONNECTIONS connections," \
		"$(learners_text)," \
		"$DURATION per run after a $WARMUP warm-up, median of $ROUNDS round(s), $(nproc) CPUs, load average $LOADAVG_AT_START at start"
	print_header
	print_row "bare Echo + Redis GET" "$OUT/lesson.redis-session.json"
	print_row "xuetang GET lesson" "$OUT/lesson.xuetang.json"
	jq -r '"  lesson JSON \([.lessons[].json_bytes] | min)-\([.lessons[].json_bytes] | max) bytes, sent as \([.lessons[].sent_bytes] | min)-\([.lessons[].sent_bytes] | max) (\(.lessons[0].encoding)); under load \(.runs.xuetang.gzipped) of \(.runs.xuetang.ok) answers gzipped, \(.runs.xuetang.body_bytes_mean) bytes on average",
		"  xuetang / Echo + Redis GET: \(.ratio.rps_xuetang_over_redis_session) of the req/s (aim >= 0.5: \(if .aims.rps_ratio_at_least_0_5 then "met" else "MISSED" end)), \(.ratio.cpu_per_request_xuetang_over_redis_session)x the server CPU per request;",
		"  p99 \(.ratio.p99_ms_xuetang) ms vs \(.ratio.p99_ms_redis_session) ms (aim < 25 ms: \(if .aims.p99_under_25_ms then "met" else "MISSED" end)).",
		"  round by round (each xuetang round against the baseline round just before it): \(.ratio.rounds_rps_xuetang_over_redis_session | map(tostring) | join(", "))"' \
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
# id each time, the learner's CSRF header, a mid-course lesson) from every
# learner against a naive handler that decodes the same body and does one
# GORM upsert per request into its own table of the same database (it checks
# no session and writes every row as the first learner), and against the same
# handler that first reads the learner's session from Redis, as any signed-in
# write must. Every round checks with SQL that each system stored exactly as
# many rows as it answered 200;
# afterwards, that no learner was credited more time than has passed since
# they enrolled.
scenario_progress() {
	enroll
	local mariadb redis naive naive_s lesson body
	mariadb=$(mariadb_pid)
	redis=$(redis_pid)
	lesson=${LESSON_IDS[$((${#LESSON_IDS[@]} / 2))]}
	body="{\"event_id\":\"{{uuid}}\",\"lesson_id\":$lesson,\"type\":\"heartbeat\",\"seconds\":30}"
	ensure_baseline naive-upsert "$NAIVE_ADDR" -user-id "$USER_ID" \
		-dsn "root@tcp(127.0.0.1:3306)/$DB_NAME?charset=utf8mb4&parseTime=True&loc=UTC&interpolateParams=true"
	naive=$LAST_PID
	ensure_baseline naive-upsert-session "$NAIVE_SESSION_ADDR" \
		-dsn "root@tcp(127.0.0.1:3306)/$DB_NAME?charset=utf8mb4&parseTime=True&loc=UTC&interpolateParams=true"
	naive_s=$LAST_PID

	# One event by hand first (the first learner's): the app must record it, and say so.
	local ev status
	ev=$(jq -nc --arg id "$(cat /proc/sys/kernel/random/uuid)" --argjson l "$lesson" \
		'{event_id: $id, lesson_id: $l, type: "open", seconds: 0}')
	status=$(curl -fsS -b "$JAR" -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" --data "$ev" \
		"http://$APP_ADDR/api/v1/progress" | jq -r .status)
	[[ $status == recorded ]] || die "POST /api/v1/progress answered status $status"
	status=$(curl -fsS -b "$JAR" -H 'Content-Type: application/json' -H "X-CSRF-Token: $CSRF" --data "$ev" \
		"http://$APP_ADDR/api/v1/progress" | jq -r .status)
	[[ $status == duplicate ]] || die "the same event twice answered status $status, not duplicate"

	# Each connection's CSRF header comes with its learner from the sessions file.
	local flags=(-method POST -body "$body")
	# All rows, every learner's: the database is created afresh for this run
	# and only the bench learners exist in it.
	local app_rows="SELECT COUNT(*) FROM progress_events"
	local naive_rows="SELECT COUNT(*) FROM bench_naive_events"
	rm -f "$OUT"/progress.*.json
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		load_counted "$OUT/progress.naive-upsert.$r.json" "$naive_rows" "http://$NAIVE_ADDR/api/v1/progress" \
			"baseline:$naive mariadb:$mariadb" "${flags[@]}" -name "naive GORM upsert per request"
		load_counted "$OUT/progress.naive-upsert-session.$r.json" "$naive_rows" "http://$NAIVE_SESSION_ADDR/api/v1/progress" \
			"baseline:$naive_s mariadb:$mariadb redis:$redis" "${flags[@]}" -name "naive GORM upsert per request, after a Redis session GET"
		load_counted "$OUT/progress.xuetang.$r.json" "$app_rows" "http://$APP_ADDR/api/v1/progress" \
			"xuetang:$APP_PID mariadb:$mariadb redis:$redis" "${flags[@]}" -name "xuetang POST /api/v1/progress"
	done
	median_round "$OUT/progress.naive-upsert"
	median_round "$OUT/progress.naive-upsert-session"
	median_round "$OUT/progress.xuetang"

	# Every round's check, and the wall-clock cap on credited time, learner
	# by learner: each one's credited seconds at most the seconds since
	# that learner enrolled.
	local checks per rows ids
	checks=$(for t in naive-upsert naive-upsert-session xuetang; do
		for ((r = 1; r <= ROUNDS; r++)); do
			jq -c --arg t "$t" --argjson r "$r" '{target: $t, round: $r, check}' "$OUT/progress.$t.$r.json"
		done
	done | jq -s -c .)
	ids=$(IFS=,; echo "${LEARNER_IDS[*]}")
	per=$(sql "SET SESSION group_concat_max_len = 16777216;
		SELECT COALESCE(JSON_ARRAYAGG(JSON_OBJECT(
		  'user_id', u.id, 'username', u.username,
		  'events', COALESCE(p.events, 0), 'claimed_seconds', COALESCE(p.claimed, 0),
		  'credited_seconds', COALESCE(p.credited, 0), 'active_seconds', COALESCE(lp.active, 0),
		  'wall_clock_seconds_since_enrolment', TIMESTAMPDIFF(SECOND, e.enrolled_at, UTC_TIMESTAMP(3)))
		  ORDER BY u.id), '[]')
		FROM users u
		LEFT JOIN (SELECT user_id, COUNT(*) AS events, SUM(seconds) AS claimed, SUM(credited_seconds) AS credited
		           FROM progress_events GROUP BY user_id) p ON p.user_id = u.id
		LEFT JOIN (SELECT user_id, SUM(active_seconds) AS active FROM lesson_progress GROUP BY user_id) lp
		  ON lp.user_id = u.id
		LEFT JOIN (SELECT user_id, MIN(enrolled_at) AS enrolled_at FROM enrollments GROUP BY user_id) e
		  ON e.user_id = u.id
		WHERE u.id IN ($ids)")
	rows=$(sql "SELECT JSON_OBJECT('rows_xuetang', (SELECT COUNT(*) FROM progress_events),
		'rows_naive', (SELECT COUNT(*) FROM bench_naive_events))")

	jq -n --argjson machine "$(machine_json)" --argjson checks "$checks" --argjson per "$per" --argjson rows "$rows" \
		--argjson lesson "$lesson" --arg body "$body" \
		--slurpfile b "$OUT/progress.naive-upsert.json" --slurpfile bs "$OUT/progress.naive-upsert-session.json" \
		--slurpfile x "$OUT/progress.xuetang.json" \
		--arg c "$CONNECTIONS" --arg l "$LEARNERS" --arg d "$DURATION" --arg w "$WARMUP" --arg n "$ROUNDS" \
		'def r3: . * 1000 | round / 1000;
		 def within: .credited_seconds <= .wall_clock_seconds_since_enrolment;
		 ($per | map(. + {headroom_seconds: ((.wall_clock_seconds_since_enrolment // 0) - .credited_seconds)})) as $per
		 | {scenario: "progress", lesson_id: $lesson, body: $body,
		  connections: ($c | tonumber), learners: ($l | tonumber), duration: $d, warmup: $w, rounds: ($n | tonumber),
		  machine: $machine,
		  runs: {naive_upsert: $b[0], naive_upsert_session: $bs[0], xuetang: $x[0]},
		  ratio: {
		    rps_xuetang_over_naive: ($x[0].rps / $b[0].rps | r3),
		    cpu_per_request_xuetang_over_naive:
		      ($x[0].server_cpu_us_per_request / $b[0].server_cpu_us_per_request | r3),
		    p99_ms_xuetang: $x[0].latency_ms.p99,
		    p99_ms_naive: $b[0].latency_ms.p99,
		    rps_xuetang_over_naive_session: ($x[0].rps / $bs[0].rps | r3),
		    cpu_per_request_xuetang_over_naive_session:
		      ($x[0].server_cpu_us_per_request / $bs[0].server_cpu_us_per_request | r3),
		    p99_ms_naive_session: $bs[0].latency_ms.p99,
		    rounds_rps_xuetang_over_naive: ([$x[0].rounds_rps, $b[0].rounds_rps] | transpose | map(.[0] / .[1] | r3)),
		    rounds_rps_xuetang_over_naive_session: ([$x[0].rounds_rps, $bs[0].rounds_rps] | transpose | map(.[0] / .[1] | r3))},
		  checks: {rounds: $checks, rows_counted: "all rows of progress_events and bench_naive_events",
		           every_acknowledged_event_stored: ($checks | all(.check.equal)),
		           time: ($rows + {
		             learners: ($per | length),
		             learners_with_events: ($per | map(select(.events > 0)) | length),
		             events_per_learner: {min: ($per | map(.events) | min), max: ($per | map(.events) | max)},
		             credited_seconds: ($per | map(.credited_seconds) | add),
		             claimed_seconds: ($per | map(.claimed_seconds) | add),
		             active_seconds: ($per | map(.active_seconds) | add),
		             credited_within_wall_clock: (($per | length) > 0 and ($per | all(within))),
		             learners_over_wall_clock: ($per | map(select(within | not)) | length),
		             worst_learner: ($per | min_by(.headroom_seconds)),
		             per_learner: $per})},
		  aims: {rps_ratio_at_least_1_5: (($x[0].rps / $b[0].rps) >= 1.5),
		         rps_ratio_over_naive_session_at_least_1_5: (($x[0].rps / $bs[0].rps) >= 1.5),
		         every_acknowledged_event_stored: ($checks | all(.check.equal))}}' >"$OUT/progress.json"

	echo
	echo "scenario progress (heartbeats to lesson $lesson, a fresh event id each): $CONNECTIONS connections," \
		"$(learners_text)," \
		"$DURATION per run after a $WARMUP warm-up, median of $ROUNDS round(s), $(nproc) CPUs, load average $LOADAVG_AT_START at start"
	print_header
	print_row "naive GORM upsert" "$OUT/progress.naive-upsert.json"
	print_row "naive upsert + session" "$OUT/progress.naive-upsert-session.json"
	print_row "xuetang POST progress" "$OUT/progress.xuetang.json"
	jq -r '"  xuetang / naive upsert: \(.ratio.rps_xuetang_over_naive) of the req/s (aim >= 1.5: \(if .aims.rps_ratio_at_least_1_5 then "met" else "MISSED" end)), \(.ratio.cpu_per_request_xuetang_over_naive)x the server CPU per request;",
		"  p99 \(.ratio.p99_ms_xuetang) ms vs \(.ratio.p99_ms_naive) ms.",
		"  xuetang / naive upsert after a session GET: \(.ratio.rps_xuetang_over_naive_session) of the req/s (\(if .aims.rps_ratio_over_naive_session_at_least_1_5 then "at least" else "below" end) 1.5), \(.ratio.cpu_per_request_xuetang_over_naive_session)x the server CPU per request; p99 \(.ratio.p99_ms_naive_session) ms.",
		"  round by round (each xuetang round against the baseline rounds just before it): \(.ratio.rounds_rps_xuetang_over_naive | map(tostring) | join(", ")) of the naive upsert, \(.ratio.rounds_rps_xuetang_over_naive_session | map(tostring) | join(", ")) of the one with the session GET",
		"  rows added = 200 answers (warm-up + measured run; all rows, every learner), by SQL:",
		(.checks.rounds[] | "    \(.target) round \(.round): \(.check.rows_added) rows, \(.check.answered_200) answered 200, \(.check.not_200) not 200: \(if .check.equal then "equal" else "NOT EQUAL" end)"),
		"  every acknowledged event stored: \(if .checks.every_acknowledged_event_stored then "yes" else "NO" end);",
		(.checks.time | "  \(.learners_with_events) of \(.learners) learners sent events (\(.events_per_learner.min)-\(.events_per_learner.max) each); credited \(.credited_seconds) s of \(.claimed_seconds) s claimed in all;",
		"  each learner credited at most the wall clock since enrolling: \(if .credited_within_wall_clock then "yes" else "NO (\(.learners_over_wall_clock) over)" end); least headroom: \(.worst_learner.username), credited \(.worst_learner.credited_seconds) s of \(.worst_learner.wall_clock_seconds_since_enrolment) s")' \
		"$OUT/progress.json"
	echo "  written: bench/out/progress.json"
}

# load_sized OUTFILE COUNT_SQL|"" URL PROCS [load flags...]: load (or
# load_counted, given COUNT_SQL), recording in OUTFILE the database's bytes
# per table before the warm-up and after the measured run, what each
# request added (all 2xx answers, warm-up included, since its requests
# write too) and the load average around the run.
load_sized() {
	local out=$1 q=$2 before after la_before
	shift 2
	before=$(db_bytes)
	la_before=$(cut -d' ' -f1 /proc/loadavg)
	if [[ -n $q ]]; then
		load_counted "$out" "$q" "$@"
	else
		load "$out" "$@"
	fi
	after=$(db_bytes)
	jq --argjson b "$before" --argjson a "$after" --arg l0 "$la_before" --arg l1 "$(cut -d' ' -f1 /proc/loadavg)" \
		'((.warmup.status | to_entries | map(select(.key | startswith("2")) | .value) | add // 0)
		  + (.status | to_entries | map(select(.key | startswith("2")) | .value) | add // 0)) as $n
		 | ([$a | to_entries[] | {key, value: (.value - ($b[.key] // 0))} | select(.value != 0)] | from_entries) as $d
		 | . + {loadavg_1m: {before: ($l0 | tonumber), after: ($l1 | tonumber)},
		        db: {requests_2xx: $n, bytes_before: ([$b[]] | add), bytes_after: ([$a[]] | add),
		             bytes_added: ([$d[]] | add // 0), bytes_added_by_table: $d,
		             bytes_per_request: (if $n > 0 then (([$d[]] | add // 0) / $n | round) else null end)}}' \
		"$out" >"$out.tmp" && mv "$out.tmp" "$out"
}

# session_bytes: {"sessions", "bytes_per_session", "how"} for the signed-in
# learners: MEMORY USAGE of each one's Redis key (xt:sess:SHA-256 of the
# cookie), or, with the sessions in SQLite, the sessions table's pages over
# its rows.
session_bytes() {
	if [[ $STORE == sqlite ]]; then
		sql "SELECT json_object('sessions', (SELECT COUNT(*) FROM sessions),
		       'bytes_per_session', (SELECT SUM(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name
		                             WHERE m.tbl_name = 'sessions') / (SELECT COUNT(*) FROM sessions),
		       'how', 'sessions table pages (indexes included) / rows')"
		return 0
	fi
	local i key sum=0 n=0 b
	for ((i = 0; i < LEARNERS; i++)); do
		key="xt:sess:$(printf '%s' "${LEARNER_SESSIONS[i]}" | sha256sum | cut -d' ' -f1)"
		b=$("${REDIS[@]}" -n "$REDIS_DB" memory usage "$key" samples 0)
		[[ $b =~ ^[0-9]+$ ]] || die "MEMORY USAGE $key answered $b"
		sum=$((sum + b)) n=$((n + 1))
	done
	jq -n --argjson s "$sum" --argjson n "$n" \
		'{sessions: $n, bytes_per_session: ($s / $n | round), how: "Redis MEMORY USAGE of each xt:sess: key"}'
}

# mix: the figures of the capacity plan (docs/OPERATIONS.md). Each request
# kind a studying learner makes is loaded on its own, every learner
# taking part (progress: a heartbeat with a fresh id to a mid-course
# lesson; lesson: every lesson of the course in turn, gzip; me; catalogue:
# GET /api/v1/courses), and its server CPU per request (xuetang, plus
# MariaDB and Redis when they serve it) and the database bytes it added are
# weighted by BENCH_MIX. The server CPU per request at saturation is the
# figure that survives a shared machine; learners per core is 3600 s over
# the CPU seconds a learner-hour costs.
scenario_mix() {
	enroll
	local procs lesson body
	if [[ $STORE == sqlite ]]; then
		procs="xuetang:$APP_PID"
	else
		procs="xuetang:$APP_PID mariadb:$(mariadb_pid) redis:$(redis_pid)"
	fi
	lesson=${LESSON_IDS[$((${#LESSON_IDS[@]} / 2))]}
	body="{\"event_id\":\"{{uuid}}\",\"lesson_id\":$lesson,\"type\":\"heartbeat\",\"seconds\":30}"
	local lesson_urls=() i
	for ((i = 1; i < ${#LESSON_IDS[@]}; i++)); do
		lesson_urls+=(-url "http://$APP_ADDR/api/v1/lessons/${LESSON_IDS[i]}")
	done
	local sessions
	sessions=$(session_bytes)

	rm -f "$OUT"/mix.*.json
	local r
	for ((r = 1; r <= ROUNDS; r++)); do
		load_sized "$OUT/mix.progress.$r.json" "SELECT COUNT(*) FROM progress_events" \
			"http://$APP_ADDR/api/v1/progress" "$procs" -method POST -body "$body" -name "POST /api/v1/progress (heartbeat)"
		load_sized "$OUT/mix.lesson.$r.json" "" "http://$APP_ADDR/api/v1/lessons/${LESSON_IDS[0]}" "$procs" \
			"${lesson_urls[@]}" -header 'Accept-Encoding: gzip' -name "GET /api/v1/lessons/{id}"
		load_sized "$OUT/mix.me.$r.json" "" "http://$APP_ADDR/api/v1/me" "$procs" -name "GET /api/v1/me"
		load_sized "$OUT/mix.catalogue.$r.json" "" "http://$APP_ADDR/api/v1/courses" "$procs" \
			-header 'Accept-Encoding: gzip' -name "GET /api/v1/courses"
	done
	local k kinds=(progress lesson me catalogue)
	for k in "${kinds[@]}"; do median_round "$OUT/mix.$k"; done

	local file_bytes=null
	if [[ $STORE == sqlite ]]; then
		file_bytes=$(cat "$OUT/data/xuetang.db" "$OUT/data/xuetang.db-wal" 2>/dev/null | wc -c)
	fi
	jq -n --argjson machine "$(machine_json)" --arg store "$STORE" --arg mix "$MIX" --argjson hours "$STUDY_HOURS" \
		--argjson sessions "$sessions" --argjson file "$file_bytes" \
		--slurpfile p "$OUT/mix.progress.json" --slurpfile l "$OUT/mix.lesson.json" \
		--slurpfile m "$OUT/mix.me.json" --slurpfile c "$OUT/mix.catalogue.json" \
		--arg cn "$CONNECTIONS" --arg ln "$LEARNERS" --arg d "$DURATION" --arg w "$WARMUP" --arg n "$ROUNDS" \
		'def r1: . * 10 | round / 10;
		 {progress: $p[0], lesson: $l[0], me: $m[0], catalogue: $c[0]} as $runs
		 | ($mix | split(",") | map(split(":") | {key: .[0], value: (.[1] | tonumber)}) | from_entries) as $per_hour
		 | ($per_hour | to_entries | map($runs[.key].server_cpu_us_per_request * .value) | add / 1e6) as $cpu_s
		 | ($per_hour | to_entries | map(($runs[.key].db.bytes_per_request // 0) * .value) | add) as $bytes_h
		 | (($runs.progress.db.bytes_added_by_table.progress_events // 0) / $runs.progress.db.requests_2xx) as $event_bytes
		 | {scenario: "mix", store: $store, requests_per_learner_hour: $per_hour, study_hours_per_year: $hours,
		    connections: ($cn | tonumber), learners: ($ln | tonumber), duration: $d, warmup: $w, rounds: ($n | tonumber),
		    machine: $machine, runs: $runs,
		    capacity: {
		      cpu_ms_per_learner_hour: ($cpu_s * 1000 | r1),
		      learners_per_core_at_full_cpu: (3600 / $cpu_s | round),
		      requests_per_second_per_1000_learners: (([$per_hour[]] | add) / 3.6 | r1),
		      cpu_us_per_request: ($runs | map_values(.server_cpu_us_per_request)),
		      loadavg_1m: ($runs | map_values(.loadavg_1m)),
		      progress_rows_per_learner_hour: ($per_hour.progress * ($runs.progress.check.rows_added / $runs.progress.db.requests_2xx)),
		      db_bytes_per_request: ($runs | map_values(.db.bytes_per_request)),
		      db_bytes_per_learner_hour: ($bytes_h | round),
		      progress_events_bytes_per_event: ($event_bytes | round),
		      raw_events_bytes_per_learner_year: ($event_bytes * $per_hour.progress * $hours | round),
		      other_tables_bytes_per_learner_year: (($bytes_h - $event_bytes * $per_hour.progress) * $hours | round),
		      session: $sessions,
		      sqlite_file_bytes_at_end: $file}}' >"$OUT/mix.json"

	echo
	echo "scenario mix ($STORE; per learner-hour $MIX): $CONNECTIONS connections, $(learners_text)," \
		"$DURATION per run after a $WARMUP warm-up, median of $ROUNDS round(s), $(nproc) CPUs, load average $LOADAVG_AT_START at start"
	print_header
	for k in "${kinds[@]}"; do print_row "$k" "$OUT/mix.$k.json"; done
	jq -r '.capacity |
		"  load average (1 min) before/after each run: \(.loadavg_1m | to_entries | map("\(.key) \(.value.before)/\(.value.after)") | join(", "))",
		"  server CPU per learner-hour: \(.cpu_ms_per_learner_hour) ms, so \(.learners_per_core_at_full_cpu) studying learners per core at 100% CPU;",
		"  \(.requests_per_second_per_1000_learners) req/s per 1000 studying learners; \(.progress_rows_per_learner_hour) event rows per learner-hour",
		"  database bytes per request: \(.db_bytes_per_request | to_entries | map("\(.key) \(.value)") | join(", ")); per learner-hour \(.db_bytes_per_learner_hour)",
		"  progress_events: \(.progress_events_bytes_per_event) bytes per event; per learner-year: raw events \(.raw_events_bytes_per_learner_year), other tables \(.other_tables_bytes_per_learner_year)",
		"  session: \(.session.bytes_per_session) bytes each (\(.session.how), \(.session.sessions) sessions)"' "$OUT/mix.json"
	echo "  written: bench/out/mix.json"
}

# ---------------------------------------------------------------- main

main() {
	local scenarios=("${@:-me}") s
	for s in "${scenarios[@]}"; do
		declare -F "scenario_$s" >/dev/null || die "unknown scenario $s"
	done
	[[ $ROUNDS =~ ^([1-9]|10)$ ]] || die "BENCH_ROUNDS=$ROUNDS: want 1 to 10"
	if ! [[ $LEARNERS =~ ^[1-9][0-9]{0,3}$ ]] || ((LEARNERS > 1024)); then
		die "BENCH_LEARNERS=$LEARNERS: want 1 to 1024"
	fi
	[[ $CONNECTIONS =~ ^[1-9][0-9]{0,3}$ ]] || die "BENCH_CONNECTIONS=$CONNECTIONS: want a positive number"
	((LEARNERS <= CONNECTIONS)) ||
		log "warning: BENCH_LEARNERS=$LEARNERS > BENCH_CONNECTIONS=$CONNECTIONS: only $CONNECTIONS learners send requests"
	# The database is dropped at exit, so it must be recognisably a benchmark one.
	[[ $DB_NAME =~ ^xt_bench[a-z0-9_]*$ ]] || die "BENCH_DB=$DB_NAME: want a name starting with xt_bench"
	[[ $KEEP_DB =~ ^[01]$ ]] || die "BENCH_KEEP_DB=$KEEP_DB: want 0 or 1"
	[[ $STORE == mariadb || $STORE == sqlite ]] || die "BENCH_STORE=$STORE: want mariadb or sqlite"
	[[ $MIX =~ ^[a-z]+:[0-9]+(,[a-z]+:[0-9]+)*$ ]] || die "BENCH_MIX=$MIX: want kind:per-hour,..."
	[[ $STUDY_HOURS =~ ^[1-9][0-9]{0,3}$ ]] || die "BENCH_STUDY_HOURS=$STUDY_HOURS: want 1 to 9999"
	for tool in go curl jq gzip od mysql mysqladmin redis-cli xargs; do
		command -v "$tool" >/dev/null || die "$tool is not installed"
	done
	if ! [[ $SETTLE =~ ^[0-9]+$ ]] || ((SETTLE > 3600)); then
		die "BENCH_SETTLE=$SETTLE: want 0 to 3600 seconds"
	fi
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
	if [[ $STORE == sqlite ]]; then
		[[ ${scenarios[*]} == mix ]] || die "BENCH_STORE=sqlite runs the mix scenario only"
		command -v sqlite3 >/dev/null || die "sqlite3 is not installed (BENCH_STORE=sqlite measures the file with it)"
		rm -rf "$OUT/data" # bench/out/data is this script's own
	else
		check_services
	fi
	build
	choose_ports
	if [[ $STORE != sqlite ]]; then
		claim_redis_db
		create_database
	fi
	configure
	create_learners
	start_app
	sign_in
	for s in "${scenarios[@]}"; do
		"scenario_$s"
	done
}

main "$@"
