#!/usr/bin/env bash
# The README's quick start on whatever `node` is first on PATH (in .ci/run: the machine's own, before Node 24 is
# put in front): `npm ci && npm start`, then one short job in every mode that GET / lists, then SIGTERM. Fails if
# npm ci warns that a package does not support this Node (EBADENGINE), if a job does not succeed with every task
# done, if the service does not exit 0 within a few seconds of SIGTERM, or if any of its processes outlives it.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp -t conclab-smoke.XXXXXX)
server=''
cleanup () {
  # Only if something went wrong: the service's whole session (npm, sh, node, children) goes.
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -KILL -- "-$server" 2>/dev/null || true; fi
  rm -f "$log"
}
trap cleanup EXIT
fail () { echo "smoke: FAIL: $*" >&2; echo '--- service output ---' >&2; cat "$log" >&2 || true; exit 1; }

echo "smoke: node $(node --version), npm $(npm --version)"
ci_out=$(npm ci --no-audit --no-fund 2>&1) || { echo "$ci_out"; fail 'npm ci'; }
echo "$ci_out" | grep -v '^npm warn install-scripts' || true
if grep -q EBADENGINE <<<"$ci_out"; then fail "npm ci on node $(node --version) warns EBADENGINE although engines says $(node -p 'require("./package.json").engines.node')"; fi

# Port 0: the service takes a free one and logs it. setsid: its own session, so that anything it leaves behind
# can be found (and, on failure, killed) by session id.
PORT=0 HOST=127.0.0.1 LOG_PRETTY=false setsid npm start --silent >"$log" 2>&1 </dev/null &
server=$!
sleep 0.1
[ "$(ps -o sid= -p "$server" | tr -d ' ')" = "$server" ] || fail 'npm start did not get a session of its own'
url=''
for _ in $(seq 1 600); do
  url=$(grep -o 'Server listening at http://127\.0\.0\.1:[0-9]*' "$log" | head -1 | sed 's/^Server listening at //') || true
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || fail 'npm start exited before listening'
  sleep 0.1
done
[ -n "$url" ] || fail 'no "Server listening" within 60 s'
[ "$(curl -fsS "$url/healthz")" = '{"status":"ok"}' ] || fail "/healthz at $url"
echo "smoke: npm start listens at $url"

# Every mode the service lists, so that a new one is smoke-checked too. Only the concurrency is mode-specific:
# 2, or 1 where the answer is a 400 about the concurrency (inline).
json () { node -e 'let s = ""; process.stdin.on("data", (d) => { s += d }).on("end", () => console.log(new Function("v", "return " + process.argv[1])(JSON.parse(s))))' "$1"; }
modes=$(curl -fsS "$url/" | json 'v.modes.join(" ")')
[ -n "$modes" ] || fail 'GET / lists no modes'
# A mode this configuration cannot run (cluster, without REDIS_URL) must be listed with why, and refused with a 400.
unavailable=$(curl -fsS "$url/" | json 'Object.keys(v.unavailableModes).join(" ")')
tasks=20
for mode in $modes; do
  if [[ " $unavailable " == *" $mode "* ]]; then
    code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$url/jobs" -H 'content-type: application/json' -d "{\"workload\":\"hash\",\"mode\":\"$mode\",\"tasks\":$tasks,\"concurrency\":1}")
    [ "$code" = 400 ] || fail "$mode is listed as unavailable but a job in it answered HTTP $code, not 400"
    echo "smoke: $mode is unavailable here, and a job in it is a 400"
    continue
  fi
  for concurrency in 2 1; do
    body=$(curl -sS -X POST "$url/jobs?wait=true" -H 'content-type: application/json' -H 'accept: application/json' \
      -d "{\"workload\":\"hash\",\"mode\":\"$mode\",\"tasks\":$tasks,\"concurrency\":$concurrency}" -w '\n%{http_code}')
    code=${body##*$'\n'}
    body=${body%$'\n'*}
    if [ "$code" = 400 ] && [ "$concurrency" = 2 ] && grep -qi concurrency <<<"$body"; then continue; fi
    break
  done
  result=$(json "v.status + ' ' + v.report?.tasks?.done" <<<"$body" 2>/dev/null) || result="unparsable"
  [ "$result" = "succeeded $tasks" ] || fail "$mode (concurrency $concurrency): HTTP $code, $body"
  echo "smoke: $mode at concurrency $concurrency: $tasks tasks succeeded"
done

# A long job holds child processes when the signal comes (as in test/system/server.test.ts): shutdown must
# cancel it and take them down too. A daemon job, so that it is cancelled at once (a non-daemon one may run on for
# DAEMON_SHUTDOWN_WAIT_MS, 5 s).
if [[ " $modes " == *' processes '* ]]; then
  curl -fsS -o /dev/null -X POST "$url/jobs" -H 'content-type: application/json' \
    -d '{"workload":"db","mode":"processes","tasks":100000,"concurrency":2,"daemon":true}' || fail 'a long processes job'
  for _ in $(seq 1 50); do [ "$(ps -o pid= -s "$server" | wc -l)" -ge 4 ] && break; sleep 0.1; done
fi
# Everything in the service's session before the signal, then SIGTERM to npm as a process manager would send it.
members=$(ps -o pid= -s "$server" | tr -d ' ' | tr '\n' ' ')
start=$(date +%s%N)
kill -TERM "$server"
code=''
for _ in $(seq 1 50); do
  if ! kill -0 "$server" 2>/dev/null; then wait "$server" && code=0 || code=$?; break; fi
  sleep 0.1
done
elapsed=$(( ($(date +%s%N) - start) / 1000000 ))
[ -n "$code" ] || fail "still running 5 s after SIGTERM"
[ "$code" = 0 ] || fail "exit code $code after SIGTERM"
sleep 0.2
left=$(ps -o pid=,args= -s "$server" || true)
for pid in $members; do kill -0 "$pid" 2>/dev/null && left="$left"$'\n'"$(ps -o pid=,args= -p "$pid")"; done
[ -z "${left//[[:space:]]/}" ] || fail "processes left after exit: $left"
grep -q '"signal":"SIGTERM"' "$log" || fail 'the service did not log the SIGTERM'
server=''
echo "smoke: SIGTERM -> exit 0 in $elapsed ms, no process left ($(wc -w <<<"$members") in its session before)"
