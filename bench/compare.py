#!/usr/bin/python3
"""Times nash against PyTorch on the same GAN training step, alternately, in one run.

For each thread count and each model, it runs `nash bench --json` and bench/torch_gan_step.py --json in turn,
several rounds, and prints the median ms/step of each and the ratio (PyTorch time / nash time: above 1 means
nash is faster), then each engine at its better thread count. With --background N, every round also times both
engines with N busy processes beside them (`nash bench --busy`, the load `nash bench --background` uses), so
that the ratio under load and on the machine as it is come from the same run. Needs Debian's python3-torch with
OpenBLAS (`apt-get install python3-torch libopenblas0-pthread`; without OpenBLAS, torch uses the reference BLAS and
is some 20 times slower) and a nash binary:

    go build -o /tmp/nash ./cmd/nash
    /usr/bin/python3 bench/compare.py --nash /tmp/nash --threads 1 2 --models mlp gp-mlp --rounds 3
    /usr/bin/python3 bench/compare.py --nash /tmp/nash --models mlp dcgan --background 1
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

p = argparse.ArgumentParser()
p.add_argument("--nash", default="nash", help="the nash binary")
p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
p.add_argument("--models", nargs="+", default=["mlp"],
               help="mlp, gp-mlp, dcgan, gp-dcgan (as torch_gan_step.py names them), mle, seqgan (torch_seq_step.py), "
                    "cyclegan-digits (the digits benchmark's networks at 32x32), cyclegan-128 (the release's 6-block "
                    "networks at 128x128, batch 1)")
p.add_argument("--rounds", type=int, default=3)
p.add_argument("--background", type=int, default=0,
               help="also time both engines with this many busy processes beside them, alternating with none")
p.add_argument("--markdown", action="store_true", help="print a markdown table")
a = p.parse_args()
if a.background < 0:
    sys.exit(f"compare.py: --background must be ≥ 0, got {a.background}")

# nash bench flags for each torch_gan_step.py model.
NASH = {"mlp": [], "gp-mlp": ["--loss", "wgan-gp"],
        "dcgan": ["--model", "dcgan"], "gp-dcgan": ["--model", "dcgan", "--loss", "wgan-gp"],
        "mle": ["--model", "mle", "--bench-steps", "5", "--repeats", "3"], "seqgan": ["--model", "seqgan", "--bench-steps", "6", "--repeats", "1", "--warmup", "0"],
        "cyclegan-digits": ["--model", "cyclegan", "--image-size", "32", "--ngf", "16", "--ndf", "16", "--n-blocks", "3",
                            "--n-layers-d", "2", "--bench-steps", "10"],
        "cyclegan-128": ["--model", "cyclegan", "--image-size", "128", "--n-blocks", "6", "--repeats", "3",
                         "--bench-steps", "2", "--warmup", "1"]}
# The PyTorch script and its flags for each model (torch_gan_step.py --model M otherwise).
TORCH = {"mle": ["torch_seq_step.py", "--model", "mle", "--steps", "5", "--repeats", "3"],
         "seqgan": ["torch_seq_step.py", "--model", "seqgan", "--steps", "6", "--repeats", "1", "--warmup", "0"],
         "cyclegan-digits": ["torch_cyclegan_step.py", "--size", "32", "--ngf", "16", "--ndf", "16", "--blocks", "3",
                             "--layers", "2", "--steps", "10"],
         "cyclegan-128": ["torch_cyclegan_step.py", "--size", "128", "--blocks", "6", "--repeats", "3", "--steps", "2",
                          "--warmup", "1"]}


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


class Background:
    """n busy processes (nash bench --busy) for the length of a with block; they stop when stdin closes."""

    def __init__(self, n):
        self.n, self.procs = n, []

    def __enter__(self):
        self.procs = [subprocess.Popen([a.nash, "bench", "--busy"], stdin=subprocess.PIPE) for _ in range(self.n)]
        time.sleep(0.1)
        return self

    def __exit__(self, *exc):
        for q in self.procs:
            q.stdin.close()
        for q in self.procs:
            q.wait()
        # Let the machine settle before the next quiet figure.
        time.sleep(2.5)


def measure(model, t):
    n = run([a.nash, "bench", "--json", "--threads", str(t)] + NASH[model])["ms_per_step_median"]
    script, *flags = TORCH.get(model, ["torch_gan_step.py", "--model", model])
    q = run([sys.executable, os.path.join(HERE, script)] + flags + ["--threads", str(t), "--json"])["ms_per_step_median"]
    return n, q


for model in a.models:
    if model not in NASH:
        sys.exit(f"compare.py: model {model!r} has no nash equivalent yet (know {sorted(NASH)})")

conditions = ["quiet"] + ([f"{a.background} busy"] if a.background else [])
rows = []  # (condition, model, threads, nash ms, torch ms)
for model in a.models:
    for t in a.threads:
        times = {c: ([], []) for c in conditions}
        for _ in range(a.rounds):
            for c in conditions:
                if c == "quiet":
                    n, q = measure(model, t)
                else:
                    with Background(a.background):
                        n, q = measure(model, t)
                times[c][0].append(n)
                times[c][1].append(q)
        for c in conditions:
            rows.append((c, model, t, statistics.median(times[c][0]), statistics.median(times[c][1])))

# Each engine at its better thread count, per model and condition: the comparison.
best = []
for c in conditions:
    for model in a.models:
        mine = [r for r in rows if r[0] == c and r[1] == model]
        n = min(mine, key=lambda r: r[3])
        q = min(mine, key=lambda r: r[4])
        best.append((c, model, n[2], n[3], q[2], q[4]))


def ratio(c, model):
    return next(q / n for cc, m, _, n, _, q in best if cc == c and m == model)


if a.markdown:
    print("| load | model | threads | nash ms/step | PyTorch ms/step | PyTorch / nash |")
    print("|---|---|---|---|---|---|")
    for c, m, t, n, q in rows:
        print(f"| {c} | {m} | {t} | {n:.2f} | {q:.2f} | {q / n:.2f}× |")
    for c, m, nt, n, qt, q in best:
        print(f"| {c} | {m}, each at its better thread count | {nt} / {qt} | {n:.2f} | {q:.2f} | {q / n:.2f}× |")
else:
    for c, m, t, n, q in rows:
        print(f"{c:8s} {m:8s} threads={t}  nash {n:7.2f} ms/step  torch {q:7.2f} ms/step  torch/nash {q / n:5.2f}x")
    for c, m, nt, n, qt, q in best:
        print(f"{c:8s} {m:8s} best      nash {n:7.2f} ms/step (threads={nt})  torch {q:7.2f} ms/step (threads={qt})"
              f"  torch/nash {q / n:5.2f}x")
if a.background:
    for model in a.models:
        print(f"{model}: ratio with {a.background} busy / quiet ratio = "
              f"{ratio(conditions[1], model):.2f} / {ratio('quiet', model):.2f} = "
              f"{ratio(conditions[1], model) / ratio('quiet', model):.0%}")
