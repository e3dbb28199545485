#!/usr/bin/python3
"""Write reference values for nash's metrics package with numpy and scipy.

Run by hand from anywhere with Debian's numpy and scipy, not by CI:

    apt-get install python3-numpy python3-scipy
    /usr/bin/python3 scripts/metrics_reference.py

It draws fixed arrays with numpy's default_rng(SEED) and writes them to
metrics/testdata/ together with reference.json, which metrics' tests
reproduce to 1e-6 relative:

  real.npy   float64 (300, 40): correlated Gaussian features
  fake.npy   float32 (300, 40): another correlated Gaussian, shifted
  probs.npy  float64 (500, 10): softmax of random logits, for the IS

reference.json holds, for real against fake:

  fid_sqrtm       FID with scipy.linalg.sqrtm(sigma_r @ sigma_g), the form of
                  pytorch-fid (real part taken)
  fid_symmetric   FID with the symmetric form: eigh(sigma_r) for
                  sigma_r^(1/2), then the eigenvalues of
                  sigma_r^(1/2) sigma_g sigma_r^(1/2)
  fid_self        FID of real against itself (symmetric form)
  kid             unbiased MMD^2 of the kernel (x.y/d + 1)^3 on the whole
                  sets (KID of one subset holding every sample)
  inception_score mean and std over 10 splits of exp(E KL(p(y|x) || p(y)))
  prdc_k3, prdc_k5  precision, recall, density, coverage with <= radius,
                  from exact distances (scipy.spatial.distance.cdist)
  mmd             unbiased MMD^2 of the Gaussian kernel with the median
                  heuristic bandwidth (median of scipy pdist distances)

It also writes, for the density and coverage check against the code of
Naeem et al. (github.com/clovaai/generative-evaluation-prdc, prdc/prdc.py):

  naeem_real.npy, naeem_fake.npy  float32 (500, 64): two N(0, I) draws
  naeem.json      compute_prdc of those arrays (as float64) with
                  nearest_k = 3 and 5, reimplemented below with numpy alone
                  ("<" as in their code), and the same with "<=" on an
                  integer grid with ties (naeem_grid_real.npy,
                  naeem_grid_fake.npy, float32 (300, 3) in {0, ..., 5})

Rerunning it rewrites the same values (probs.npy and the IS std can change
in the last bit with the BLAS and libm in use). With --spread SEEDS it instead runs
their published check (real and fake N(0, I), 10,000 x 1000, nearest_k = 5)
on numpy's default_rng(seed) for seed = 1 ... SEEDS and prints each seed's
four values and their mean and standard deviation; it writes nothing.
"""

import json
import os
import sys

import numpy as np
import scipy
import scipy.linalg
import scipy.spatial.distance

SEED = 20240607
N, D = 300, 40
N_PROBS, CLASSES = 500, 10
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics", "testdata")


def arrays():
    rng = np.random.default_rng(SEED)
    a = rng.normal(size=(D, D)) / np.sqrt(D)
    b = rng.normal(size=(D, D)) / np.sqrt(D)
    real = rng.normal(size=(N, D)) @ a + 0.5
    fake = (rng.normal(size=(N, D)) @ (0.8 * a + 0.4 * b) + 0.7).astype(np.float32)
    logits = rng.normal(size=(N_PROBS, CLASSES)) * 2.0
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    return real, fake, probs


def stats(x):
    return x.mean(axis=0), np.cov(x, rowvar=False)


def fid_sqrtm(x, y):
    mu1, s1 = stats(x)
    mu2, s2 = stats(y)
    covmean, _ = scipy.linalg.sqrtm(s1 @ s2, disp=False)
    covmean = covmean.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def fid_symmetric(x, y):
    mu1, s1 = stats(x)
    mu2, s2 = stats(y)
    w, v = scipy.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    m = root @ s2 @ root
    ev = scipy.linalg.eigh((m + m.T) / 2, eigvals_only=True)
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(ev, 0, None)).sum())


def kid_whole(x, y):
    m, d = x.shape
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    within = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1))
    return float(within - 2 * kxy.sum() / (m * m))


