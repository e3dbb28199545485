#!/usr/bin/env bash
# Data-parallel scaling on one machine: two MPI ranks of one thread each
# (mpirun -np 2 nash train --threads 1) against one process of two threads
# (nash train --threads 2), on the same model, global batch and steps,
# alternating the two within each round so that a busy machine slows both
# alike. Prints, per model and round, the steady time per step of each (from
# metrics.jsonl, after the warm-up steps) and the ratio of their speeds, and
# the ranks' own report of the time spent synchronising.
#
#   bash bench/scaling.sh [rounds] [steps] [models…]   # default: 3 rounds, 40 steps, dcgan mlp
#
# Needs Open MPI (openmpi-bin, libopenmpi-dev) and builds nash with -tags mpi.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
steps=${2:-40}
shift $(( $# > 2 ? 2 : $# ))
models=("${@:-dcgan}")
[ $# -eq 0 ] && models=(dcgan mlp)
warm=$(( steps / 4 ))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -tags mpi -o "$tmp/nash" ./cmd/nash
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# per_step DIR: seconds per step between step $warm and the last, from the
# run's metrics.jsonl (logged at every step).
per_step() {
  python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1] + "/metrics.jsonl")]
t = {r["step"]: r["time"] for r in recs}
w, last = int(sys.argv[2]), max(t)
print((t[last] - t[w]) / (last - w))' "$1" "$warm"
}
for model in "${models[@]}"; do
  args=(train --model "$model" --steps "$steps" --batch 64 --log-every 1 --sample-every "$steps" --force)
  for r in $(seq "$rounds"); do
    mpirun --oversubscribe -np 2 "$tmp/nash" "${args[@]}" --threads 1 --out "$tmp/mpi" 2>"$tmp/mpi.log"
    "$tmp/nash" "${args[@]}" --threads 2 --out "$tmp/threads" 2>/dev/null
    m=$(per_step "$tmp/mpi")
    t=$(per_step "$tmp/threads")
    sync=$(grep -o 'synchronising took .*' "$tmp/mpi.log" || true)
    python3 -c 'import sys; m, t = map(float, sys.argv[2:4]); print(f"{sys.argv[1]:6s} round {sys.argv[4]}: 2 ranks × 1 thread {1e3*m:7.1f} ms/step, 1 process × 2 threads {1e3*t:7.1f} ms/step: speed ratio {t/m:.2f}; {sys.argv[5]}")' \
      "$model" "$m" "$t" "$r" "$sync"
  done
done
