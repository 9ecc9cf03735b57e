#!/usr/bin/env bash
# The README's curl walkthrough, run for real against a teamd process:
# submit (pending) -> approve -> in progress with the assignment listed ->
# ended at the end time with the assignment gone, every step in /events.
# Usage: tests/e2e/walkthrough.sh [path/to/teamd]
set -euo pipefail

TEAMD=${1:-target/debug/teamd}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
DATA=$(mktemp -d)
LOG="$DATA/teamd.log"
PASS=0
FAIL=0

cleanup() {
  local status=$?
  if [ -n "${PID:-}" ]; then kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true; fi
  rm -rf "$DATA"
  exit "$status"
}
trap cleanup EXIT

json() { python3 -c "import sys, json; d = json.load(sys.stdin); print($1)"; }
check() {
  if [ "$2" = "$3" ]; then PASS=$((PASS + 1)); echo "ok: $1"; else FAIL=$((FAIL + 1)); echo "FAILED: $1: expected '$3', got '$2'"; fi
}
start_teamd() {
  "$TEAMD" --listen "127.0.0.1:$PORT" --data-dir "$DATA" --settle-ms 200 >>"$LOG" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do
    curl -sf "$BASE/api/openapi.json" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "teamd did not start"; cat "$LOG"; exit 1
}
wait_status() { # id token status seconds
  for _ in $(seq 1 $(($4 * 10))); do
    s=$(curl -sf -H "Authorization: Bearer $2" "$BASE/api/requests/$1" | json 'd["status"]')
    [ "$s" = "$3" ] && { echo "$s"; return 0; }
    sleep 0.1
  done
  echo "$s"
}

start_teamd
ALICE=$(curl -sf -X POST "$BASE/api/local/login" -H 'content-type: application/json' -d '{"username":"alice"}' | json 'd["token"]')
BOB=$(curl -sf -X POST "$BASE/api/local/login" -H 'content-type: application/json' -d '{"username":"bob"}' | json 'd["token"]')

# An eligible account that needs approval, from alice's own eligibility.
read -r ACCOUNT PS < <(curl -sf -H "Authorization: Bearer $ALICE" "$BASE/api/eligibility" |
  json '" ".join(next((a["accountId"], p["permissionSetArn"]) for a in d["accounts"] for p in a["permissionSets"] if p["approvalRequired"]))')
# Start 50 s ago (inside the 60 s grace) for 1 minute: the session ends about 10 s from now.
START=$(python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=50)).strftime("%Y-%m-%dT%H:%M:%SZ"))')

REQ=$(curl -sf -X POST "$BASE/api/requests" -H "Authorization: Bearer $ALICE" -H 'content-type: application/json' \
  -d "{\"accountId\":\"$ACCOUNT\",\"permissionSetArn\":\"$PS\",\"startTime\":\"$START\",\"durationMinutes\":1,\"justification\":\"walkthrough\",\"ticketNo\":\"INC-1\"}")
ID=$(echo "$REQ" | json 'd["id"]')
check "submitted request is pending" "$(echo "$REQ" | json 'd["status"]')" "pending"

check "bob approves" "$(curl -sf -X POST "$BASE/api/requests/$ID/approve" -H "Authorization: Bearer $BOB" \
  -H 'content-type: application/json' -d '{"comment":"go ahead"}' | json 'd["status"]')" "approved"
check "session starts" "$(wait_status "$ID" "$ALICE" "in progress" 10)" "in progress"
check "assignment exists" "$(curl -sf "$BASE/api/local/assignments" | json "sum(1 for a in d['items'] if a['accountId'] == '$ACCOUNT')")" "1"

# Restart teamd mid-session: the end timer is durable.
kill "$PID"; wait "$PID" 2>/dev/null || true
start_teamd
check "session ends at its end time after a restart" "$(wait_status "$ID" "$ALICE" "ended" 30)" "ended"
sleep 1
check "assignment is gone" "$(curl -sf "$BASE/api/local/assignments" | json "sum(1 for a in d['items'] if a['accountId'] == '$ACCOUNT')")" "0"
check "events tell the story" "$(curl -sf -H "Authorization: Bearer $ALICE" "$BASE/api/requests/$ID/events" |
  json '" ".join(k for k in ["submitted","approved","granted","ended","access-removed"] if k in [e["kind"] for e in d])')" \
  "submitted approved granted ended access-removed"

echo "walkthrough: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
