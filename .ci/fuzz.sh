#!/usr/bin/env bash
# Fuzz the live API with schemathesis, once per role: no 5xx, no response outside its
# documented schema, no undocumented status code. Starts the app (gunicorn, DEBUG off) on a
# free local port against a throwaway PostgreSQL database, seeds the demo, signs in one user
# of each role and runs `st run` against /api/schema/ with that token. Bounded to about five
# minutes on two cores: FUZZ_BUDGET seconds per role (default 55), FUZZ_MAX_EXAMPLES cases
# per operation (default 20). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
ST="${ST:-$(dirname "$PYTHON")/st}"
PGURL="${FUZZ_PG:-postgres://postgres@127.0.0.1:5432}"
BUDGET="${FUZZ_BUDGET:-55}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-20}"
# One worker: hypothesis parses lambdas with `ast` and CPython 3.11 trips over that from
# several threads ("AST constructor recursion depth mismatch"), a schemathesis runtime error.
WORKERS="${FUZZ_WORKERS:-1}"
DB="umcr_fuzz_$$"
PORT="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:${PORT}"
WORK="$(mktemp -d)"
SERVER_PID=""

admin_sql() {
  "$PYTHON" - "$PGURL/postgres" "$1" <<'PY'
import sys
import psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute(sys.argv[2])
PY
}

cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  admin_sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export DATABASE_URL="$PGURL/$DB"
export DEBUG=false SECRET_KEY="fuzz-only-not-a-secret" ALLOWED_HOSTS=127.0.0.1
export SECURE_SSL_REDIRECT=false SECURE_HSTS_SECONDS=0
# Sign-in is not fuzzed; four sign-ins must not meet the lockout or the throttle.
export LOGIN_THROTTLE_RATE=1000/min AXES_FAILURE_LIMIT=1000 LOG_LEVEL=WARNING

echo "== fuzz: database $DB, app on $BASE"
admin_sql "CREATE DATABASE $DB"
"$PYTHON" manage.py migrate --no-input -v 0
"$PYTHON" manage.py seed_demo > "$WORK/seed.log"

"$(dirname "$PYTHON")/gunicorn" umcr.wsgi --bind "127.0.0.1:${PORT}" --workers 2 -k gthread --threads 4 \
  --timeout 60 --log-level warning > "$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do
  if "$PYTHON" -c "import urllib.request as u; u.urlopen('$BASE/api/v1/', timeout=1)" 2>/dev/null \
    || curl -s -o /dev/null "$BASE/api/v1/"; then
    break
  fi
  sleep 0.5
done

sign_in() {
  "$PYTHON" - "$BASE" "$1" <<'PY'
import json, sys, urllib.request
base, username = sys.argv[1], sys.argv[2]
body = json.dumps({"username": username, "password": "umcr-demo", "device_name": "fuzz"})
request = urllib.request.Request(
    f"{base}/api/v1/auth/login/", data=body.encode(),
    headers={"Content-Type": "application/json"},
)
print(json.load(urllib.request.urlopen(request, timeout=10))["token"])
PY
}

status=0
for username in alcott.clinician1 alcott.supervisor alcott.casemanager desk.dispatcher; do
  token="$(sign_in "$username")"
  echo "== fuzz: $username (at most ${BUDGET}s)"
  if ! "$ST" run "$BASE/api/schema/" \
      --header "Authorization: Token $token" \
      --exclude-operation-id auth_login --exclude-operation-id auth_logout \
      --checks not_a_server_error,response_schema_conformance,status_code_conformance \
      --phases examples,coverage,fuzzing,stateful \
      --max-examples "$MAX_EXAMPLES" --workers "$WORKERS" --max-time "$BUDGET" \
      --request-timeout 20 --no-shrink --seed 11 \
      --report junit --report-dir "${FUZZ_REPORT_DIR:-$WORK/report}/$username"; then
    status=1
    echo "== fuzz: $username FAILED"
  fi
done

if grep -q "Traceback" "$WORK/server.log"; then
  echo "== fuzz: the server logged tracebacks:"
  cat "$WORK/server.log"
  status=1
fi
exit "$status"
