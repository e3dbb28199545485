#!/usr/bin/python3
"""Train PyTorch's twin of nash's default MNIST DCGAN, for comparing sample quality.

Run by hand with Debian's PyTorch, not by CI:

    apt-get install python3-torch
    /usr/bin/python3 scripts/torch_dcgan_train.py --data DIR --epochs 5 --out torch-dcgan.idx
    nash eval --real DIR/t10k-images-idx3-ubyte.gz --fake torch-dcgan.idx --metrics fid,is,prdc,modes

It builds the networks of `nash train --model dcgan` on 28x28 images (models/dcgan.go): G is
Linear(100, 6272, bias=False), Unflatten(1, (128, 7, 7)), BatchNorm2d(128), ReLU,
ConvTranspose2d(128, 64, 4, 2, 1, bias=False), BatchNorm2d(64), ReLU, ConvTranspose2d(64, 1, 4, 2, 1), Tanh;
D is Conv2d(1, 64, 4, 2, 1), LeakyReLU(0.2), Conv2d(64, 128, 4, 2, 1), LeakyReLU(0.2), Flatten, Linear(6272, 1).
Convolution weights start from N(0, 0.02), BatchNorm's weight from N(1, 0.02) and its bias at 0; the linear
layers and the convolution biases keep PyTorch's default initialisation (nn.InitDCGAN, as PyTorch's DCGAN
example's weights_init). Training is nash's default: the non-saturating loss (BCE with logits), Adam 2e-4
(beta1 0.5, beta2 0.999) for both nets, batch 64 of the 60,000 training images reshuffled every epoch (the
last, smaller batch kept), a D step on the real batch and the detached fakes, then a G step on the same fakes
through the updated D. After the last epoch it draws --n samples in eval mode (BatchNorm's running statistics)
and writes them as an IDX file of bytes (round((x + 1) * 127.5)), the format of MNIST's images, which
`nash eval --fake` reads. It prints D(x), D(G(z)) and the losses once per epoch, with the epoch's time.

DIR holds MNIST's IDX files (train-images-idx3-ubyte.gz, ...).
"""

import argparse
import gzip
import os
import struct
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def read_images(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise SystemExit(f"{path}: magic {magic}, want 2051 (IDX images of bytes)")
        b = f.read(n * rows * cols)
    x = torch.frombuffer(bytearray(b), dtype=torch.uint8).reshape(n, 1, rows, cols)
    return x.float() / 127.5 - 1


def write_images(path, x):
    b = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).contiguous()
    n, _, rows, cols = b.shape
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack(">IIII", 2051, n, rows, cols))
        f.write(b.numpy().tobytes())
    os.replace(tmp, path)


def networks():
    G = nn.Sequential(nn.Linear(100, 128 * 7 * 7, bias=False), nn.Unflatten(1, (128, 7, 7)),
                      nn.BatchNorm2d(128), nn.ReLU(),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    D = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    for m in list(G.modules()) + list(D.modules()):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1, 0.02)
            nn.init.zeros_(m.bias)
    return G, D


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="folder of MNIST's IDX files")
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--n", type=int, default=10000, help="samples written after training")
    p.add_argument("--out", required=True, help="IDX file of the samples")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = read_images(os.path.join(a.data, "train-images-idx3-ubyte.gz"))
    G, D = networks()
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    for epoch in range(1, a.epochs + 1):
        start = time.time()
        sums = torch.zeros(4)
        perm = torch.randperm(len(x))
        batches = 0
        for lo in range(0, len(x), a.batch):
            real = x[perm[lo:lo + a.batch]]
            n = len(real)
            ones, zeros = torch.ones(n, 1), torch.zeros(n, 1)
            fake = G(torch.randn(n, 100))
            optD.zero_grad()
            out_real, out_fake = D(real), D(fake.detach())
            loss_d = bce(out_real, ones) + bce(out_fake, zeros)
            loss_d.backward()
            optD.step()
            optG.zero_grad()
            loss_g = bce(D(fake), ones)
            loss_g.backward()
            optG.step()
            with torch.no_grad():
                sums += torch.stack([loss_d, loss_g, torch.sigmoid(out_real).mean(), torch.sigmoid(out_fake).mean()])
            batches += 1
        m = (sums / batches).tolist()
        print(f"epoch {epoch:3d}  loss_d {m[0]:.4f}  loss_g {m[1]:.4f}  D(x) {m[2]:.4f}  D(G(z)) {m[3]:.4f}  "
              f"{time.time() - start:.1f}s", flush=True)
    G.eval()
    with torch.no_grad():
        samples = torch.cat([G(torch.randn(min(1000, a.n - lo), 100)) for lo in range(0, a.n, 1000)])
    write_images(a.out, samples)
    print(f"wrote {a.n} samples to {a.out}")


if __name__ == "__main__":
    main()
