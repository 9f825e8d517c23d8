#!/usr/bin/python3
"""PyTorch side of bench/engine: a persistent worker speaking JSON lines.

Started by dist/bench/engine.js with /usr/bin/python3 (Debian's python3-torch,
the same libtorch 1.13.1 the addon links). The thread count comes only from
OMP_NUM_THREADS in the environment, set by the driver before this process
starts; torch.set_num_threads is deliberately never called (see the threads
experiment in bench/README.md).

Each request is one JSON object on a stdin line; each reply is one JSON object
on a stdout line. Step times are measured here, in-process, with
time.perf_counter, so pipe latency never enters a measurement.

  {"cmd": "info"}                          -> versions, thread counts
  {"cmd": "setup"}                         -> builds both models (seeded), first losses
  {"cmd": "steps", "model": "conv"|"tfm", "n": N}  -> {"ms", "cpu_ms", "faults", "foreign", "losses"}: per step
  {"cmd": "sgemm", "n": 2048, "reps": R}   -> {"ms", "foreign"}: per call
  {"cmd": "tinyops", "n": 100000}          -> {"ms_total": x}
  {"cmd": "rss"}                           -> {"rss_mb": x}
  {"cmd": "quit"}

The model code mirrors bench/engine.ts op for op: same shapes, same seeds, same
creation order, same functional ops, same hand-written SGD-with-momentum update
under no_grad (no torch.optim, no fused attention).
"""
import json
import math
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

LR = 0.01
MOMENTUM = 0.9


def param(shape, scale):
    return (torch.randn(shape) * scale).requires_grad_(True)


def sgd(params, bufs):
    with torch.no_grad():
        for p, b in zip(params, bufs):
            g = p.grad
            b.mul_(MOMENTUM).add_(g)
            p.add_(b, alpha=-LR)
            p.grad = None


class ConvNet:
    """Batch 64, 3x32x32 -> conv7x7(64) relu maxpool -> conv7x7(128) relu maxpool -> mean(H,W) -> linear(10)."""

    def __init__(self):
        torch.manual_seed(0)
        self.w1 = param([64, 3, 7, 7], 1 / math.sqrt(3 * 49))
        self.b1 = param([64], 0.01)
        self.w2 = param([128, 64, 7, 7], 1 / math.sqrt(64 * 49))
        self.b2 = param([128], 0.01)
        self.w3 = param([10, 128], 1 / math.sqrt(128))
        self.b3 = param([10], 0.01)
        self.x = torch.randn([64, 3, 32, 32])
        self.y = torch.randint(0, 10, [64])
        self.params = [self.w1, self.b1, self.w2, self.b2, self.w3, self.b3]
        self.bufs = [torch.zeros_like(p) for p in self.params]

    def step(self):
        h = F.max_pool2d(F.relu(F.conv2d(self.x, self.w1, self.b1, padding=3)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, self.w2, self.b2, padding=3)), 2)
        feat = h.mean([2, 3])
        logits = F.linear(feat, self.w3, self.b3)
        loss = F.cross_entropy(logits, self.y)
        loss.backward()
        sgd(self.params, self.bufs)
        return loss.item()


class Block:
    """Pre-norm transformer block: batch 16, seq 128, width 256, 4 heads, MLP 1024; loss mean(out^2)."""

    B, T, D, H, HIDDEN = 16, 128, 256, 4, 1024

    def __init__(self):
        B, T, D, HID = self.B, self.T, self.D, self.HIDDEN
        torch.manual_seed(1)
        self.ln1w = torch.ones([D]).requires_grad_(True)
        self.ln1b = torch.zeros([D]).requires_grad_(True)
        self.wqkv = param([3 * D, D], 1 / math.sqrt(D))
        self.bqkv = param([3 * D], 0.01)
        self.wo = param([D, D], 1 / math.sqrt(D))
        self.bo = param([D], 0.01)
        self.ln2w = torch.ones([D]).requires_grad_(True)
        self.ln2b = torch.zeros([D]).requires_grad_(True)
        self.w1 = param([HID, D], 1 / math.sqrt(D))
        self.b1 = param([HID], 0.01)
        self.w2 = param([D, HID], 1 / math.sqrt(HID))
        self.b2 = param([D], 0.01)
        self.x = torch.randn([B, T, D])
        self.mask = torch.ones([T, T], dtype=torch.bool).triu(1)
        self.params = [self.ln1w, self.ln1b, self.wqkv, self.bqkv, self.wo, self.bo,
                       self.ln2w, self.ln2b, self.w1, self.b1, self.w2, self.b2]
        self.bufs = [torch.zeros_like(p) for p in self.params]

    def step(self):
        B, T, D, H = self.B, self.T, self.D, self.H
        hd = D // H
        x = self.x
        h = F.layer_norm(x, [D], self.ln1w, self.ln1b, 1e-5)
        q, k, v = F.linear(h, self.wqkv, self.bqkv).chunk(3, -1)
        q = q.view(B, T, H, hd).transpose(1, 2)
        k = k.view(B, T, H, hd).transpose(1, 2)
        v = v.view(B, T, H, hd).transpose(1, 2)
        scores = q.matmul(k.transpose(-2, -1)).div(math.sqrt(hd))
        att = F.softmax(scores.masked_fill(self.mask, float('-inf')), -1)
        ctx = att.matmul(v).transpose(1, 2).reshape(B, T, D)
        x1 = x.add(F.linear(ctx, self.wo, self.bo))
        h2 = F.layer_norm(x1, [D], self.ln2w, self.ln2b, 1e-5)
        m = F.linear(F.gelu(F.linear(h2, self.w1, self.b1)), self.w2, self.b2)
        out = x1.add(m)
        loss = out.mul(out).mean()
        loss.backward()
        sgd(self.params, self.bufs)
        return loss.item()


