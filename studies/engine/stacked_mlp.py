"""K MLPs of one shape as stacked tensors (weights [K, out, in], biases [K, 1, out]) with a hand-written backward:
the model the stacked engine (stacked.py) trains. A step's forward is batched matmuls (``baddbmm``), its backward
two matmuls, a sum and a mask per layer into persistent grad buffers; no autograd graph is built.
"""
from __future__ import annotations

import torch
from torch import nn

from .stacked_norm import StackedNorm, mlp_layers


class StackedMLP:
    """K MLPs of one shape as stacked tensors, with a hand-written backward into persistent grad buffers; a
    hidden layer with a norm has no bias and a StackedNorm (stacked_norm.py) instead."""

    def __init__(self, models: list[nn.Module], device: torch.device):
        layers = [mlp_layers(m) for m in models]
        self.names = [lin_name for lin_name, *_ in layers[0]]
        self.norm_names = [norm_name for _, _, norm_name, _ in layers[0]]
        self.weights = [torch.stack([ls[i][1].weight.detach() for ls in layers]).to(device).contiguous()
                        for i in range(len(self.names))]
        self.biases = [None if layers[0][i][3] is not None else
                       torch.stack([ls[i][1].bias.detach() for ls in layers]).unsqueeze(1).to(device).contiguous()
                       for i in range(len(self.names))]
        self.norms = [None if layers[0][i][3] is None else StackedNorm([ls[i][3] for ls in layers], device)
                      for i in range(len(self.names))]
        self._init_grads()

    def _init_grads(self) -> None:
        for p in self.params:
            p.grad = torch.zeros_like(p)
        self._buffers: dict[int, dict] = {}

    @property
    def params(self) -> list[torch.Tensor]:
        """W_1, b_1 (or γ_1, β_1), W_2, ...: the order of the model's parameters."""
        return [t for w, b, n in zip(self.weights, self.biases, self.norms) for t in [w] + (n.params if n else [b])]

    @property
    def stats(self) -> list[torch.Tensor]:
        """The norms' running statistics and counts (state that is not trained)."""
        return [t for n in self.norms if n for t in n.stats]

    @property
    def k(self) -> int:
        return self.weights[0].shape[0]

    def state(self, k: int) -> dict[str, torch.Tensor]:
        """Member k's weights (and norm statistics) as its nn.Sequential state_dict, on the CPU."""
        out = {}
        for name, w, b, norm_name, norm in zip(self.names, self.weights, self.biases, self.norm_names, self.norms):
            out[f"{name}.weight"] = w[k].detach().to("cpu", copy=True)
            if norm is None:
                out[f"{name}.bias"] = b[k, 0].detach().to("cpu", copy=True)
            else:
                out.update(norm.state(k, norm_name))
        return out

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the members ``keep`` (new tensors; grads and buffers are made again)."""
        self.weights = [w.index_select(0, keep) for w in self.weights]
        self.biases = [None if b is None else b.index_select(0, keep) for b in self.biases]
        for n in self.norms:
            if n is not None:
                n.select(keep)
        self._init_grads()

    def buffers(self, batch: int) -> dict:
        """Activations and gradients for [K, batch] steps, made on first use of that batch size."""
        if batch not in self._buffers:
            k, w = self.k, self.weights
            new = lambda *shape: torch.empty(*shape, device=w[0].device, dtype=w[0].dtype)  # noqa: E731
            self._buffers[batch] = {
                "x": new(k * batch, w[0].shape[2]), "onehot": new(k * batch, w[-1].shape[1]),
                "h": [new(k, batch, wi.shape[1]) for wi in w],
                "g": [new(k, batch, wi.shape[1]) for wi in w[:-1]],
                "z": [new(k, batch, wi.shape[1]) if n else None for wi, n in zip(w, self.norms)], "saved": {}}
        return self._buffers[batch]

    def forward(self, x: torch.Tensor, buf: dict) -> list[torch.Tensor]:
        """[K, B, F] → the input of every layer, then the logits [K, B, C], all in ``buf``."""
        acts = [x]
        for i, (w, b, norm) in enumerate(zip(self.weights, self.biases, self.norms)):
            if norm is None:
                out = torch.baddbmm(b, acts[-1], w.mT, out=buf["h"][i])
            else:   # z in its own buffer becomes x̂ there (the norm's backward reads it), γ·x̂ + β into h
                z = torch.bmm(acts[-1], w.mT, out=buf["z"][i])
                out = buf["h"][i]
                buf["saved"][i] = norm.forward(z, out)
            acts.append(out.relu_() if i < len(self.weights) - 1 else out)
        return acts

    def backward(self, acts: list[torch.Tensor], g: torch.Tensor, buf: dict) -> None:
        """Grads of every weight from g = d loss / d logits; the first layer makes no input gradient."""
        for i in range(len(self.weights) - 1, -1, -1):
            w, b, norm = self.weights[i], self.biases[i], self.norms[i]
            if norm is None:
                torch.sum(g, 1, keepdim=True, out=b.grad)
            else:
                g = norm.backward(g, buf["z"][i], buf["saved"][i])
            torch.bmm(g.mT, acts[i], out=w.grad)
            if i:
                gi = torch.bmm(g, w, out=buf["g"][i - 1])
                g = torch.ops.aten.threshold_backward.grad_input(gi, acts[i], 0, grad_input=gi)   # ReLU'

    @torch.no_grad()
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Every member's logits [K, N, C] for one shared input [N, F] (evaluation: norms by running statistics)."""
        h = None
        for w, b, norm in zip(self.weights, self.biases, self.norms):
            if norm is not None:
                h = norm.eval_(torch.matmul(x if h is None else h.relu_(), w.mT))
            else:
                h = torch.matmul(x, w.mT).add_(b) if h is None else torch.baddbmm(b, h.relu_(), w.mT)
        return h
