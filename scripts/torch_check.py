#!/usr/bin/python3
"""Check that nash's safetensors checkpoints and PyTorch agree, both ways.

Run by hand with Debian's PyTorch, not by CI:

    apt-get install python3-torch
    /usr/bin/python3 scripts/torch_check.py check checkpoint/testdata/nash.safetensors
    /usr/bin/python3 scripts/torch_check.py write checkpoint/testdata/torch.safetensors

check FILE   reads FILE, lists its tensors, builds the nn.Sequential given by
             --model (with --classes K, nash's conditional generator over it;
             with --classes K --head H, the projection discriminator of body
             --model and head H, both taking FILE's int64 "labels"), loads the tensors named --prefix* into it with
             load_state_dict(strict=True) and, when FILE holds "input" and
             "output", runs the model in eval mode on input and compares the
             result with output. It then re-encodes the tensors with nash's
             layout (sorted names, sorted metadata, header padded with spaces
             to a multiple of 8) and reports whether the bytes are identical.
             Exits 1 if loading fails or the outputs differ by more than --tol.
write FILE   builds --model with torch.manual_seed(--seed), runs three
             training-mode forward passes so that BatchNorm's running
             statistics and num_batches_tracked move (after adding noise to
             every parameter, so that none keeps its constant initial value), and writes its
             state_dict under --prefix with a fixed "input" and the model's
             eval-mode "output", in nash's layout.

Files are read with the safetensors package when it is installed and --io is
auto; Debian has no python3-safetensors, so by default safetensors_io.py (beside
this file: json + struct + torch.frombuffer) does it. Files are always written
by safetensors_io.py, so that the bytes follow nash's layout.
"""

import argparse
import sys

import safetensors_io
import torch
from torch import nn

DEFAULT_MODEL = "Linear(3,4), BatchNorm1d(4), LeakyReLU(0.2), Linear(4,2)"

def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def read(path, io):
    if io in ("auto", "safetensors"):
        try:
            from safetensors import safe_open
        except ImportError:
            if io == "safetensors":
                raise
        else:
            with safe_open(path, framework="pt") as f:
                return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}, "safetensors"
    tensors, metadata = safetensors_io.read(path)
    return tensors, metadata, "safetensors_io.py"


def build(spec):
    layers = {k: getattr(nn, k) for k in dir(nn) if k[:1].isupper()}
    return nn.Sequential(*eval("[" + spec + "]", {"__builtins__": {}}, layers))


class ConditionalGenerator(nn.Module):
    """nash's models.ConditionalGenerator: net(cat(z, embed(y)))."""

    def __init__(self, classes, dim, net):
        super().__init__()
        self.embed = nn.Embedding(classes, dim)
        self.net = net

    def forward(self, z, y):
        return self.net(torch.cat([z, self.embed(y)], 1))


class ProjectionDiscriminator(nn.Module):
    """nash's models.ProjectionDiscriminator (Miyato and Koyama 2018):
    head(h) + <embed(y), h> with h = body(x)."""

    def __init__(self, classes, features, body, head):
        super().__init__()
        self.body, self.head = body, head
        self.embed = nn.Embedding(classes, features)

    def forward(self, x, y):
        h = self.body(x)
        return self.head(h) + (self.embed(y) * h.flatten(1)).sum(1, keepdim=True)


def build_model(args, tensors):
    """The nn.Sequential of --model, or with --classes the conditional
    generator over it, or with --classes and --head the projection
    discriminator whose body it is."""
    net = build(args.model)
    if not args.classes:
        return net
    if args.head:
        head = build(args.head)
        if len(head) == 1:
            head = head[0]
        features = tensors[args.prefix + "embed.weight"].shape[1]
        return ProjectionDiscriminator(args.classes, features, net, head)
    dim = tensors[args.prefix + "embed.weight"].shape[1]
    return ConditionalGenerator(args.classes, dim, net)


def check(args):
    tensors, metadata, how = read(args.file, args.io)
    print(f"read {args.file} with {how}: {len(tensors)} tensors, metadata {metadata}")
    for name in sorted(tensors):
        t = tensors[name]
        flat = t.reshape(-1)
        head = ", ".join(f"{v:.6g}" for v in flat[:3].tolist())
        print(f"  {name:40s} {safetensors_io.NAMES[t.dtype]:4s} {str(list(t.shape)):12s} [{head}{', ...' if flat.numel() > 3 else ''}]")
    model = build_model(args, tensors)
    sd = {k[len(args.prefix) :]: v for k, v in tensors.items() if k.startswith(args.prefix)}
    model.load_state_dict(sd, strict=True)
    print(f"load_state_dict(strict=True) into {model!r}".replace("\n", " ").replace("  ", ""))
    print(f"  {len(sd)} tensors under {args.prefix!r} loaded")
    for name, t in model.state_dict().items():
        if not torch.equal(t, sd[name]):
            fail(f"{name} differs after loading")
    if "input" in tensors and "output" in tensors:
        model.eval()
        with torch.no_grad():
            if args.classes:
                y = model(tensors["input"], tensors["labels"])
            else:
                y = model(tensors["input"])
        diff = (y - tensors["output"]).abs().max().item()
        print(f"  eval forward on input {list(tensors['input'].shape)}: max |torch - file output| = {diff:.3g}")
        if not diff <= args.tol:
            fail(f"outputs differ by {diff:.3g} > {args.tol}")
    with open(args.file, "rb") as f:
        same = f.read() == safetensors_io.encode(tensors, metadata)
    print(f"re-encoded in nash's layout: {'identical bytes' if same else 'different bytes'}")
    print("OK")


def write_cmd(args):
    torch.manual_seed(args.seed)
    model = build(args.model)
    model.train()
    width = next(m for m in model if isinstance(m, nn.Linear)).in_features
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
        for _ in range(3):
            model(torch.randn(16, width))
        model.eval()
        x = torch.randn(5, width)
        y = model(x)
    tensors = {args.prefix + k: v for k, v in model.state_dict().items()}
    tensors["input"], tensors["output"] = x, y
    metadata = {"format": "pt", "writer": f"scripts/torch_check.py, torch {torch.__version__}", "model": args.model}
    n = safetensors_io.write(args.file, tensors, metadata)
    print(f"wrote {args.file}: {len(tensors)} tensors, {n} bytes, model {args.model}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check", help="load a safetensors file into a PyTorch model")
    c.add_argument("file")
    c.add_argument("--io", choices=["auto", "safetensors", "builtin"], default="auto")
    c.add_argument("--tol", type=float, default=1e-5)
    w = sub.add_parser("write", help="write a PyTorch model's state_dict")
    w.add_argument("file")
    w.add_argument("--seed", type=int, default=0)
    c.add_argument("--classes", type=int, default=0,
                   help="a conditional network of this many classes: the generator over --model, "
                   "or with --head the projection discriminator whose body is --model; FILE holds int64 labels")
    c.add_argument("--head", default="", help="the projection discriminator's head layers, e.g. 'Linear(6272,1)'")
    for s in (c, w):
        s.add_argument("--model", default=DEFAULT_MODEL, help="nn.Sequential layers, e.g. %(default)r")
        s.add_argument("--prefix", default="generator.", help="name prefix of the model's tensors")
    args = p.parse_args()
    if sys.byteorder != "little":
        fail("this script assumes a little-endian machine")
    if args.cmd == "check":
        check(args)
    else:
        write_cmd(args)


if __name__ == "__main__":
    main()
