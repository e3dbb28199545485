"""The data-parallel speed-up model of docs/SCALING.md.

A step on N ranks (one a machine) with b samples a rank takes
    T(N) = b·t + C(N),
t the compute time of one sample on one machine, and C(N) the time of
synchronising, not overlapped with compute: nash's sum of each network's
gradient of B_k bytes (an all-to-all and an all-gather, each moving
(N-1)/N·B_k bytes in and out of every rank in N-1 messages) and the step's
exchange of statistics (an all-gather of a few hundred bytes):
    C(N) = sum_k [2·(N-1)/N·B_k/β + 2·(N-1)·α] + (N-1)·α,
β the network's bandwidth, α the latency of one message. The speed-up over
one machine training the same per-rank batch is N·b·t / T(N), the
efficiency b·t / T(N), and it stays at or above 80 % while
    b ≥ 4·C(N)/t.

    python3 bench/scaling_model.py    # prints the tables of docs/SCALING.md
"""

ALPHA = 25e-6  # s per message: TCP over Ethernet between machines

# t: ms of one sample's D and G updates on one machine of this project's kind
# (2 cores, nash bench at 2 threads, batch 64: README's Speed); gradients:
# parameters of each network whose gradient a step sums.
MODELS = {
    "28×28 DCGAN": {"t": 41.37e-3 / 64, "grads": [138561, 759681]},
    "reference MLP": {"t": 1.95e-3 / 64, "grads": [533505, 559632]},
}
GBITS = [10, 25, 100]
RANKS = [2, 4, 8, 16, 32, 64]


def sync_time(grads, n, gbit):
    beta = gbit * 1e9 / 8
    c = (n - 1) * ALPHA
    for p in grads:
        c += 2 * (n - 1) / n * 4 * p / beta + 2 * (n - 1) * ALPHA
    return c


def main():
    for name, m in MODELS.items():
        mb = 4 * sum(m["grads"]) / 1e6
        print(f"\n{name}: {mb:.2f} MB of gradients a step, {m['t'] * 1e3:.3f} ms a sample")
        print("each cell: synchronising ms a step · speed-up at 64 samples a rank · samples a rank for 80 % efficiency")
        print("\n| machines | " + " | ".join(f"{g} Gbit/s" for g in GBITS) + " |")
        print("|---|" + "---|" * len(GBITS))
        for n in RANKS:
            cells = []
            for g in GBITS:
                c = sync_time(m["grads"], n, g)
                step = 64 * m["t"]
                cells.append(f"{c * 1e3:.1f} · {n * step / (step + c):.1f}× · {4 * c / m['t']:.0f}")
            print(f"| {n} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
