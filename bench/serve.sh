#!/usr/bin/env bash
# Measures nash serve on this machine, loopback only, bounded in time: the images per second of one
# generator served one request at a time (--max-batch 1) and with micro-batching (--max-batch 64), with
# --clients clients each asking for one image per request, beside PyTorch's in-process rate for the same
# weights at batch 64 (bench/torch_generator.py), then --many clients for the load test: status codes,
# latency percentiles and the server's peak resident memory.
#
#   bench/serve.sh RUN_DIR [SECONDS] [CLIENTS] [MANY] [MANY_SECONDS]   # e.g. bench/serve.sh runs/dcgan 15 64 1000 60
set -euo pipefail
run=${1:?usage: bench/serve.sh RUN_DIR [SECONDS] [CLIENTS] [MANY] [MANY_SECONDS]}
secs=${2:-15}
clients=${3:-64}
many=${4:-1000}
many_secs=${5:-60}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/nash" ./cmd/nash
go build -o "$tmp/loadgen" ./scripts/loadgen
"$tmp/nash" export --run "$run" --format safetensors --out "$tmp/g.safetensors" >/dev/null
threads=$(nproc)
addr=127.0.0.1:18093

# serve ARGS… starts nash serve in the background and waits until it answers.
serve() {
  "$tmp/nash" serve --model "$tmp/g.safetensors" --addr $addr "$@" >/dev/null 2>"$tmp/serve.log" &
  pid=$!
  until curl -sf "http://$addr/v2/health/ready" >/dev/null; do
    kill -0 $pid 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
    sleep 0.1
  done
}

# stop ends the server with SIGTERM and prints its peak resident memory and mean batch.
stop() {
  echo "  server peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/$pid/status)," \
    "mean forward batch: $(curl -s "http://$addr/metrics" | awk '/^nash_batch_size_sum/ {s=$2} /^nash_batch_size_count/ {c=$2} END {printf "%.1f", s/c}')"
  kill -TERM $pid
  wait $pid
}

for mb in 1 64; do
  echo "nash serve --max-batch $mb --queue 1024, $clients clients, one image per request, ${secs}s:"
  serve --max-batch $mb --queue 1024
  "$tmp/loadgen" -url "http://$addr/v1/samples?n=1&format=npy" -c "$clients" -d "${secs}s" | sed 's/^/  /'
  stop
done
echo "PyTorch in-process, the same weights, batch 64, 1 and $threads threads:"
for th in $(printf '%s\n' 1 "$threads" | sort -un); do
  /usr/bin/python3 bench/torch_generator.py "$tmp/g.safetensors" --threads "$th" --batch 64 | sed 's/^/  /'
done
echo "nash serve (defaults: --max-batch 64, --queue 256), $many clients, one image per request, ${many_secs}s:"
serve
"$tmp/loadgen" -url "http://$addr/v1/samples?n=1&format=npy" -c "$many" -d "${many_secs}s" | sed 's/^/  /'
stop
