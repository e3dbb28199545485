"""Reference timing: the sequence GANs' training steps in PyTorch on the CPU, the twin of `nash bench --model
mle|seqgan` on the oracle benchmark's sizes (20 tokens over 5,000, batch 64, embedding and hidden size 32).

  mle     one maximum-likelihood step of the LSTM generator (teacher forcing, Adam, gradient norm clipped to 5);
          an epoch of the benchmark is 156 of them
  seqgan  one step of SeqGAN's adversarial phase as nash counts them, the mean over one iteration of 1 + 5 steps:
          a generator step (64 samples, rewards from 16 Monte-Carlo roll-outs of every prefix by the roll-out
          network scored by the CNN discriminator, REINFORCE, the roll-out network's 0.8 update), then 5
          discriminator steps (64 real against 64 fresh samples), SeqGAN's CNN (filter widths 1-10, 15, 20 with
          its counts, highway, dropout 0.25)

Usage (Debian's python3-torch lives under /usr/bin/python3):
    /usr/bin/python3 bench/torch_seq_step.py --model mle --threads 2 [--json]
"""
import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import torch  # noqa: E402
import torchtime  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--model", default="mle", choices=["mle", "seqgan"])
p.add_argument("--batch", type=int, default=64)
torchtime.add_args(p)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
V, T, E, H, B = 5000, 20, 32, 32, a.batch
WIDTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20]
COUNTS = [100, 200, 200, 200, 200, 100, 100, 100, 100, 100, 160, 160]


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.lstm = nn.LSTM(E, H)
        self.output = nn.Linear(H, V)

    def log_probs(self, x):  # x [B, T] -> log p of each token [B, T]
        inp = torch.cat([torch.zeros(x.shape[0], 1, dtype=torch.long), x[:, :-1]], 1).t()
        h, _ = self.lstm(self.embedding(inp))
        logp = F.log_softmax(self.output(h), -1)  # [T, B, V]
        return logp.gather(2, x.t().unsqueeze(2)).squeeze(2).t()

    @torch.no_grad()
    def sample(self, n, prefix=None, start=0):
        tok = torch.zeros(n, dtype=torch.long)
        state, out = None, []
        for t in range(T):
            h, state = self.lstm(self.embedding(tok).unsqueeze(0), state)
            if t < start:
                tok = prefix[:, t]
            else:
                tok = torch.multinomial(F.softmax(self.output(h[0]), -1), 1).squeeze(1)
            out.append(tok)
        return torch.stack(out, 1)


class Highway(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.transform, self.gate = nn.Linear(d, d), nn.Linear(d, d)

    def forward(self, x):
        t = torch.sigmoid(self.gate(x))
        return x + t * (F.relu(self.transform(x)) - x)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(V, 64)
        self.convs = nn.ModuleList([nn.Conv2d(1, c, (w, 64)) for w, c in zip(WIDTHS, COUNTS)])
        self.highway = Highway(sum(COUNTS))
        self.dropout = nn.Dropout(0.25)
        self.output = nn.Linear(sum(COUNTS), 1)

    def forward(self, x):
        e = self.embedding(x).unsqueeze(1)
        f = torch.cat([F.relu(c(e)).squeeze(3).max(2)[0] for c in self.convs], 1)
        return self.output(self.dropout(self.highway(f)))


G, R, D = Generator(), Generator(), Discriminator()
R.load_state_dict(G.state_dict())
opt_g = torch.optim.Adam(G.parameters(), 0.01)
opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
real = torch.randint(0, V, (B, T))


def mle_step():
    opt_g.zero_grad()
    loss = -G.log_probs(real).mean()
    loss.backward()
    nn.utils.clip_grad_norm_(G.parameters(), 5)
    opt_g.step()


def d_step():
    fake = G.sample(B)
    opt_d.zero_grad()
    loss = F.binary_cross_entropy_with_logits(D(real), torch.ones(B, 1)) + \
        F.binary_cross_entropy_with_logits(D(fake), torch.zeros(B, 1))
    loss.backward()
    opt_d.step()


def g_step():
    x = G.sample(B)
    q = torch.zeros(B, T)
    D.eval()
    with torch.no_grad():
        rep = x.repeat(16, 1)
        for start in range(1, T):
            p = torch.sigmoid(D(R.sample(16 * B, rep, start))).view(16, B)
            q[:, start - 1] = p.mean(0)
        q[:, T - 1] = torch.sigmoid(D(x)).view(B)
    D.train()
    opt_g.zero_grad()
    loss = -(G.log_probs(x) * q).sum()
    loss.backward()
    nn.utils.clip_grad_norm_(G.parameters(), 5)
    opt_g.step()
    with torch.no_grad():
        for pr, pg in zip(R.parameters(), G.parameters()):
            pr.mul_(0.8).add_(0.2 * pg)


k = [0]


def seqgan_step():
    if k[0] % 6 == 0:
        g_step()
    else:
        d_step()
    k[0] += 1


step = mle_step if a.model == "mle" else seqgan_step
torchtime.report(step, a, a.model, B, f"model={a.model}")
