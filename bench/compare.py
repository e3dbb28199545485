#!/usr/bin/python3
"""Times nash against PyTorch on the same GAN training step, alternately, in one run.

For each thread count and each model, it runs `nash bench --json` and bench/torch_gan_step.py --json in turn,
several rounds, and prints the median ms/step of each and the ratio (PyTorch time / nash time: above 1 means
nash is faster), then each engine at its better thread count. Needs Debian's python3-torch (`apt-get install python3-torch`) and a nash binary:

    go build -o /tmp/nash ./cmd/nash
    /usr/bin/python3 bench/compare.py --nash /tmp/nash --threads 1 2 --models mlp gp-mlp --rounds 3
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

p = argparse.ArgumentParser()
p.add_argument("--nash", default="nash", help="the nash binary")
p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
p.add_argument("--models", nargs="+", default=["mlp"], help="mlp, gp-mlp, dcgan, gp-dcgan (as torch_gan_step.py names them)")
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--markdown", action="store_true", help="print a markdown table")
a = p.parse_args()

# nash bench flags for each torch_gan_step.py model.
NASH = {"mlp": [], "gp-mlp": ["--loss", "wgan-gp"],
        "dcgan": ["--model", "dcgan"], "gp-dcgan": ["--model", "dcgan", "--loss", "wgan-gp"]}


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


rows = []
for model in a.models:
    if model not in NASH:
        sys.exit(f"compare.py: model {model!r} has no nash equivalent yet (know {sorted(NASH)})")
    for t in a.threads:
        nash_ms, torch_ms = [], []
        for _ in range(a.rounds):
            nash_ms.append(run([a.nash, "bench", "--json", "--threads", str(t)] + NASH[model])["ms_per_step_median"])
            torch_ms.append(run([sys.executable, os.path.join(HERE, "torch_gan_step.py"), "--model", model,
                                 "--threads", str(t), "--json"])["ms_per_step_median"])
        rows.append((model, t, statistics.median(nash_ms), statistics.median(torch_ms)))

# Each engine at its better thread count, per model: the comparison.
best = []
for model in a.models:
    mine = [r for r in rows if r[0] == model]
    n = min(mine, key=lambda r: r[2])
    q = min(mine, key=lambda r: r[3])
    best.append((model, n[1], n[2], q[1], q[3]))

if a.markdown:
    print("| model | threads | nash ms/step | PyTorch ms/step | PyTorch / nash |")
    print("|---|---|---|---|---|")
    for m, t, n, q in rows:
        print(f"| {m} | {t} | {n:.2f} | {q:.2f} | {q / n:.2f}× |")
    for m, nt, n, qt, q in best:
        print(f"| {m}, each at its better thread count | {nt} / {qt} | {n:.2f} | {q:.2f} | {q / n:.2f}× |")
else:
    for m, t, n, q in rows:
        print(f"{m:8s} threads={t}  nash {n:7.2f} ms/step  torch {q:7.2f} ms/step  torch/nash {q / n:5.2f}x")
    for m, nt, n, qt, q in best:
        print(f"{m:8s} best      nash {n:7.2f} ms/step (threads={nt})  torch {q:7.2f} ms/step (threads={qt})"
              f"  torch/nash {q / n:5.2f}x")
