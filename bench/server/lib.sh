# Shared by the server benchmark scripts (sourced): a work folder, a self-signed certificate for
# 127.0.0.1, a random agent key, and start/stop of server_bench_runner on GUI_PORT/AGENT_PORT.
# The caller sets `root`, `runner` and `work` first.
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 2>/dev/null
# The server refuses keys under 16 characters.
export API_KEY=bench-key-$(openssl rand -hex 12)
export SENTINEL_ADMIN_PASSWORD=bench-password
gui=${GUI_PORT:-18443}
agent=${AGENT_PORT:-18444}

start() {
  rm -rf "$work/data"
  "$runner" "$work/data" "$work/cert.pem" "$work/key.pem" "$API_KEY" "$gui" "$agent" >"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -sk -o /dev/null "https://127.0.0.1:$agent/" && return 0
    sleep 0.1
  done
  echo "server did not start"; cat "$work/server.log"; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; pid=""; }