JIFFY_MS = 1000 / os.sysconf('SC_CLK_TCK')


def machine_jiffies():
    """(busy, total) CPU jiffies of the whole machine, all CPUs, from /proc/stat."""
    try:
        with open('/proc/stat') as f:
            v = [int(x) for x in f.readline().split()[1:9]]
    except OSError:
        return None
    total = sum(v)
    return total - v[3] - v[4], total


def foreign_share(s0, s1, own_cpu_ms):
    """Share of the machine's CPU time used by other processes (and steal) during a step."""
    if s0 is None or s1 is None or s1[1] == s0[1]:
        return 0.0
    return max(0.0, ((s1[0] - s0[0]) * JIFFY_MS - own_cpu_ms) / ((s1[1] - s0[1]) * JIFFY_MS))


def rss_mb():
    with open('/proc/self/statm') as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf('SC_PAGE_SIZE') / 2**20


def main():
    models = {}
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        cmd = req.get('cmd')
        try:
            if cmd == 'info':
                rep = {
                    'torch': torch.__version__,
                    'python': sys.version.split()[0],
                    'threads': torch.get_num_threads(),
                    'interop_threads': torch.get_num_interop_threads(),
                    'omp_num_threads_env': os.environ.get('OMP_NUM_THREADS'),
                    'torch_lib': os.path.dirname(torch.__file__),
                }
            elif cmd == 'setup':
                models['conv'] = ConvNet()
                models['tfm'] = Block()
                rep = {'ok': True}
            elif cmd == 'steps':
                m = models[req['model']]
                ms, cpu_ms, faults, foreign, losses = [], [], [], [], []
                for _ in range(int(req['n'])):
                    s0 = machine_jiffies()
                    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    losses.append(m.step())
                    ms.append((time.perf_counter() - t0) * 1e3)
                    cpu_ms.append((time.process_time() - c0) * 1e3)
                    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
                    foreign.append(foreign_share(s0, machine_jiffies(), cpu_ms[-1]))
                rep = {'ms': ms, 'cpu_ms': cpu_ms, 'faults': faults, 'foreign': foreign, 'losses': losses}
            elif cmd == 'sgemm':
                n = int(req['n'])
                torch.manual_seed(2)
                a = torch.randn([n, n])
                b = torch.randn([n, n])
                ms, foreign = [], []
                with torch.no_grad():
                    for _ in range(int(req['reps'])):
                        s0 = machine_jiffies()
                        c0 = time.process_time()
                        t0 = time.perf_counter()
                        c = a.matmul(b)
                        ms.append((time.perf_counter() - t0) * 1e3)
                        foreign.append(foreign_share(s0, machine_jiffies(), (time.process_time() - c0) * 1e3))
                        del c
                rep = {'ms': ms, 'foreign': foreign}
            elif cmd == 'tinyops':
                n = int(req['n'])
                a = torch.ones([1])
                b = torch.ones([1])
                t0 = time.perf_counter()
                for _ in range(n):
                    c = a.add(b)
                rep = {'ms_total': (time.perf_counter() - t0) * 1e3}
                del c
            elif cmd == 'rss':
                rep = {'rss_mb': rss_mb()}
            elif cmd == 'quit':
                out.write(json.dumps({'ok': True}) + '\n')
                out.flush()
                return
            else:
                rep = {'error': 'unknown command %r' % cmd}
        except Exception as e:  # report, keep serving
            rep = {'error': '%s: %s' % (type(e).__name__, e)}
        out.write(json.dumps(rep) + '\n')
        out.flush()


if __name__ == '__main__':
    main()
