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

Rerunning it rewrites the same bytes.
"""

import json
import os

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


if __name__ == "__main__":
    main()
