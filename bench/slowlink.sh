#!/usr/bin/env bash
# bench/slowlink.sh: how long a learner on a slow link waits for the lesson
# text and the catalogue, first visit and repeat visit, in headless Chromium
# throttled to 400 kbit/s each way and 400 ms per request (bench/slowlink).
#
# It starts its own server on a free loopback port with the embedded
# database in a temporary data directory (removed at exit), creates one
# learner there, and prints a table. Nothing shared is touched: no MariaDB,
# no Redis, no fixed port.
#
# Tunables (environment): BENCH_XUETANG (a xuetang binary to measure
# instead of building one from this tree, e.g. one built from another
# commit into /tmp, for a before/after comparison), BENCH_RUNS (3: fresh
# browser profiles per page; the median is shown), BENCH_KBPS (400),
# BENCH_LATENCY (400ms), BENCH_COURSE (internet-safety), BENCH_CHROMIUM
# (/usr/bin/chromium), BENCH_VERBOSE (0: 1 lists every request that went to
# the network, with when it was sent and when its headers came).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_TAG=slowlink
# shellcheck source=bench/lib.sh
. bench/lib.sh

RUNS=${BENCH_RUNS:-3}
KBPS=${BENCH_KBPS:-400}
LATENCY=${BENCH_LATENCY:-400ms}
COURSE=${BENCH_COURSE:-internet-safety}
CHROMIUM=${BENCH_CHROMIUM:-/usr/bin/chromium}
XUETANG_BIN=${BENCH_XUETANG:-}
VERBOSE=()
[[ ${BENCH_VERBOSE:-0} == 1 ]] && VERBOSE=(-v)

[[ -x $CHROMIUM ]] || die "no Chromium at $CHROMIUM (apt-get install chromium, or set BENCH_CHROMIUM)"
WORK=$(mktemp -d /tmp/xt-slowlink.XXXXXX)
APP_PID=""
cleanup() {
	local rc=$?
	set +e
	if [[ -n $APP_PID ]]; then
		kill "$APP_PID" 2>/dev/null
		wait "$APP_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n $XUETANG_BIN ]]; then
	[[ -x $XUETANG_BIN ]] || die "BENCH_XUETANG=$XUETANG_BIN is not an executable"
	log "measuring $XUETANG_BIN"
else
	log "building xuetang from this tree"
	go build -trimpath -o "$WORK/xuetang" ./cmd/xuetang
	XUETANG_BIN=$WORK/xuetang
fi
go build -trimpath -o "$WORK/slowlink" ./bench/slowlink
go build -trimpath -o "$WORK/freeport" ./bench/freeport

ADDR=127.0.0.1:$("$WORK/freeport" 1)
APP_ENV=(XUETANG_ADDR="$ADDR" XUETANG_DATA_DIR="$WORK/data" XUETANG_LOG_LEVEL=warn)
mkdir -m 700 "$WORK/data"
(umask 077 && random_hex 16 >"$WORK/password")
env "${APP_ENV[@]}" "$XUETANG_BIN" user create --username slowlink_learner --role learner \
	--display-name 慢速学员 <"$WORK/password" >>"$WORK/xuetang.log" 2>&1 ||
	die "user create failed: $(tail -n 5 "$WORK/xuetang.log")"

log "starting xuetang on $ADDR"
env "${APP_ENV[@]}" "$XUETANG_BIN" serve >>"$WORK/xuetang.log" 2>&1 &
APP_PID=$!
for ((i = 0; i < 300; i++)); do
	curl -fs -o /dev/null --max-time 1 "http://$ADDR/readyz" && break
	kill -0 "$APP_PID" 2>/dev/null || die "xuetang exited: $(tail -n 5 "$WORK/xuetang.log")"
	sleep 0.2
done
curl -fs -o /dev/null --max-time 1 "http://$ADDR/readyz" || die "xuetang did not answer within 60 s"

"$WORK/slowlink" -base "http://$ADDR" -user slowlink_learner -password-file "$WORK/password" \
	-course "$COURSE" -runs "$RUNS" -kbps "$KBPS" -latency "$LATENCY" -chromium "$CHROMIUM" "${VERBOSE[@]}"
