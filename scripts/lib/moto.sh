# shellcheck shell=bash
# Starts a throwaway moto server (a local AWS-compatible endpoint, PyPI) for the DynamoDB, SES v2
# and S3 adapter tests, and stops it when the sourcing script exits. Source it from the repo root:
#   . scripts/lib/moto.sh; moto_start
# Afterwards MOTO_URL, AWS_ENDPOINT_URL, dummy credentials and AWS_REGION are exported, so the AWS
# SDK (and our tests, which read MOTO_URL) talk to it on 127.0.0.1 only.

MOTO_DIR="${MOTO_DIR:-$PWD/.tools/moto}"
# Pinned: the version tried on this kind of machine (shared reference: tooling §1).
MOTO_PKG="moto[server]==5.2.5"

# Installs moto into its own venv, once (a marker file records the exact pinned package).
moto_install() {
  if [ -x "$MOTO_DIR/bin/moto_server" ] && [ -f "$MOTO_DIR/.installed" ] && [ "$(cat "$MOTO_DIR/.installed")" = "$MOTO_PKG" ]; then
    return 0
  fi
  echo "moto: installing $MOTO_PKG into ${MOTO_DIR#"$PWD"/}" >&2
  rm -rf "$MOTO_DIR"
  python3 -m venv "$MOTO_DIR"
  "$MOTO_DIR/bin/pip" install -q --disable-pip-version-check "$MOTO_PKG"
  printf '%s' "$MOTO_PKG" > "$MOTO_DIR/.installed"
}

# moto's own `moto_server`, except that requests are handled one at a time. moto does not
# isolate concurrent TransactWriteItems (two racing transactions can both pass their conditions),
# while DynamoDB's transactions are serializable; a lock around moto's app restores that, and the
# threaded HTTP server still serves keep-alive connections from parallel tests.
_MOTO_SERIAL_PY='
import os, sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
host, port = sys.argv[1], int(sys.argv[2])
os.environ.setdefault("MOTO_PORT", str(port))
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def serialised(environ, start_response):
    with lock:
        return list(app(environ, start_response))
run_simple(host, port, serialised, threaded=True, request_handler=MotoRequestHandler)
'

# A port nobody listens on right now (the kernel picks it; a tiny race is acceptable for tests).
_moto_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Stops the server started by moto_start, if any.
moto_stop() {
  if [ -n "${MOTO_PID:-}" ]; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
    unset MOTO_PID
  fi
}

# Installs if needed, starts moto on a free 127.0.0.1 port, waits until it answers and exports
# the environment. Chains onto any EXIT trap the caller already has rather than replacing it.
moto_start() {
  moto_install
  local port log
  port="$(_moto_free_port)"
  log="${MOTO_LOG:-$MOTO_DIR/moto-$port.log}"
  "$MOTO_DIR/bin/python" -c "$_MOTO_SERIAL_PY" 127.0.0.1 "$port" > "$log" 2>&1 &
  MOTO_PID=$!
  local previous
  previous="$(trap -p EXIT | sed -E "s/^trap -- '(.*)' EXIT$/\1/")"
  # shellcheck disable=SC2064 # expand now: the previous handler is captured as text on purpose
  trap "moto_stop${previous:+; $previous}" EXIT

  local i
  for i in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$port/moto-api/" > /dev/null 2>&1; then
      break
    fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
      echo "moto: the server exited; its log follows" >&2
      cat "$log" >&2
      return 1
    fi
    if [ "$i" = 100 ]; then
      echo "moto: not ready after 10 s" >&2
      return 1
    fi
    sleep 0.1
  done

  export MOTO_URL="http://127.0.0.1:$port"
  export AWS_ENDPOINT_URL="$MOTO_URL"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-2
  export AWS_DEFAULT_REGION=eu-west-2
  unset AWS_SESSION_TOKEN AWS_PROFILE
  echo "moto: ready at $MOTO_URL (pid $MOTO_PID)" >&2
}
