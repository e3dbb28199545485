#!/usr/bin/python3
"""Check nash's spectral normalisation (nn.Spectral) against PyTorch's.

Run by hand with Debian's PyTorch, from anywhere in the repository:

    /usr/bin/python3 scripts/torch_spectral_check.py
    /usr/bin/python3 scripts/torch_spectral_check.py --seed 7 --steps 8
    /usr/bin/python3 scripts/torch_spectral_check.py --write-golden

For a Linear(5, 4) and a Conv2d(2, 3, 3, padding=1), each wrapped in
torch.nn.utils.spectral_norm, the script records with torch.manual_seed(seed):
the initial state dict (bias, weight_orig, weight_u, weight_v); then --steps
training steps, each a training-mode forward of a random x, the loss
sum(y * g) for a random g, its backward, σ = uᵀ·W·v from the updated buffers
and plain SGD, p -= lr·grad; then one eval-mode forward.

It writes these tensors to a JSON file and runs the Go test helper
TestSpectralNormMatchesTorch with NASH_SPECTRAL_TORCH naming that file and
NASH_SPECTRAL_OUT naming a file for nash's results: the test loads the initial
state into nash's SpectralNorm with LoadStateDict (so the names must be
PyTorch's), replays the steps and writes the same quantities as nash computes
them. The script prints the largest absolute difference of each quantity and
exits 1 if any exceeds --tol or the Go test fails.

--write-golden also stores the torch file as nn/testdata/spectral_torch.json,
which TestSpectralNormMatchesTorch replays on every `go test ./nn`.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch
from torch import nn

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOLDEN = os.path.join(REPO, "nn", "testdata", "spectral_torch.json")

CASES = [
    {"name": "linear", "layer": {"kind": "linear", "in": 5, "out": 4, "bias": True}, "x": [6, 5]},
    {
        "name": "conv2d",
        "layer": {"kind": "conv2d", "in": 2, "out": 3, "kernel": 3, "stride": 1, "padding": 1, "bias": True},
        "x": [2, 2, 5, 5],
    },
]


def build(layer):
    if layer["kind"] == "linear":
        m = nn.Linear(layer["in"], layer["out"], bias=layer["bias"])
    else:
        m = nn.Conv2d(layer["in"], layer["out"], layer["kernel"], stride=layer["stride"],
                      padding=layer["padding"], bias=layer["bias"])
    return nn.utils.spectral_norm(m)


def enc(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": t.flatten().tolist()}


def sigma(m):
    w = m.weight_orig.detach()
    return float(torch.dot(m.weight_u, w.reshape(w.shape[0], -1) @ m.weight_v))


def record(case, steps, lr):
    m = build(case["layer"])
    sd = m.state_dict()
    out = {
        "name": case["name"],
        "layer": case["layer"],
        "state_dict_names": list(sd.keys()),
        "init": {k: enc(v) for k, v in sd.items()},
        "steps": [],
    }
    m.train()
    for _ in range(steps):
        x = torch.randn(*case["x"])
        y = m(x)
        g = torch.randn_like(y)
        m.zero_grad()
        (y * g).sum().backward()
        step = {
            "x": enc(x),
            "grad_output": enc(g),
            "output": enc(y),
            "sigma": sigma(m),
            "weight_u": enc(m.weight_u),
            "weight_v": enc(m.weight_v),
            "weight_orig_grad": enc(m.weight_orig.grad),
            "bias_grad": enc(m.bias.grad),
        }
        out["steps"].append(step)
        with torch.no_grad():
            for p in m.parameters():
                p -= lr * p.grad
    m.eval()
    x = torch.randn(*case["x"])
    with torch.no_grad():
        out["eval"] = {"x": enc(x), "output": enc(m(x)), "sigma": sigma(m)}
    return out


def max_diff(a, b):
    if isinstance(a, float):
        return abs(a - b)
    if a["shape"] != b["shape"]:
        raise ValueError(f"shape {b['shape']} from nash, {a['shape']} from torch")
    # Both sides hold float32 values; rounding the decimal text back to
    # float32 recovers them exactly.
    ta = torch.tensor(a["data"], dtype=torch.float32).double()
    tb = torch.tensor(b["data"], dtype=torch.float32).double()
    return float((ta - tb).abs().max()) if ta.numel() else 0.0


def largest(a):
    if isinstance(a, float):
        return abs(a)
    return max((abs(x) for x in a["data"]), default=0.0)


def compare(ref, got):
    """Returns {quantity: (largest |torch − nash|, largest |torch|)} over
    cases and steps."""
    worst = {}
    for rc, gc in zip(ref["cases"], got["cases"], strict=True):
        if rc["name"] != gc["name"]:
            raise ValueError(f"case {gc['name']} from nash, {rc['name']} from torch")
        pairs = [(s, t) for s, t in zip(rc["steps"], gc["steps"], strict=True)]
        pairs.append((rc["eval"], gc["eval"]))
        for rs, gs in pairs:
            for key in ("output", "sigma", "weight_u", "weight_v", "weight_orig_grad", "bias_grad"):
                if key in rs:
                    name = f"{rc['name']} {key}"
                    d, m = worst.get(name, (0.0, 0.0))
                    worst[name] = (max(d, max_diff(rs[key], gs[key])), max(m, largest(rs[key])))
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--tol", type=float, default=1e-5)
    ap.add_argument("--write-golden", action="store_true", help=f"also write {os.path.relpath(GOLDEN, REPO)}")
    args = ap.parse_args()

    torch.manual_seed(args.seed)
    ref = {
        "torch_version": torch.__version__,
        "seed": args.seed,
        "lr": args.lr,
        "cases": [record(c, args.steps, args.lr) for c in CASES],
    }
    with tempfile.TemporaryDirectory() as tmp:
        ref_path = os.path.join(tmp, "torch.json")
        got_path = os.path.join(tmp, "nash.json")
        with open(ref_path, "w") as f:
            json.dump(ref, f)
        env = dict(os.environ, NASH_SPECTRAL_TORCH=ref_path, NASH_SPECTRAL_OUT=got_path)
        run = subprocess.run(["go", "test", "./nn", "-run", "^TestSpectralNormMatchesTorch$", "-count=1", "-v"],
                             cwd=REPO, env=env, capture_output=True, text=True)
        print(run.stdout, run.stderr, sep="", end="")
        if run.returncode != 0 or not os.path.exists(got_path):
            print("FAIL: the Go test helper failed")
            return 1
        with open(got_path) as f:
            got = json.load(f)
        if args.write_golden:
            os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
            shutil.copyfile(ref_path, GOLDEN)
            print("wrote", os.path.relpath(GOLDEN, REPO))

    worst = compare(ref, got)
    print(f"torch {torch.__version__}, seed {args.seed}, {args.steps} steps, lr {args.lr}")
    for name, (d, m) in worst.items():
        print(f"  {name:24s} max |torch − nash| = {d:.3g}   (values up to {m:.3g})")
    overall = max(d for d, _ in worst.values())
    if overall > args.tol:
        print(f"FAIL: max error {overall:.3g} above {args.tol:g}")
        return 1
    print(f"OK: max error {overall:.3g} ≤ {args.tol:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
