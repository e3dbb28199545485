#!/usr/bin/python3
"""Write nn/testdata/rnn_torch.json, the golden outputs of torch.nn.LSTM and
torch.nn.GRU that TestRNNMatchesTorch replays on every `go test ./nn`.

Run by hand with Debian's PyTorch, from the repository root:

    /usr/bin/python3 scripts/torch_rnn_golden.py

For LSTM(3, 4) and GRU(3, 4) (batch_first=False) initialised with
torch.manual_seed(0), it records the state dict (PyTorch's names), an input
x [T=3, N=2, 3] and the output y [3, 2, 4], so that nash's layers, loaded by
name, must reproduce PyTorch's layouts and gate orders.
"""

import json

import torch


def case(layer):
    x = torch.randn(3, 2, 3)
    y, _ = layer(x)
    return {
        "state": {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in layer.state_dict().items()},
        "x": x.flatten().tolist(),
        "y": y.detach().flatten().tolist(),
    }


torch.manual_seed(0)
out = {"torch_version": torch.__version__, "lstm": case(torch.nn.LSTM(3, 4)), "gru": case(torch.nn.GRU(3, 4))}
with open("nn/testdata/rnn_torch.json", "w") as f:
    json.dump(out, f)