def inception_score(p, splits=10):
    scores = []
    n = p.shape[0]
    for k in range(splits):
        part = p[k * n // splits:(k + 1) * n // splits]
        py = part.mean(axis=0, keepdims=True)
        kl = (part * (np.log(part) - np.log(py))).sum(axis=1).mean()
        scores.append(np.exp(kl))
    return {"mean": float(np.mean(scores)), "std": float(np.std(scores))}


def prdc(real, fake, k):
    rr = scipy.spatial.distance.cdist(real, real)
    ff = scipy.spatial.distance.cdist(fake, fake)
    rf = scipy.spatial.distance.cdist(real, fake)
    # Column 0 of each sorted row is the sample itself, at distance 0.
    r_real = np.sort(rr, axis=1)[:, k]
    r_fake = np.sort(ff, axis=1)[:, k]
    inside = rf <= r_real[:, None]
    return {
        "precision": float(inside.any(axis=0).mean()),
        "recall": float((rf <= r_fake[None, :]).any(axis=1).mean()),
        "density": float(inside.sum(axis=0).mean() / k),
        "coverage": float((rf.min(axis=1) <= r_real).mean()),
    }


def naeem_distances(x, y):
    """Euclidean distances of every row of x to every row of y, in float64:
    sklearn.metrics.pairwise_distances' formula, |x|^2 + |y|^2 - 2 x.y clamped
    at 0, with exact zeros on the diagonal of a set against itself."""
    d2 = (x * x).sum(axis=1)[:, None] + (y * y).sum(axis=1)[None, :] - 2 * (x @ y.T)
    np.maximum(d2, 0, out=d2)
    if x is y:
        np.fill_diagonal(d2, 0)
    return np.sqrt(d2, out=d2)


def naeem_kth(distances, k):
    """get_kth_value of prdc.py: the largest of the k smallest of each row."""
    idx = np.argpartition(distances, k, axis=-1)[..., :k]
    return np.take_along_axis(distances, idx, axis=-1).max(axis=-1)


def naeem_prdc(real, fake, k, inside=np.less):
    """compute_prdc of prdc.py: radii are the (k+1)-th smallest distance of a
    sample to its own set (the first is itself), a point is inside a ball
    when inside(distance, radius), which is "<" in their code."""
    r_real = naeem_kth(naeem_distances(real, real), k + 1)
    r_fake = naeem_kth(naeem_distances(fake, fake), k + 1)
    rf = naeem_distances(real, fake)
    in_real = inside(rf, r_real[:, None])
    out = {
        "precision": float(in_real.any(axis=0).mean()),
        "recall": float(inside(rf, r_fake[None, :]).any(axis=1).mean()),
        "density": float((1.0 / k) * in_real.sum(axis=0).mean()),
        "coverage": float(inside(rf.min(axis=1), r_real).mean()),
    }
    return out


def naeem_arrays():
    rng = np.random.default_rng(SEED + 1)
    real = rng.normal(size=(500, 64)).astype(np.float32)
    fake = rng.normal(size=(500, 64)).astype(np.float32)
    grid_real = rng.integers(0, 6, size=(300, 3)).astype(np.float32)
    grid_fake = rng.integers(0, 6, size=(300, 3)).astype(np.float32)
    return real, fake, grid_real, grid_fake


def spread(seeds):
    rows = []
    for seed in range(1, seeds + 1):
        rng = np.random.default_rng(seed)
        real = rng.normal(loc=0.0, scale=1.0, size=[10000, 1000])
        fake = rng.normal(loc=0.0, scale=1.0, size=[10000, 1000])
        m = naeem_prdc(real, fake, 5)
        rows.append([m["precision"], m["recall"], m["density"], m["coverage"]])
        print("seed %2d  precision %.4f  recall %.4f  density %.4f  coverage %.4f" % (seed, *rows[-1]), flush=True)
    a = np.array(rows)
    for name, col in zip(["precision", "recall", "density", "coverage"], a.T):
        print("%-9s mean %.4f  std %.4f  min %.4f  max %.4f" % (name, col.mean(), col.std(ddof=1), col.min(), col.max()))


def mmd(x, y):
    pooled = np.concatenate([x, y])
    sigma = float(np.median(scipy.spatial.distance.pdist(pooled)))
    k = np.exp(-scipy.spatial.distance.cdist(pooled, pooled, "sqeuclidean") / (2 * sigma**2))
    n, m = len(x), len(y)
    kxx, kyy, kxy = k[:n, :n], k[n:, n:], k[:n, n:]
    stat = ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * kxy.sum() / (n * m))
    return {"mmd2": float(stat), "bandwidth": sigma}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--spread":
        spread(int(sys.argv[2]))
        return
    real, fake, probs = arrays()
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "real.npy"), real)
    np.save(os.path.join(OUT, "fake.npy"), fake)
    np.save(os.path.join(OUT, "probs.npy"), probs)
    f = fake.astype(np.float64)
    ref = {
        "seed": SEED,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "fid_sqrtm": fid_sqrtm(real, f),
        "fid_symmetric": fid_symmetric(real, f),
        "fid_self": fid_symmetric(real, real),
        "kid": kid_whole(real, f),
        "inception_score": inception_score(probs),
        "prdc_k3": prdc(real, f, 3),
        "prdc_k5": prdc(real, f, 5),
        "mmd": mmd(real, f),
    }
    with open(os.path.join(OUT, "reference.json"), "w") as out:
        json.dump(ref, out, indent=2, sort_keys=True)
        out.write("\n")
    print(json.dumps(ref, indent=2, sort_keys=True))
    nreal, nfake, greal, gfake = naeem_arrays()
    for name, a in [("naeem_real", nreal), ("naeem_fake", nfake), ("naeem_grid_real", greal), ("naeem_grid_fake", gfake)]:
        np.save(os.path.join(OUT, name + ".npy"), a)
    nreal, nfake, greal, gfake = (a.astype(np.float64) for a in (nreal, nfake, greal, gfake))
    naeem = {
        "k3": naeem_prdc(nreal, nfake, 3),
        "k5": naeem_prdc(nreal, nfake, 5),
        "grid_k3_le": naeem_prdc(greal, gfake, 3, np.less_equal),
        "grid_k5_le": naeem_prdc(greal, gfake, 5, np.less_equal),
    }
    with open(os.path.join(OUT, "naeem.json"), "w") as out:
        json.dump(naeem, out, indent=2, sort_keys=True)
        out.write("\n")
    print(json.dumps(naeem, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
