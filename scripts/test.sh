#!/usr/bin/env bash
# Runs every Torro test on this machine: starts the database servers the tests need
# when they are not running, installs cargo-nextest when missing, then runs the suite.
# Tests read the servers' addresses from TORRO_TEST_POSTGRES_URL / TORRO_TEST_MYSQL_URL, and the
# emulators' from TORRO_TEST_AZURITE_URL / TORRO_TEST_S3_URL / TORRO_TEST_GCS_URL / TORRO_TEST_SNOWFLAKE_URL.
# With CI=true a missing server fails the run; otherwise those tests say loudly they skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

export TORRO_TEST_POSTGRES_URL="${TORRO_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export TORRO_TEST_MYSQL_URL="${TORRO_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306}"

log() { printf '==> %s\n' "$*" >&2; }

start_postgres() {
  command -v pg_isready >/dev/null || { log "PostgreSQL is not installed (Debian: apt-get install postgresql)"; return 1; }
  pg_isready -q -h 127.0.0.1 && return 0
  log "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 && return 0; sleep 1; done
  return 1
}

start_mariadb() {
  command -v mariadb >/dev/null || { log "MariaDB is not installed (Debian: apt-get install mariadb-server)"; return 1; }
  mariadb -h 127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1 && return 0
  log "starting MariaDB"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd || true
  for _ in $(seq 30); do mariadb -h 127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1 && return 0; sleep 1; done
  return 1
}

missing=0
start_postgres || { log "PostgreSQL is not reachable at 127.0.0.1:5432"; missing=1; }
start_mariadb || { log "MariaDB is not reachable at 127.0.0.1:3306"; missing=1; }
if [ "$missing" = 1 ] && [ "${CI:-}" = "true" ]; then
  log "CI=true and a database server is missing: failing"
  exit 1
fi

# Object-store emulators (Azurite, SeaweedFS, fake-gcs-server), in a folder of this run
# so that runs never share them; stopped when this script exits.
export TORRO_SERVICES_RUN=".tools/run/test-$$"
trap 'scripts/services.sh stop; rm -rf "$TORRO_SERVICES_RUN"' EXIT
if scripts/services.sh start; then
  # shellcheck disable=SC1091
  source "$(scripts/services.sh env)"
elif [ "${CI:-}" = "true" ]; then
  log "CI=true and an object-store emulator did not start: failing (logs in $TORRO_SERVICES_RUN)"
  exit 1
else
  log "!!! an object-store emulator did not start (logs in $TORRO_SERVICES_RUN); its tests will say SKIPPED !!!"
  [ -f "$(scripts/services.sh env)" ] && source "$(scripts/services.sh env)"
fi

if ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest"
  cargo install --locked cargo-nextest
fi

status=0
cargo nextest run --workspace --no-fail-fast "$@" || status=$?

# The web UI's unit and end-to-end tests (scripts/ui-test.sh); a run filtered with
# arguments is about Rust tests only.
if [ "$#" -eq 0 ]; then
  scripts/ui-test.sh || status=$?
fi
exit "$status"
