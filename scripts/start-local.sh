#!/usr/bin/env bash
# Starts a working NetSentinel on this machine from its embedded defaults: certificates and
# config (made once), the server with SQLite, and a local agent on the first usable interface.
# Arguments: BIN_DIR RUN_DIR. Everything lives in RUN_DIR; Ctrl-C stops both programs.
set -euo pipefail
bin=$1 run=$2
mkdir -p "$run"
cd "$run"
config="$run/sentinel_config.json"

if [ ! -f "$config" ]; then
  "$bin/sentinel-certs" --out-dir "$run"
  # The agent keeps its identity and spool next to the rest of this installation.
  python3 - "$config" <<'PY'
import json, os, sys
path = sys.argv[1]
cfg = json.load(open(path))
cfg.setdefault("state_dir", "agent-state")
tmp = path + ".tmp"
fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump(cfg, f, indent=2)
os.replace(tmp, path)
PY
fi

gui_port=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print(c.get("gui_port", c.get("server_port", 8443)))' "$config")
agent_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("agent_port", 8444))' "$config")

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo; echo "stopping NetSentinel..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop_all INT TERM EXIT

"$bin/sentinel-server" --config "$config" >>"$run/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -s -o /dev/null --cacert "$run/certs/ca.crt" "https://localhost:$gui_port/" && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "the server stopped; see $run/server.log:"; tail -20 "$run/server.log"; exit 1; }
  sleep 0.2
done

as_root=()
[ "$(id -u)" -eq 0 ] || as_root=(sudo)
"${as_root[@]}" "$bin/sentinel-agent" --config "$config" --server "https://127.0.0.1:$agent_port" \
  >>"$run/agent.log" 2>&1 &
pids+=($!)

password_file="$run/data/initial_admin_password"
cat <<MSG

  NetSentinel is running.

  Dashboard:  https://localhost:$gui_port/
              (the certificate is signed by NetSentinel's own CA: $run/certs/ca.crt —
               import it into the browser, or accept the warning once)
  Log in as:  admin
  Password:   $( [ -f "$password_file" ] && cat "$password_file" || echo "the one you set (SENTINEL_ADMIN_PASSWORD) or printed in $run/server.log" )

  Agent API:  https://127.0.0.1:$agent_port/  (local agent capturing on the first usable interface)
  Logs:       $run/server.log, $run/agent.log
  Ctrl-C stops the server and the agent.

MSG
wait -n "${pids[@]}" || true
echo "a NetSentinel program stopped; last lines of its logs:"
tail -5 "$run/server.log" "$run/agent.log"
