"""Batch norm and ghost batch norm for the stacked engine (stacked.py): K members' norm layers as stacked tensors,
with the forward pass in training, its backward written by hand, and eval through the running statistics.

Member k normalises only its own B rows of a [K, B, C] block, cut into norm.ghost_chunks (one chunk: plain batch
norm). Equal chunks are one [K, G, n, C] view; a last, different chunk is a second view. Per chunk of n rows,
with x̂ = (z − μ)·r, r = (σ² + ε)^−½ (biased σ²) and y = γ·x̂ + β:

    ∂γ = Σ_b g ⊙ x̂,   ∂β = Σ_b g,   ∂z = r ⊙ (ĝ − mean_n ĝ − x̂ ⊙ mean_n(ĝ ⊙ x̂)),   ĝ = γ ⊙ g

the batch-norm backward torch's autograd computes. The running statistics take each chunk's mean and unbiased
variance in order with momentum m: for G equal chunks at once, R ← (1−m)^G·R + Σ_j m(1−m)^(G−1−j)·stat_j, the
same sum as G updates one after another. One member in one chunk (a solo run's batch norm) takes torch's fused
batch-norm kernels instead: one call where the ops above launch ~25 (3× faster at batch 4, the same at 1437;
for K members it would be K calls, slower than the ops below B ≈ 256). A batch of one example (one value per
channel) is normalised with the running statistics and leaves them alone, as norm.GhostBatchNorm does. Tests
compare with torch in float64.
``mlp_layers`` reads which MLPs the engine can stack: Flatten, (Linear, [norm,] ReLU)*, Linear.
"""
from __future__ import annotations

import torch
from torch import nn

from .norm import GhostBatchNorm, ghost_chunks


def is_norm(m: nn.Module) -> bool:
    """A norm layer the stacked engine trains exactly: GhostBatchNorm or torch's BatchNorm1d, affine, with running
    statistics and a momentum (not a cumulative average)."""
    return (type(m) in (GhostBatchNorm, nn.BatchNorm1d) and m.affine and m.track_running_stats
            and isinstance(m.momentum, float))


def mlp_layers(model: nn.Module) -> list[tuple] | None:
    """[(Linear name, Linear, norm name, norm)] of Flatten, (Linear, [norm,] ReLU)*, Linear, where a Linear before
    a norm has no bias and every other Linear has one; None for any other model."""
    mods = list(model.named_children()) if isinstance(model, nn.Sequential) else []
    if not mods or not isinstance(mods[0][1], nn.Flatten):
        return None
    out, i, body = [], 1, mods
    while i < len(body):
        name, lin = body[i]
        norm = body[i + 1] if i + 1 < len(body) and is_norm(body[i + 1][1]) else None
        last = i == len(body) - 1
        if type(lin) is not nn.Linear or (lin.bias is None) != (norm is not None) or (last and norm):
            return None
        after = i + 1 + (norm is not None)
        if not last and (after >= len(body) or type(body[after][1]) is not nn.ReLU or after == len(body) - 1):
            return None
        out.append((name, lin, *(norm or (None, None))))
        i = after + 1
    return out


def _groups(t: torch.Tensor, sizes: list[int]) -> list[torch.Tensor]:
    """[K, B, C] → views [K, G, n, C]: the leading equal chunks, then a last chunk of another size if any."""
    k, _, c = t.shape
    n, g = sizes[0], sum(1 for s in sizes if s == sizes[0])
    out = [t[:, :g * n].view(k, g, n, c)]
    if g < len(sizes):
        out.append(t[:, g * n:].view(k, 1, sizes[-1], c))
    return out


