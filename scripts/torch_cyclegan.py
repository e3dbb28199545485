#!/usr/bin/python3
"""CycleGAN's networks in PyTorch, written from the paper, and the bridge
between nash and the authors' release (pytorch-CycleGAN-and-pix2pix).

Run with Debian's PyTorch (/usr/bin/python3; python3-torch):

check FILE   builds the ResNet generator whose sizes FILE's tensors under
             --prefix imply (channels, ngf, residual blocks), loads them
             with load_state_dict(strict=True) and, when FILE holds "input"
             and "output", runs it in eval mode on input and compares with
             output. Exits 1 if loading fails or the largest difference is
             above --tol. nash's models tests run it on a generator nash
             saved (TestResnetGeneratorMatchesTorch).
convert PTH OUT
             converts a generator saved by the release (latest_net_G_A.pth,
             a state dict; the release's test.py loads it the same way)
             into a safetensors file of the same names, which nash
             translate --weights reads: checks that it loads strictly into
             the twin first.
write OUT IO writes a twin generator's state dict to OUT as the release's
             generators convert (--ngf, --blocks, --channels,
             torch.manual_seed(--seed), the release's N(0, 0.02)
             initialisation, biases drawn too), and a fixed "input" of
             --size and its eval-mode "output" to IO; nash's infer tests
             load OUT strictly and compare (TestReleaseGeneratorLoads).

The networks (Zhu et al. 2017, section 4 and appendix 7.2): the generator is
c7s1-ngf, d2ngf, d4ngf, R4ngf × blocks, u2ngf, ungf, c7s1-C: 7×7
convolutions after reflection padding 3, 3×3 stride-2 convolutions down and
fractionally-strided ones up, each followed by instance normalisation and
ReLU; a residual block is two 3×3 convolutions with reflection padding 1,
instance normalisation, a ReLU between them, added to its input; Tanh out.
Instance normalisation has no affine parameters, so every convolution keeps
its bias. The PatchGAN discriminator is C64-C128-C256-C512 of 4×4
convolutions with LeakyReLU(0.2), instance normalisation after all but the
first, then a 4×4 convolution to one channel.
"""

import argparse
import re
import sys

import safetensors_io
import torch
from torch import nn


class ResnetBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim), nn.ReLU(True),
            nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3), nn.InstanceNorm2d(dim))

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    def __init__(self, channels_in, channels_out, ngf, blocks):
        super().__init__()
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels_in, ngf, 7), nn.InstanceNorm2d(ngf), nn.ReLU(True)]
        for i in range(2):
            c = ngf * 2 ** i
            layers += [nn.Conv2d(c, 2 * c, 3, stride=2, padding=1), nn.InstanceNorm2d(2 * c), nn.ReLU(True)]
        layers += [ResnetBlock(4 * ngf) for _ in range(blocks)]
        for i in range(2):
            c = ngf * 2 ** (2 - i)
            layers += [nn.ConvTranspose2d(c, c // 2, 3, stride=2, padding=1, output_padding=1),
                       nn.InstanceNorm2d(c // 2), nn.ReLU(True)]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, channels_out, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    def __init__(self, channels, ndf, layers):
        super().__init__()
        seq = [nn.Conv2d(channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        mult = lambda n: min(2 ** n, 8)
        for n in range(1, layers):
            seq += [nn.Conv2d(ndf * mult(n - 1), ndf * mult(n), 4, 2, 1), nn.InstanceNorm2d(ndf * mult(n)),
                    nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * mult(layers - 1), ndf * mult(layers), 4, 1, 1), nn.InstanceNorm2d(ndf * mult(layers)),
                nn.LeakyReLU(0.2, True), nn.Conv2d(ndf * mult(layers), 1, 4, 1, 1)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


def init_weights(net):
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            nn.init.zeros_(m.bias)


def generator_for(sd):
    """The twin generator that the state dict sd's shapes describe."""
    first, last = sd["model.1.weight"], None
    blocks = {int(m.group(1)) for k in sd for m in [re.match(r"model\.(\d+)\.conv_block\.", k)] if m}
    for k in sd:
        m = re.match(r"model\.(\d+)\.weight$", k)
        if m and (last is None or int(m.group(1)) > last[0]):
            last = (int(m.group(1)), sd[k])
    return ResnetGenerator(first.shape[1], last[1].shape[0], first.shape[0], len(blocks))


def load_strict(sd):
    g = generator_for(sd)
    g.load_state_dict(sd, strict=True)
    return g.eval()


def check(args):
    tensors, _ = safetensors_io.read(args.file)
    sd = {k[len(args.prefix):]: v for k, v in tensors.items() if k.startswith(args.prefix)}
    g = load_strict(sd)
    print(f"loaded {len(sd)} tensors strictly into {type(g).__name__}")
    if "input" in tensors:
        with torch.no_grad():
            y = g(tensors["input"])
        d = (y - tensors["output"]).abs().max().item()
        print(f"largest difference from nash's output: {d:.3g}")
        if not d <= args.tol:
            sys.exit(f"outputs differ by {d:.3g} > {args.tol}")


def convert(args):
    sd = torch.load(args.pth, map_location="cpu")
    if hasattr(sd, "_metadata"):
        del sd._metadata
    sd = {k: v for k, v in sd.items() if not k.endswith("num_batches_tracked")}
    load_strict(sd)
    safetensors_io.write(args.out, sd)
    print(f"wrote {len(sd)} tensors to {args.out}")


def write(args):
    torch.manual_seed(args.seed)
    g = ResnetGenerator(args.channels, args.channels, args.ngf, args.blocks)
    init_weights(g)
    with torch.no_grad():
        for m in g.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                m.bias.uniform_(-0.1, 0.1)
        x = torch.rand(2, args.channels, args.size, args.size) * 2 - 1
        y = g.eval()(x)
    safetensors_io.write(args.out, g.state_dict())
    safetensors_io.write(args.io, {"input": x, "output": y})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("file")
    c.add_argument("--prefix", default="")
    c.add_argument("--tol", type=float, default=1e-4)
    v = sub.add_parser("convert")
    v.add_argument("pth")
    v.add_argument("out")
    w = sub.add_parser("write")
    w.add_argument("out")
    w.add_argument("io")
    for k, d in (("ngf", 8), ("blocks", 2), ("channels", 3), ("size", 16), ("seed", 1)):
        w.add_argument("--" + k, type=int, default=d)
    args = p.parse_args()
    {"check": check, "convert": convert, "write": write}[args.cmd](args)


if __name__ == "__main__":
    main()
