#!/usr/bin/env python3
"""PyTorch side of bench/gpu: the TangleNAS bi-level step of the toy conv-macro
space written in plain PyTorch, timed in-process.

    python3 bench/gpu_torch.py --device cuda --batch 64 [--steps 10] [--warmup 3] [--graph] [--largest] [--precision fp32|tf32|bf16]

Prints one JSON line: {"ms": [per-step ms], "median_ms", "gpu_mib": peak reserved by
the caching allocator, "torch": version}.

The step is what tanglenas runs (reference-facts 3.3, 3.5): DrNAS draws
w ~ Dirichlet(elu(alpha) + 1) per choice (4 channel and 4 kernel choices of 3
options); each searched conv is ONE conv whose weight is multiplied by the
outer product of its masks (out channels x in channels x centred kernel), its
bias by the out-channel mask; conv5's input channels follow channels_4. Arch
step: validation batch, cross-entropy + 1e-3 * KL(Dir(beta) || Dir(1)),
gradient to alpha only, Adam(3e-4, (0.5, 0.999), wd 1e-3). Weight step: a new
draw, training batch, cross-entropy, backward, gradient norm clipped at 5,
Adam(3e-4, (0.9, 0.995), wd 5e-4); the loss and accuracy are read back (one
sync per step, as tanglenas's step reads them).
--graph captures both steps in a CUDA graph (static batches; the Dirichlet draw
inside the graph) and replays it. --largest: plain training of the largest
sub-network alone (32/64/128/256 channels, 7x7 kernels), for the memory ratio.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

CHANNELS = [[8, 16, 32], [16, 32, 64], [32, 64, 128], [64, 128, 256]]
KERNELS = [3, 5, 7]
FC = [9216, 256, 128, 64, 10]


def sync(dev):
    if dev.type == 'cuda':
        torch.cuda.synchronize(dev)


def masks(dev):
    """Per choice, the 0/1 masks of its options: channel prefixes, centred kernels."""
    ch = [torch.stack([(torch.arange(c[-1], device=dev) < v).float() for v in c]) for c in CHANNELS]
    ks = []
    for k in KERNELS:
        m = torch.zeros(7, 7, device=dev)
        s = (7 - k) // 2
        m[s:s + k, s:s + k] = 1
        ks.append(m)
    return ch, torch.stack(ks)


class ConvMacro:
    def __init__(self, dev):
        cin = [3, 32, 64, 128]

        def param(shape, fan_in):
            # The values do not matter for timing; torch.nn.Linear/Conv2d's scale keeps the losses finite.
            bound = 1 / fan_in ** 0.5
            return torch.empty(shape).uniform_(-bound, bound).to(dev).requires_grad_()

        self.convs = [(param((o, i, 7, 7), i * 49), param((o,), i * 49)) for o, i in [(CHANNELS[j][-1], cin[j]) for j in range(4)] + [(256, 256)]]
        self.fcs = [(param((FC[i + 1], FC[i]), FC[i]), param((FC[i + 1],), FC[i])) for i in range(4)]
        self.alpha = [(torch.randn(3) * 1e-3).to(dev).requires_grad_() for _ in range(8)]
        self.ch_masks, self.k_masks = masks(dev)

    def weights(self):
        return [t for pair in self.convs + self.fcs for t in pair]

    def forward(self, x, ws):
        # ws: 4 channel weights then 4 kernel weights (each [3]); None = the largest network.
        def conv(i, h):
            w, b = self.convs[i]
            if ws is None:
                return F.conv2d(h, w, b, padding=3 if i < 4 else 2)
            if i == 4:
                m_in = ws[3] @ self.ch_masks[3]
                return F.conv2d(h, w * m_in.view(1, -1, 1, 1), b, padding=2)
            m_out = ws[i] @ self.ch_masks[i]
            m_k = (ws[4 + i] @ self.k_masks.view(3, -1)).view(7, 7)
            m = m_out.view(-1, 1, 1, 1) * m_k.view(1, 1, 7, 7)
            if i > 0:
                m = m * (ws[i - 1] @ self.ch_masks[i - 1]).view(1, -1, 1, 1)
            return F.conv2d(h, w * m, b * m_out, padding=3)

        h = F.relu(conv(0, x))
        h = F.max_pool2d(F.relu(conv(1, h)), 2)
        h = F.relu(F.dropout2d(F.relu(conv(2, h)), 0.5, True))
        h = F.max_pool2d(h, 2)
        h = conv(4, F.relu(conv(3, h)))
        h = F.dropout2d(h, 0.5, True).flatten(1)
        for i in range(3):
            h = F.relu(F.linear(h, *self.fcs[i]))
        return F.linear(h, *self.fcs[3])

    def sample(self):
        return [torch.distributions.Dirichlet(F.elu(a) + 1).rsample() for a in self.alpha]

    def kl(self):
        total = 0
        for a in self.alpha:
            beta = F.elu(a) + 1
            total = total + torch.distributions.kl_divergence(torch.distributions.Dirichlet(beta), torch.distributions.Dirichlet(torch.ones_like(beta)))
        return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--device', default='cuda')
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--graph', action='store_true')
    ap.add_argument('--largest', action='store_true')
    ap.add_argument('--precision', choices=['fp32', 'tf32', 'bf16'], default='fp32')
    a = ap.parse_args()
    dev = torch.device(a.device)
    # As tanglenas's precision key: fp32 = no TF32 anywhere (PyTorch's default allows it in cuDNN).
    torch.backends.cuda.matmul.allow_tf32 = a.precision != 'fp32'
    torch.backends.cudnn.allow_tf32 = a.precision != 'fp32'
    amp = torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=a.precision == 'bf16')
    torch.manual_seed(0)
    net = ConvMacro(dev)
    # capturable: Adam's step counters on the GPU, so a CUDA graph can hold the update.
    extra = {'capturable': True} if a.graph else {}
    wopt = torch.optim.Adam(net.weights(), lr=3e-4, betas=(0.9, 0.995), weight_decay=5e-4, **extra)
    aopt = torch.optim.Adam(net.alpha, lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3, **extra)
    xt = torch.randn(a.batch, 3, 32, 32, device=dev)
    yt = torch.randint(0, 10, (a.batch,), device=dev)
    xv = torch.randn(a.batch, 3, 32, 32, device=dev)
    yv = torch.randint(0, 10, (a.batch,), device=dev)

    def step():
        with amp:
            return inner()

    def inner():
        if not a.largest:
            loss_a = F.cross_entropy(net.forward(xv, net.sample()), yv) + 1e-3 * net.kl()
            grads = torch.autograd.grad(loss_a, net.alpha)
            for p, g in zip(net.alpha, grads):
                p.grad = g
            aopt.step()
        wopt.zero_grad(set_to_none=True)
        logits = net.forward(xt, None if a.largest else net.sample())
        loss = F.cross_entropy(logits, yt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.weights(), 5.0)
        wopt.step()
        return loss.detach(), (logits.argmax(1) == yt).float().mean()

    run = step
    if a.graph:
        if dev.type != 'cuda':
            raise SystemExit('--graph needs --device cuda')
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            for _ in range(3):
                step()
        torch.cuda.current_stream().wait_stream(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            out = step()

        def run():
            graph.replay()
            return out

    for _ in range(a.warmup):
        loss, acc = run()
        loss.item(), acc.item()
    if dev.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(dev)
    times = []
    for _ in range(a.steps):
        sync(dev)
        t0 = time.perf_counter()
        loss, acc = run()
        loss.item(), acc.item()  # the read-back tanglenas's step does
        times.append((time.perf_counter() - t0) * 1000)
    mib = torch.cuda.max_memory_reserved(dev) / 2 ** 20 if dev.type == 'cuda' else None
    print(json.dumps({'ms': times, 'median_ms': statistics.median(times), 'gpu_mib': mib, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