class StackedNorm:
    """One batch-norm layer of K stacked MLPs: γ, β [K, 1, C] (trained), running mean and variance [K, 1, C]
    and num_batches_tracked [K] (updated in place, so a CUDA graph replays them)."""

    def __init__(self, mods: list[nn.Module], device: torch.device):
        m0 = mods[0]
        self.ghost, self.eps, self.momentum = getattr(m0, "ghost", 0), m0.eps, m0.momentum
        stack = lambda name: torch.stack([getattr(m, name).detach() for m in mods]).to(device)  # noqa: E731
        self.weight = stack("weight").unsqueeze(1).contiguous()
        self.bias = stack("bias").unsqueeze(1).contiguous()
        self.running_mean = stack("running_mean").unsqueeze(1).contiguous()
        self.running_var = stack("running_var").unsqueeze(1).contiguous()
        self.count = stack("num_batches_tracked").contiguous()
        self._plans: dict[int, tuple] = {}
        self._views: dict | None = None

    @property
    def params(self) -> list[torch.Tensor]:
        return [self.weight, self.bias]

    @property
    def stats(self) -> list[torch.Tensor]:
        return [self.running_mean, self.running_var, self.count]

    def state(self, k: int, prefix: str) -> dict[str, torch.Tensor]:
        """Member k's tensors under torch BatchNorm's state_dict keys, on the CPU."""
        names = {"weight": self.weight[k, 0], "bias": self.bias[k, 0], "running_mean": self.running_mean[k, 0],
                 "running_var": self.running_var[k, 0], "num_batches_tracked": self.count[k]}
        return {f"{prefix}.{n}": t.detach().to("cpu", copy=True) for n, t in names.items()}

    def select(self, keep: torch.Tensor) -> None:
        for name in ("weight", "bias", "running_mean", "running_var", "count"):
            setattr(self, name, getattr(self, name).index_select(0, keep))
        self._views = None

    def _solo(self) -> dict[str, torch.Tensor]:
        """The one member's tensors as the kernels take them, made once (again after select or new grads): each
        view is an op, and ~30 of them a step cost as much as the kernels at batch 32."""
        if self._views is None or self._views["gw"]._base is not self.weight.grad:
            t = self.weight
            self._views = {"w": t[0, 0], "b": self.bias[0, 0], "rm": self.running_mean[0, 0],
                           "rv": self.running_var[0, 0], "gw": t.grad[0, 0], "gb": self.bias.grad[0, 0],
                           "mean": t.new_empty(t.shape[-1]), "invstd": t.new_empty(t.shape[-1])}
        return self._views

    def _plan(self, batch: int) -> tuple:
        """(chunk sizes, per group: the running-statistics weights [G, 1] of its chunks and the decay (1−m)^G)."""
        if batch not in self._plans:
            sizes, m = ghost_chunks(batch, self.ghost), self.momentum
            plan = []
            for view in _groups(torch.empty(1, batch, 1), sizes):
                g = view.shape[1]
                w = torch.tensor([m * (1 - m) ** (g - 1 - j) for j in range(g)], dtype=self.weight.dtype,
                                 device=self.weight.device)
                plan.append((w.view(1, g, 1, 1), (1 - m) ** g, view.shape[2]))
            self._plans[batch] = (sizes, plan)
        return self._plans[batch]

    def forward(self, z: torch.Tensor, out: torch.Tensor):
        """Training: γ·x̂ + β of z [K, B, C] into ``out``, x̂ over z in place (one member in one chunk: torch's
        fused kernel, z left as it is); the running statistics updated. Returns what backward needs: r per group
        [K, G, 1, C]; r [K, 1, C] for a batch of one; (the kernel's saved mean and 1/σ,) for the kernel."""
        if z.shape[1] == 1:   # one value per channel: the running statistics, unchanged
            r = self.running_var.add(self.eps).rsqrt_()
            torch.mul(torch.sub(z, self.running_mean, out=z), r, out=z)
            torch.addcmul(self.bias, z, self.weight, out=out)
            return r
        sizes, plan = self._plan(z.shape[1])
        self.count.add_(len(sizes))
        if z.shape[0] == 1 and len(sizes) == 1:   # one member, one chunk: torch's own kernel, 1 call, not ~15 ops
            v = self._solo()
            torch.ops.aten.native_batch_norm.out(z[0], v["w"], v["b"], v["rm"], v["rv"], True, self.momentum, self.eps,
                                                 out=out[0], save_mean=v["mean"], save_invstd=v["invstd"])
            return (v,)
        rs = []
        for zv, (w, decay, n) in zip(_groups(z, sizes), plan):
            # two passes (mean, then mean (z − μ)²): torch.var_mean on these strided views is ~50× slower
            mean = zv.mean(2, keepdim=True)                                   # [K, G, 1, C]
            xv = zv.sub_(mean)
            var = (xv * xv).mean(2, keepdim=True)
            if w.numel() == 1:   # one chunk: (1 − m)·R + m·stat
                self.running_mean.mul_(decay).add_(mean[:, 0], alpha=self.momentum)
                self.running_var.mul_(decay).add_(var[:, 0], alpha=self.momentum * n / (n - 1))
            else:
                self.running_mean.mul_(decay).add_((mean * w).sum(1))
                self.running_var.mul_(decay).add_((var * w).sum(1), alpha=n / (n - 1))
            r = var.add_(self.eps).rsqrt_()
            xv.mul_(r)
            rs.append(r)
        torch.addcmul(self.bias, z, self.weight, out=out)
        return rs

    def backward(self, g: torch.Tensor, xhat: torch.Tensor, saved) -> torch.Tensor:
        """∂γ, ∂β into their .grad; returns ∂z [K, B, C] in g from g = ∂loss/∂y. Per chunk, with s₁ = Σ g and
        s₂ = Σ g ⊙ x̂ (summed over the chunks: ∂β and ∂γ): ∂z = rγ ⊙ (g − s₁/n − x̂ ⊙ s₂/n)."""
        if torch.is_tensor(saved):   # a batch of one: y is affine in z
            torch.sum(g * xhat, 1, keepdim=True, out=self.weight.grad)
            torch.sum(g, 1, keepdim=True, out=self.bias.grad)
            return g.mul_(saved).mul_(self.weight)
        if isinstance(saved, tuple):   # torch's kernel (xhat holds z here)
            v, dz = saved[0], torch.empty_like(g)
            torch.ops.aten.native_batch_norm_backward.out(
                g[0], xhat[0], v["w"], v["rm"], v["rv"], v["mean"], v["invstd"], True, self.eps, [True, True, True],
                out0=dz[0], out1=v["gw"], out2=v["gb"])
            return dz
        sizes, plan = self._plan(g.shape[1])
        gx = g * xhat
        for i, (gv, xv, gxv, r, (_, _, n)) in enumerate(zip(_groups(g, sizes), _groups(xhat, sizes),
                                                              _groups(gx, sizes), saved, plan)):
            s1, s2 = gv.sum(2, keepdim=True), gxv.sum(2, keepdim=True)   # [K, G, 1, C]
            if i == 0:
                torch.sum(s1, 1, out=self.bias.grad)
                torch.sum(s2, 1, out=self.weight.grad)
            else:
                self.bias.grad.add_(s1.sum(1))
                self.weight.grad.add_(s2.sum(1))
            gv.addcmul_(xv, s2.div_(n), value=-1).sub_(s1, alpha=1 / n).mul_(r.mul_(self.weight.unsqueeze(1)))
        return g

    def eval_(self, h: torch.Tensor) -> torch.Tensor:
        """Eval mode on h [K, N, C], in place: (h − running mean)·(running var + ε)^−½·γ + β."""
        scale = self.running_var.add(self.eps).rsqrt_().mul_(self.weight)
        return h.sub_(self.running_mean).mul_(scale).add_(self.bias)
