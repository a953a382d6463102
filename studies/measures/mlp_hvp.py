"""Loss, gradient and Hessian-vector products of models.py's MLP with cross-entropy, written by hand.

For Flatten → (Linear, ReLU)* → Linear with the mean cross-entropy, f, ∇f and H·v are a few matmuls per layer:

    forward   z_l = a_{l-1} W_lᵀ + b_l,  a_l = relu(z_l) (mask m_l = z_l > 0),  p = softmax(z_L)
    backward  δ_L = (p − onehot)/N,  ∇W_l = δ_lᵀ a_{l-1},  ∇b_l = Σ δ_l,  δ_{l-1} = (δ_l W_l) ⊙ m_{l-1}
    R-op      along v = (U_l, c_l):  Rz_l = Ra_{l-1} W_lᵀ + a_{l-1} U_lᵀ + c_l,  Ra_l = m_l ⊙ Rz_l (Ra_0 = 0),
              Rδ_L = (p ⊙ Rz_L − p ⟨p, Rz_L⟩)/N,  Rδ_{l-1} = (Rδ_l W_l + δ_l U_l) ⊙ m_{l-1},
              H·v = (Rδ_lᵀ a_{l-1} + δ_lᵀ Ra_{l-1},  Σ Rδ_l)

exactly what double backward through autograd computes (ReLU's second derivative is 0, as torch defines it).
Why by hand: no graph building, k vectors batched as one matmul per term, the forward pass at θ reused by
every HVP there, and no torch._dynamo import (BENCHMARKS.md has the costs). Tests compare every function with
autograd in float64.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

CACHE_MAX_BYTES = 64 << 20   # forward activations kept per objective (beyond this: recomputed per call)


def supports(model: nn.Module, loss_fn, consts: dict) -> bool:
    """Flatten, (Linear, ReLU)*, Linear with biases, no buffers, the plain cross-entropy loss."""
    mods = list(model) if isinstance(model, nn.Sequential) else []
    body = mods[1:]
    return (loss_fn is F.cross_entropy and not consts and bool(mods) and isinstance(mods[0], nn.Flatten)
            and len(body) % 2 == 1 and all(type(m) is nn.Linear and m.bias is not None for m in body[0::2])
            and all(type(m) is nn.ReLU for m in body[1::2]))


class MLPCalculus:
    """f, ∇f and H·v of the mean cross-entropy of an MLP whose parameters are laid out, in θ, as
    W_1, b_1, W_2, b_2, ... (nn.Sequential's named_parameters order)."""

    def __init__(self, shapes: Sequence[torch.Size]):
        self.shapes = list(shapes)
        self.sizes = [s.numel() for s in self.shapes]
        self.layers = len(self.shapes) // 2
        self.cache: dict = {}   # (id(θ), θ's version, x's memory) → forward pass, at the objective's own θ only
        self.cached_bytes = 0

    def _unflatten(self, flat: Tensor) -> list[tuple[Tensor, Tensor]]:
        """θ [n] → [(W_l, b_l)]; θ [k, n] → [(U_l [k, out, in], c_l [k, 1, out])]."""
        lead = flat.shape[:-1]
        parts = torch.split(flat, self.sizes, dim=-1)
        out = []
        for i in range(self.layers):
            w, b = parts[2 * i], parts[2 * i + 1]
            out.append((w.reshape(*lead, *self.shapes[2 * i]), b.reshape(*lead, *([1] if lead else []),
                                                                      self.shapes[2 * i + 1][0])))
        return out

    def _flatten(self, grads: list[tuple[Tensor, Tensor]], k: int | None) -> Tensor:
        lead = () if k is None else (k,)
        return torch.cat([t.reshape(*lead, -1) for pair in grads for t in pair], dim=-1)

    def forward(self, theta: Tensor, x: Tensor, keep: bool = False) -> tuple[list[Tensor], list[Tensor], Tensor]:
        """(layer inputs a_0..a_{L-1}, ReLU masks, logits); ``keep``: remember it for the next call at the
        same θ and x (within CACHE_MAX_BYTES)."""
        # x by its memory, not its id: the objective's chunks are fresh views (x[s:e]) on every call
        key = (id(theta), theta._version, x.data_ptr(), tuple(x.shape), tuple(x.stride()), x._version)
        if key in self.cache:
            return self.cache[key][0]
        a, acts, masks = x.reshape(len(x), -1), [], []
        wb = self._unflatten(theta)
        for i, (w, b) in enumerate(wb):
            acts.append(a)
            z = torch.addmm(b, a, w.T)
            if i < self.layers - 1:
                masks.append((z > 0).to(z.dtype))   # a float mask: bool × float is ~50× slower
                a = z.relu_()
            else:
                a = z
        value = (acts, masks, a)
        size = sum(t.numel() * t.element_size() for t in acts)
        if keep and self.cached_bytes + size <= CACHE_MAX_BYTES:
            self.cache[key] = (value, theta, x)   # holding θ and x keeps their ids from being reused
            self.cached_bytes += size
        return value

    def deltas(self, theta: Tensor, x: Tensor, y: Tensor, keep: bool = False) -> list[Tensor]:
        """The backward pass at θ: δ_l = ∂f/∂z_l for every layer (index l−1), kept beside the forward pass,
        so that the HVPs at θ (Lanczos: one after another) do not redo it."""
        key = ("deltas", id(theta), theta._version, x.data_ptr(), tuple(x.shape), tuple(x.stride()), x._version,
               y.data_ptr(), tuple(y.shape), y._version)
        if key in self.cache:
            return self.cache[key][0]
        acts, masks, logits = self.forward(theta, x, keep)
        n = len(y)
        delta = torch.softmax(logits, -1)
        delta[torch.arange(n, device=y.device), y] -= 1.0
        delta /= n
        wb = self._unflatten(theta)
        out = [delta]
        for i in range(self.layers - 1, 0, -1):
            delta = (delta @ wb[i][0]) * masks[i - 1]
            out.append(delta)
        out = out[::-1]
        size = sum(t.numel() * t.element_size() for t in out)
        if keep and self.cached_bytes + size <= CACHE_MAX_BYTES:
            self.cache[key] = (out, theta, x, y)
            self.cached_bytes += size
        return out

    def loss(self, theta: Tensor, x: Tensor, y: Tensor, keep: bool = False) -> Tensor:
        """Mean cross-entropy (a 0-d tensor in θ's dtype)."""
        return F.cross_entropy(self.forward(theta, x, keep)[2], y)

    def loss_many(self, thetas: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """Mean cross-entropy at each row of ``thetas`` [k, n] on (x, y), as one batched forward pass
        (random sharpness: 2 × directions points; each point alone is launch- and Python-bound)."""
        k, n = thetas.shape[0], len(y)
        a = x.reshape(n, -1)
        for i, (w, b) in enumerate(self._unflatten(thetas)):
            a = torch.matmul(a, w.mT).add_(b)          # [k, n, out]
            if i < self.layers - 1:
                a = a.relu_()
        return F.cross_entropy(a.reshape(k * n, -1), y.repeat(k), reduction="none").view(k, n).mean(1)

    def plane_loss(self, theta: Tensor, d1: Tensor, d2: Tensor, alphas: Sequence[float], betas: Sequence[float],
                   x: Tensor, y: Tensor) -> Tensor:
        """Mean cross-entropy at θ + α·d₁ + β·d₂ for every α, β: [len(alphas), len(betas)]. The first layer
        is linear in (α, β), so its three products with x are formed once and combined per point; the
        other layers take one matmul per point (one point at a time beat a batched [k, N, h] pass on CPU).
        At α = β = 0 this is the same arithmetic as `loss` at θ."""
        n = len(y)
        (w0, b0), *rest = self._unflatten(theta)
        (u0, c0), *rest1 = self._unflatten(d1)
        (v0, e0), *rest2 = self._unflatten(d2)
        a = x.reshape(n, -1)
        z0, z1, z2 = torch.addmm(b0, a, w0.T), torch.addmm(c0, a, u0.T), torch.addmm(e0, a, v0.T)
        out = torch.empty(len(alphas), len(betas), dtype=theta.dtype, device=theta.device)
        for i, al in enumerate(alphas):
            for j, be in enumerate(betas):
                h = z0.add(z1, alpha=al).add_(z2, alpha=be) if al or be else z0.clone()
                for (w, b), (u, c), (v, e) in zip(rest, rest1, rest2):
                    if al or be:
                        w, b = w.add(u, alpha=al).add_(v, alpha=be), b.add(c, alpha=al).add_(e, alpha=be)
                    h = torch.addmm(b, h.relu_(), w.T)
                # the mean cross-entropy as logsumexp − the true logit: ~6× faster than F.cross_entropy here
                out[i, j] = (torch.logsumexp(h, 1) - h.gather(1, y[:, None]).squeeze(1)).mean()
        return out

    def loss_grad(self, theta: Tensor, x: Tensor, y: Tensor, keep: bool = False) -> tuple[Tensor, Tensor]:
        acts, masks, logits = self.forward(theta, x, keep)
        loss = F.cross_entropy(logits, y)
        delta = torch.softmax(logits, -1)
        delta[torch.arange(len(y), device=y.device), y] -= 1.0
        delta /= len(y)
        grads = []
        wb = self._unflatten(theta)
        for i in range(self.layers - 1, -1, -1):
            grads.append((delta.T @ acts[i], delta.sum(0)))
            if i:
                delta = (delta @ wb[i][0]) * masks[i - 1]
        return loss, self._flatten(grads[::-1], None)

    def grad_sq_norms(self, theta: Tensor, xs: Tensor, ys: Tensor) -> Tensor:
        """|∇f_d|² (float64) of the mean loss on each of D batches xs [D, b, ...], ys [D, b], in one batched
        pass, without forming any batch's gradient: for a layer, |∇W|²_F = |δᵀa|²_F = Σ (δδᵀ) ⊙ (aaᵀ) (two
        b×b Gram matrices) and |∇b|² = |Σ_i δ_i|². The noise scale's 64 small batches cost one pass, not 64."""
        d, b = ys.shape
        a = xs.reshape(d, b, -1)
        wb = self._unflatten(theta)
        acts, masks = [], []
        for i, (w, bias) in enumerate(wb):
            acts.append(a)
            z = torch.matmul(a, w.T).add_(bias)
            if i < self.layers - 1:
                masks.append((z > 0).to(z.dtype))
                a = z.relu_()
            else:
                a = z
        delta = torch.softmax(a, -1)
        delta.scatter_add_(-1, ys.unsqueeze(-1), torch.full_like(delta[..., :1], -1.0))
        delta /= b
        total = torch.zeros(d, dtype=torch.float64, device=theta.device)
        for i in range(self.layers - 1, -1, -1):
            gram_d = torch.matmul(delta, delta.mT).double()
            gram_a = torch.matmul(acts[i], acts[i].mT).double()
            total += (gram_d * gram_a).sum((1, 2)) + delta.sum(1).double().pow(2).sum(1)
            if i:
                delta = torch.matmul(delta, wb[i][0]).mul_(masks[i - 1])
        return total

    def trace(self, theta: Tensor, x: Tensor, y: Tensor, keep: bool = False) -> Tensor:
        """tr H(θ), exactly. The net is affine in each single layer's parameters (the ReLU masks fixed), so
        the Hessian's diagonal is the Gauss-Newton matrix's, and tr H = (1/N) Σ_i tr(A_i J_i J_iᵀ) with
        A_i = diag(p_i) − p_i p_iᵀ and J_i J_iᵀ = Σ_l D_l D_lᵀ (|a_{l-1}|² + 1), D_l = ∂logits/∂z_l [C, h_l]
        per example (D_L = I, D_{l-1} = (D_l W_l) ⊙ m_{l-1}): one backward pass of C vectors, about the
        cost of one HVP, where Hutchinson needs tens of HVPs for a few per cent."""
        acts, masks, logits = self.forward(theta, x, keep)
        wb = self._unflatten(theta)
        n, c = logits.shape
        p = torch.softmax(logits, -1)
        a_mat = torch.diag_embed(p) - p.unsqueeze(2) * p.unsqueeze(1)        # A_i   [n, C, C]
        sq = lambda a: a.pow(2).sum(1) + 1.0  # noqa: E731 - |a|² + 1 (the bias)
        gram = torch.eye(c, dtype=p.dtype, device=p.device) * sq(acts[-1]).view(n, 1, 1)   # D_L = I
        d = None
        for i in range(self.layers - 1, 0, -1):
            w = wb[i][0]                                                    # W_{l}: [h_l, h_{l-1}]
            d = (w.expand(n, *w.shape) if d is None else torch.matmul(d, w)) * masks[i - 1].unsqueeze(1)
            gram = gram + torch.bmm(d, d.mT) * sq(acts[i - 1]).view(n, 1, 1)
        return (a_mat * gram).sum() / n

    def hvp_many(self, theta: Tensor, x: Tensor, y: Tensor, vs: Tensor, keep: bool = False) -> Tensor:
        """H(θ)·v for every row of ``vs`` [k, n], as one batched pass."""
        k, n = vs.shape[0], len(y)
        acts, masks, logits = self.forward(theta, x, keep)
        wb, uc = self._unflatten(theta), self._unflatten(vs)
        # R-forward: Rz_l, and Ra_{l-1} for every layer (Ra_0 = 0)
        r_acts: list[Tensor | None] = [None]
        rz = None
        for i, ((w, _), (u, c)) in enumerate(zip(wb, uc)):
            rz = torch.matmul(acts[i], u.mT).add_(c)           # a_{l-1} U_lᵀ + c_l   [k, n, out]
            if r_acts[i] is not None:
                rz.add_(torch.matmul(r_acts[i], w.T))          # + Ra_{l-1} W_lᵀ
            if i < self.layers - 1:
                r_acts.append(rz.mul_(masks[i]))
        p = torch.softmax(logits, -1)
        deltas = self.deltas(theta, x, y, keep)                 # δ_l at θ (kept)
        r_delta = (p * rz - p * (p * rz).sum(-1, keepdim=True)) / n   # Rδ_L [k, n, C]
        out = []
        for i in range(self.layers - 1, -1, -1):
            w, u = wb[i][0], uc[i][0]
            rw = torch.matmul(r_delta.mT, acts[i])              # Rδ_lᵀ a_{l-1}   [k, out, in]
            if r_acts[i] is not None:
                rw.add_(torch.matmul(deltas[i].T, r_acts[i]))   # + δ_lᵀ Ra_{l-1}
            out.append((rw, r_delta.sum(1)))
            if i:
                r_delta = torch.matmul(r_delta, w).add_(torch.matmul(deltas[i], u)).mul_(masks[i - 1])
        return self._flatten(out[::-1], k)
