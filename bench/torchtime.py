"""The timing shared by nash's PyTorch twins (torch_gan_step.py, torch_seq_step.py, torch_cyclegan_step.py).

add_args adds the timing flags every twin takes; report runs a step function --warmup times untimed, then
--repeats timed repeats of --steps steps, and prints the milliseconds per step (median, min, max) as one line or,
with --json, as the JSON object bench/compare.py reads.
"""
import json
import statistics
import time

import torch


def add_args(p):
    """Adds --threads, --steps, --repeats, --warmup and --json to the parser p."""
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=20, help="steps per timed repeat")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--json", action="store_true")


def report(step, a, model, batch, label):
    """Times step with a's timing flags and prints the result; label describes the model in the text line."""
    for _ in range(a.warmup):
        step()
    per = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step()
        per.append((time.perf_counter() - t0) * 1000 / a.steps)
    per.sort()
    res = {"engine": "torch " + torch.__version__, "model": model, "threads": a.threads, "batch": batch,
           "ms_per_step_median": round(statistics.median(per), 3), "ms_min": round(per[0], 3),
           "ms_max": round(per[-1], 3)}
    print(json.dumps(res) if a.json else
          f"torch {torch.__version__} {label} threads={a.threads} batch={batch} "
          f"ms/step median={res['ms_per_step_median']:.2f} min={per[0]:.2f} max={per[-1]:.2f}")
