// Shared set-up for the NAS benchmarks: the reference's per-space defaults
// (reference-facts 6.1, 6.2, 7) and the largest architecture of a space.
import { Adam } from '../src/nn/optim/adam.js';
import { SGD } from '../src/nn/optim/sgd.js';
import type { Optimizer, Hyper } from '../src/nn/optim/optimizer.js';
import { tidy } from '../src/tensor/scope.js';
import { randint, randn, type Tensor } from '../src/tensor/tensor.js';
import { crossEntropy } from '../src/tensor/ops/loss.js';
import { AdamW } from '../src/nn/optim/adamw.js';
import { clipGradNorm } from '../src/nn/optim/clip.js';
import { Architect } from '../src/nas/architect.js';
import { withFrozenAlphas } from '../src/nas/bilevel.js';
import { createSampler } from '../src/nas/samplers/index.js';
import { GptSubnet, GPT_PRESETS, type GptPresetName } from '../src/spaces/index.js';
import type { Architecture } from '../src/nas/choice.js';
import { extremeArchitecture } from '../src/nas/constraint.js';
import type { SearchSpace } from '../src/spaces/index.js';

/** The weight optimizer each toy space searches with in the reference. */
export function referenceOptimizer(space: SearchSpace, params: Tensor[]): Optimizer<Hyper> {
  if (space.name === 'toy-conv-macro') return new Adam(params, { lr: 3e-4, betas: [0.9, 0.995], weightDecay: 5e-4 }) as unknown as Optimizer<Hyper>;
  return new SGD(params, { lr: 0.025, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }) as unknown as Optimizer<Hyper>;
}

export function randomBatch(space: SearchSpace, n: number): { x: Tensor; y: Tensor } {
  return space.exampleBatch(n);
}

/** The largest sub-network by exact parameter count (coordinate ascent, nas/constraint.ts). */
export function largestArchitecture(space: SearchSpace): Architecture {
  return extremeArchitecture(space, 'params', 'max').arch;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** sgemm GFLOP/s of a 2048x2048 float32 matmul (median of `reps`). */
export function sgemmGflops(reps = 5): number {
  const n = 2048;
  return tidy(() => {
    const a = randn([n, n]);
    const b = randn([n, n]);
    a.matmul(b).sum().item();
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      tidy(() => a.matmul(b).sum().item());
      times.push((performance.now() - t0) / 1000);
    }
    return (2 * n ** 3) / median(times) / 1e9;
  });
}

// Reference LM hyperparameters (reference-facts 6.7): AdamW betas (0.9, 0.99), weight decay 0.1, clip 1.
const lmAdamW = (params: Tensor[]) => new AdamW(params, { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0.1 });

/** One training step of the largest network of a GPT preset alone (AdamW, clip 1), on the default device. */
export function lmLargestStep(spaceName: string, batch: number, block: number): () => void {
  const c = GPT_PRESETS[spaceName as GptPresetName];
  const L = Math.max(...c.layers);
  const net = new GptSubnet({ vocabSize: c.vocabSize, blockSize: block, embed: Math.max(...c.embed), heads: Array(L).fill(Math.max(...c.heads)), mlpRatio: Array(L).fill(Math.max(...c.mlpRatio)), bias: c.bias, dropout: c.dropout });
  const seq = randint(0, c.vocabSize, [batch, block + 1]); // as GptSpace.exampleBatch
  const train = { x: seq.narrow(1, 0, block).contiguous(), y: seq.narrow(1, 1, block).contiguous() };
  const opt = lmAdamW(net.parameters());
  return () =>
    tidy(() => {
      opt.zeroGrad();
      const loss = crossEntropy(net.forward(train.x).reshape(-1, c.vocabSize), train.y.reshape(-1));
      loss.backward();
      clipGradNorm(net.parameters(), 1);
      opt.step();
      loss.item();
    });
}

/**
 * One TangleNAS bi-level step on a GPT space (DrNAS architect step, then an
 * AdamW weight step; bilevel.ts's weightStep reports classification accuracy,
 * which does not apply to [B, T, V] logits, so this is the same step without it).
 */
export function lmSupernetStep(space: SearchSpace, batch: number): () => void {
  const train = space.exampleBatch(batch);
  const val = space.exampleBatch(batch);
  const sampler = createSampler('drnas');
  const architect = new Architect(space, sampler);
  const opt = lmAdamW(space.supernet.parameters());
  return () => {
    architect.step(val);
    withFrozenAlphas(space, () =>
      tidy(() => {
        const loss = space.loss(space.supernet.forward(train.x, sampler.sample(space.choices)), train.y);
        opt.zeroGrad();
        loss.backward();
        clipGradNorm(space.supernet.parameters(), 1);
        opt.step();
        loss.item();
      }),
    );
  };
}
