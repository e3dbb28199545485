#!/usr/bin/python3
"""Compare nash's Conv2d, ConvTranspose2d and BatchNorm with PyTorch's.

Run by hand from the repository root with Debian's PyTorch, not by CI:

    apt-get install python3-torch
    /usr/bin/python3 scripts/torch_conv_check.py

For each case below the script builds the torch.nn layer with
torch.manual_seed(--seed), draws an input x and a loss weight gy, and computes
y = layer(x), the gradients of sum(gy * y) with respect to x and every
parameter, and, for BatchNorm, the running statistics after the forward pass.
It writes x, gy and the layer's state dict to a safetensors file, runs
`go run ./scripts/convparity` on it, reads nash's results back and prints the
largest absolute difference of every tensor, with the largest reference
magnitude for scale. It exits 1 if any difference exceeds
--tol * max(1, largest reference magnitude).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import safetensors_io
import torch
from torch import nn

# name, constructor, input shape
CASES = [
    ("conv_bias", dict(kind="Conv2d", **{"in": 3}, out=8, kernel=4, stride=2, padding=1, bias=True), (4, 3, 16, 16)),
    ("conv_nobias", dict(kind="Conv2d", **{"in": 8}, out=5, kernel=3, stride=1, padding=1, bias=False), (2, 8, 9, 7)),
    ("conv_dcgan", dict(kind="Conv2d", **{"in": 64}, out=128, kernel=4, stride=2, padding=1, bias=True), (8, 64, 14, 14)),
    ("convt_dcgan", dict(kind="ConvTranspose2d", **{"in": 128}, out=64, kernel=4, stride=2, padding=1, bias=True),
     (4, 128, 7, 7)),
    ("convt_outpad", dict(kind="ConvTranspose2d", **{"in": 6}, out=3, kernel=3, stride=2, padding=1, output_padding=1,
                          bias=True), (2, 6, 5, 5)),
    ("convt_project", dict(kind="ConvTranspose2d", **{"in": 100}, out=32, kernel=4, stride=1, padding=0, bias=False),
     (3, 100, 1, 1)),
    ("bn2d_train", dict(kind="BatchNorm2d", **{"in": 6}, training=True), (5, 6, 7, 7)),
    ("bn2d_eval", dict(kind="BatchNorm2d", **{"in": 6}, training=False), (5, 6, 7, 7)),
    ("bn1d_train", dict(kind="BatchNorm1d", **{"in": 5}, training=True), (8, 5)),
]


def build(c):
    k = c["kind"]
    if k == "Conv2d":
        return nn.Conv2d(c["in"], c["out"], c["kernel"], c["stride"], c["padding"], bias=c["bias"])
    if k == "ConvTranspose2d":
        return nn.ConvTranspose2d(c["in"], c["out"], c["kernel"], c["stride"], c["padding"],
                                  output_padding=c.get("output_padding", 0), bias=c["bias"])
    m = (nn.BatchNorm2d if k == "BatchNorm2d" else nn.BatchNorm1d)(c["in"])
    with torch.no_grad():
        # Move every parameter and statistic off its constant initial value.
        m.weight.uniform_(0.5, 2)
        m.bias.uniform_(-1, 1)
        m.running_mean.uniform_(-1, 1)
        m.running_var.uniform_(0.5, 2)
    m.train(c["training"])
    return m


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--keep", help="folder to keep the exchanged files in")
    a = p.parse_args()
    torch.manual_seed(a.seed)

    tensors, meta, want = {}, [], {}
    for name, c, shape in CASES:
        m = build(c)
        # The state before the forward pass goes to nash; for BatchNorm in
        # training mode the statistics after it are part of the reference.
        state = {k: v.clone() for k, v in m.state_dict().items()}
        x = torch.randn(shape, requires_grad=True)
        y = m(x)
        gy = torch.randn(y.shape)
        (y * gy).sum().backward()
        meta.append(dict(name=name, **c))
        tensors[name + ".x"], tensors[name + ".gy"] = x, gy
        for k, v in state.items():
            tensors[name + "." + k] = v
        want[name + ".y"], want[name + ".dx"] = y, x.grad
        for pname, param in m.named_parameters():
            want[name + ".d" + pname] = param.grad
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            want[name + ".running_mean"] = m.running_mean.clone()
            want[name + ".running_var"] = m.running_var.clone()

    folder = a.keep or tempfile.mkdtemp(prefix="torch_conv_check.")
    os.makedirs(folder, exist_ok=True)
    cases_path, nash_path = os.path.join(folder, "cases.safetensors"), os.path.join(folder, "nash.safetensors")
    safetensors_io.write(cases_path, tensors, {"cases": json.dumps(meta)})
    subprocess.run(["go", "run", "./scripts/convparity", "-in", cases_path, "-out", nash_path], check=True)
    got, _ = safetensors_io.read(nash_path)

    bad = False
    print("%-28s %12s %12s" % ("tensor", "max |diff|", "max |torch|"))
    for name in sorted(want):
        ref = want[name].detach()
        if name not in got:
            print("%-28s missing from nash's results" % name)
            bad = True
            continue
        if tuple(got[name].shape) != tuple(ref.shape):
            print("%-28s shape %s, torch %s" % (name, tuple(got[name].shape), tuple(ref.shape)))
            bad = True
            continue
        diff = (got[name] - ref).abs().max().item()
        scale = ref.abs().max().item()
        flag = ""
        if diff > a.tol * max(1.0, scale):
            flag, bad = "  FAIL", True
        print("%-28s %12.3g %12.3g%s" % (name, diff, scale, flag))
    extra = sorted(set(got) - set(want))
    if extra:
        print("unexpected tensors from nash:", extra)
        bad = True
    print("FAIL" if bad else "OK: every difference within %g x max(1, |torch|)" % a.tol)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
