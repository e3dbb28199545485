"""Reference timing: one CycleGAN training step in PyTorch on the CPU.

One step is the reference release's optimize_parameters: G_A(a), G_B(G_A(a)), G_B(b), G_A(G_B(b)); the
generators' update (LSGAN terms through D_A and D_B, cycle L1 with lambda 10, identity L1 with 0.5 lambda, one
Adam over both generators); then the discriminators' update (each D on real images and on the step's
translations drawn through a history pool of 50, its loss halved, one Adam over both). The networks are
scripts/torch_cyclegan.py's twins of nash's (ResNet generator, PatchGAN), with the release's initialisation.
Images are uniform noise in [-1, 1]: only the time matters here; nash bench --model cyclegan times the same.

Usage (Debian's python3-torch lives under /usr/bin/python3):
    /usr/bin/python3 torch_cyclegan_step.py --ngf 16 --ndf 16 --blocks 3 --layers 2 --size 32 --threads 1 [--json]
"""
import argparse
import os
import random
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402
import torchtime  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from torch_cyclegan import NLayerDiscriminator, ResnetGenerator, init_weights  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--ngf", type=int, default=64)
p.add_argument("--ndf", type=int, default=64)
p.add_argument("--blocks", type=int, default=9)
p.add_argument("--layers", type=int, default=3)
p.add_argument("--size", type=int, default=32)
p.add_argument("--batch", type=int, default=1)
torchtime.add_args(p)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
random.seed(0)

GA, GB = ResnetGenerator(3, 3, a.ngf, a.blocks), ResnetGenerator(3, 3, a.ngf, a.blocks)
DA, DB = NLayerDiscriminator(3, a.ndf, a.layers), NLayerDiscriminator(3, a.ndf, a.layers)
for net in (GA, GB, DA, DB):
    init_weights(net)
optG = torch.optim.Adam(list(GA.parameters()) + list(GB.parameters()), lr=2e-4, betas=(0.5, 0.999))
optD = torch.optim.Adam(list(DA.parameters()) + list(DB.parameters()), lr=2e-4, betas=(0.5, 0.999))
mse, l1 = torch.nn.MSELoss(), torch.nn.L1Loss()
lam, idt = 10.0, 0.5
real_a = torch.rand(a.batch, 3, a.size, a.size) * 2 - 1
real_b = torch.rand(a.batch, 3, a.size, a.size) * 2 - 1


class Pool:
    """The release's ImagePool of 50."""

    def __init__(self, size=50):
        self.size, self.images = size, []

    def query(self, images):
        out = []
        for im in images:
            im = im.unsqueeze(0)
            if len(self.images) < self.size:
                self.images.append(im)
                out.append(im)
            elif random.uniform(0, 1) > 0.5:
                k = random.randint(0, self.size - 1)
                out.append(self.images[k].clone())
                self.images[k] = im
            else:
                out.append(im)
        return torch.cat(out, 0)


pool_a, pool_b = Pool(), Pool()


def gan(pred, target):
    return mse(pred, torch.full_like(pred, target))


def step():
    fake_b = GA(real_a)
    rec_a = GB(fake_b)
    fake_a = GB(real_b)
    rec_b = GA(fake_a)
    for d in (DA, DB):
        d.requires_grad_(False)
    optG.zero_grad(set_to_none=True)
    loss_idt = (l1(GA(real_b), real_b) + l1(GB(real_a), real_a)) * lam * idt
    loss_g = gan(DA(fake_b), 1.0) + gan(DB(fake_a), 1.0) + l1(rec_a, real_a) * lam + l1(rec_b, real_b) * lam + loss_idt
    loss_g.backward()
    optG.step()
    for d in (DA, DB):
        d.requires_grad_(True)
    optD.zero_grad(set_to_none=True)
    fb, fa = pool_b.query(fake_b.detach()), pool_a.query(fake_a.detach())
    loss_da = (gan(DA(real_b), 1.0) + gan(DA(fb), 0.0)) * 0.5
    loss_db = (gan(DB(real_a), 1.0) + gan(DB(fa), 0.0)) * 0.5
    (loss_da + loss_db).backward()
    optD.step()
    return loss_g.item()


torchtime.report(step, a, "cyclegan", a.batch, f"cyclegan ngf={a.ngf} blocks={a.blocks} size={a.size}")
