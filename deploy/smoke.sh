#!/usr/bin/env bash
# Follows the README's "Deploying" guide on this machine, without docker, and checks that it
# works: a venv from requirements.txt and constraints.txt, a throwaway PostgreSQL database,
# migrate, collectstatic, a first superuser, the demo data, gunicorn and qcluster in the
# background with DEBUG off and production settings, then /health/ and /ready/, a task through
# the broker, a clinician's sign-in and GET /api/v1/me/. It stops what it started and drops
# the database, and exits non-zero on the first failure.
#
#   bash deploy/smoke.sh                 # a fresh venv in a temporary folder
#   bash deploy/smoke.sh --venv .venv    # reuse a venv that holds requirements.txt
#
# PostgreSQL: 127.0.0.1:5432 as user postgres with trust auth, unless PGHOST, PGPORT, PGUSER
# (and PGPASSWORD) say otherwise. REDIS_URL, when set, makes the broker Redis.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

VENV=""
if [[ "${1:-}" == "--venv" ]]; then
  VENV="$(cd "${2:?--venv needs a path}" && pwd)"
fi
export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
DB="umcr_smoke_$$_$RANDOM"
WORK="$(mktemp -d -t umcr-smoke.XXXXXX)"
PIDS=()
STARTED_AT=$SECONDS

step() { printf '== %s (%ss)\n' "$*" "$((SECONDS - STARTED_AT))"; }
fail() { printf 'smoke: FAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local status=$?
  # TERM to the main process only, as a supervisor does (KillMode=mixed): gunicorn and qcluster
  # stop their own children. Each leads a process group (setsid), killed if anything is left.
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  if [[ $status -ne 0 ]]; then
    for log in "$WORK"/*.log; do
      [[ -f "$log" ]] && { echo "--- $(basename "$log") (last 30 lines)"; tail -n 30 "$log"; }
    done
  fi
  psql -q -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  if [[ $status -eq 0 ]]; then
    printf 'smoke: OK in %ss\n' "$((SECONDS - STARTED_AT))"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- install ---------------------------------------------------------------------------------
if [[ -z "$VENV" ]]; then
  step "fresh venv: pip install -r requirements.txt -c constraints.txt"
  VENV="$WORK/venv"
  timeout 300 python3 -m venv "$VENV"
  timeout 300 "$VENV/bin/pip" install --quiet -r requirements.txt -c constraints.txt 2>&1 \
    | { grep -v '^WARNING: Location' || true; }
fi
PY="$VENV/bin/python"
[[ -x "$VENV/bin/gunicorn" ]] || fail "no gunicorn in $VENV"

# --- the production settings (README, "Configuration") -------------------------------------
step "database $DB on $PGHOST:$PGPORT"
timeout 30 psql -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE \"$DB\"" >/dev/null

PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export DATABASE_URL="postgres://$PGUSER${PGPASSWORD:+:$PGPASSWORD}@$PGHOST:$PGPORT/$DB?connect_timeout=5"
SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
export SECRET_KEY
export DEBUG=false
export ALLOWED_HOSTS="127.0.0.1,localhost"
export SECURE_SSL_REDIRECT=false # no TLS on this machine; a deployment keeps it on
export STATIC_ROOT="$WORK/static"
export EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend"
export HOME="$WORK" # nothing is written to the real home folder
unset Q_SYNC DJANGO_SETTINGS_MODULE
BASE="http://127.0.0.1:$PORT"

step "check --deploy (as behind TLS: with the SSL redirect)"
SECURE_SSL_REDIRECT=true timeout 60 "$PY" manage.py check --deploy --fail-level WARNING

step "migrate"
timeout 120 "$PY" manage.py migrate --noinput -v 0

step "collectstatic"
timeout 120 "$PY" manage.py collectstatic --noinput -v 0

step "first superuser (createsuperuser --noinput)"
DJANGO_SUPERUSER_USERNAME=admin DJANGO_SUPERUSER_EMAIL=admin@example.org \
  DJANGO_SUPERUSER_PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(20))')" \
  timeout 60 "$PY" manage.py createsuperuser --noinput >/dev/null

step "seed_demo"
timeout 120 "$PY" manage.py seed_demo --no-progress >"$WORK/seed_demo.log"

# --- the processes a supervisor runs (deploy/Procfile, deploy/systemd) ----------------------
step "gunicorn on $BASE and qcluster"
setsid "$VENV/bin/gunicorn" umcr.wsgi -k gthread --workers 2 --threads 4 \
  --bind "127.0.0.1:$PORT" --no-control-socket --access-logfile - \
  >"$WORK/gunicorn.log" 2>&1 &
PIDS+=($!)
setsid "$PY" manage.py qcluster >"$WORK/qcluster.log" 2>&1 &
PIDS+=($!)

wait_for() {
  local path="$1"
  for _ in $(seq 1 60); do
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE$path")" == 200 ]]; then
      return 0
    fi
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || fail "a process stopped"; done
    sleep 0.5
  done
  fail "$path did not answer 200 within 30 s"
}
step "GET /health/ and /ready/"
wait_for /health/
wait_for /ready/
curl -sf --max-time 5 "$BASE/ready/" | "$PY" -c '
import json, sys
body = json.load(sys.stdin)
assert body["checks"] == {"database": "ok", "broker": "ok"}, body
' || fail "/ready/ did not report the database and the broker ok"

step "admin static files (whitenoise, manifest)"
curl -sf --max-time 5 -o /dev/null "$BASE/static/admin/css/base.css" || fail "static files"

step "the docs are closed to anonymous users"
code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/api/schema/")"
[[ "$code" == 401 ]] || fail "GET /api/schema/ without a token answered $code, not 401"

step "a task through the broker, run by qcluster"
timeout 60 "$PY" manage.py shell -v 0 -c '
from django_q.tasks import async_task, result
task_id = async_task("math.hypot", 3, 4)
answer = result(task_id, wait=30000)
assert answer == 5.0, f"the worker did not run the task (result: {answer!r})"
'

# --- a phone's first minutes (README, "A phone's first session") ----------------------------
step "POST /api/v1/auth/login/ as alcott.clinician1"
login="$(curl -sf --max-time 10 -X POST "$BASE/api/v1/auth/login/" \
  -H 'Content-Type: application/json' \
  -d '{"username": "alcott.clinician1", "password": "umcr-demo", "device_name": "Smoke test"}')" \
  || fail "sign-in refused"
TOKEN="$(printf '%s' "$login" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["token"])')"
[[ -n "$TOKEN" ]] || fail "no token in $login"

step "GET /api/v1/me/"
me="$(curl -sf --max-time 10 "$BASE/api/v1/me/" -H "Authorization: Token $TOKEN")" \
  || fail "GET /me/ refused the token"
printf '%s' "$me" | "$PY" -c '
import json, sys
me = json.load(sys.stdin)
assert me["team"]["call_sign"] == "ALCOTT-1", me
assert me["current_shift"] is not None, "the demo pair is off shift"
print("   ", me["role"], me["team"]["call_sign"], "on shift until", me["current_shift"]["ends_at"])
'
