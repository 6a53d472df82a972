# bench/lib.sh: what the benchmark scripts (run.sh, populate.sh, export.sh)
# share, sourced after they set BENCH_TAG (their log prefix). It touches
# only the database named DB_NAME, and only one that create_database made.
# shellcheck shell=bash

MYSQL=(mysql -uroot -h127.0.0.1 --protocol=tcp)
CREATED_DB=0

log() { printf '[%s] %s\n' "$BENCH_TAG" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# random_hex N: N random bytes as hex, for names no other run uses.
random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# need_mariadb: the machine's MariaDB must be up already; the scripts are
# one user among others and do not manage it.
need_mariadb() {
	mysqladmin -uroot -h127.0.0.1 --protocol=tcp ping >/dev/null 2>&1 ||
		die "MariaDB does not answer on 127.0.0.1:3306 as root without a password: start it first (this script does not)"
}

# create_database: a database of this run's own. CREATE without IF NOT
# EXISTS fails on a name in use, so an existing database is never taken
# over or dropped.
create_database() {
	log "creating database $DB_NAME"
	"${MYSQL[@]}" -e "CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" ||
		die "could not create database $DB_NAME (does it exist already? BENCH_DB must name a new one)"
	CREATED_DB=1
}

# drop_database KEEP SETTING: for the EXIT trap; drops the database this
# run created, unless KEEP is 1 (SETTING names the variable that said so).
drop_database() {
	((CREATED_DB)) || return 0
	if [[ $1 == 1 ]]; then
		log "keeping database $DB_NAME ($2=1): drop it by hand when done"
	else
		"${MYSQL[@]}" -e "DROP DATABASE IF EXISTS \`$DB_NAME\`" || log "warning: could not drop database $DB_NAME"
	fi
}
