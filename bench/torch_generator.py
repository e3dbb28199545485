"""Reference rate: a nash generator run by PyTorch in-process on the CPU, in images per second.

Loads the generator that `nash export --format safetensors` writes (its tensors under PyTorch's names) into the
same network in torch.nn, checks that it loads strictly, and times evaluation-mode forward passes under
torch.no_grad() at --batch. Networks: the MNIST DCGAN generator of models/dcgan.go (with BatchNorm, the one
`nash train --model dcgan` trains) and the recipe MLP.

Usage (Debian's python3-torch lives under /usr/bin/python3):
    nash export --run DIR --format safetensors --out g.safetensors
    /usr/bin/python3 bench/torch_generator.py g.safetensors --threads 2 --batch 64 [--json]
"""
import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import safetensors_io  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("file", help="a generator written by nash export --format safetensors")
p.add_argument("--threads", type=int, default=1)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--passes", type=int, default=50, help="forward passes per timed repeat")
p.add_argument("--repeats", type=int, default=5)
p.add_argument("--json", action="store_true")
a = p.parse_args()
torch.set_num_threads(a.threads)


sd, meta = safetensors_io.read(a.file)
spec = json.loads(meta["model"])
z_dim = spec["z_dim"]
sample = spec["sample_shape"]
if spec.get("classes") or spec["family"] not in ("dcgan", "mlp") or (sample["C"], sample["H"], sample["W"]) != (1, 28, 28):
    sys.exit(f"{a.file}: a {spec['family']} generator of {sample} with {spec.get('classes', 0)} classes; "
             "this twin has only the unconditional MNIST dcgan and the recipe mlp")
if spec["family"] == "dcgan":
    G = nn.Sequential(nn.Linear(z_dim, 128 * 7 * 7, bias=False), nn.Unflatten(1, (128, 7, 7)), nn.BatchNorm2d(128),
                      nn.ReLU(), nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
else:
    G = nn.Sequential(nn.Linear(z_dim, 256), nn.LeakyReLU(0.2), nn.Linear(256, 512), nn.LeakyReLU(0.2),
                      nn.Linear(512, 784), nn.Tanh())
G.load_state_dict(sd, strict=True)
G.eval()
z = torch.randn(a.batch, z_dim)
rates = []
with torch.no_grad():
    for _ in range(5):
        G(z)
    for _ in range(a.repeats):
        t = time.perf_counter()
        for _ in range(a.passes):
            G(z)
        rates.append(a.batch * a.passes / (time.perf_counter() - t))
r = {"framework": "torch " + torch.__version__, "family": spec["family"], "threads": a.threads, "batch": a.batch,
     "images_per_s_median": statistics.median(rates), "images_per_s_max": max(rates)}
if a.json:
    print(json.dumps(r))
else:
    print(f"torch {torch.__version__} {spec['family']} generator threads={a.threads} batch={a.batch}: "
          f"{r['images_per_s_median']:.0f} images/s median of {a.repeats} ({r['images_per_s_max']:.0f} max)")
