// bench/lm-memory: peak RSS of one TangleNAS bi-level step on a GPT space
// (DrNAS architect step on a validation batch, then an AdamW weight step) vs
// training the largest architecture alone with the same optimizer, each
// configuration in its own process (peak RSS is per process). Not in CI:
//
//   node dist/bench/lm-memory.js [--space lm-char] [--batch 8] [--block 256] [--repeats 3]
//
// Target (issue 6): supernet <= 1.2 x largest architecture. The reference trains
// lm-char at batch 64; we default to batch 8 (2-core machine), same context 256.
// Both networks use the same attention op (attentionMix, probabilities recomputed
// in backward). Results and history: docs/lm.md, "Memory".
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { manualSeed } from '../src/tensor/random.js';
import { tidy } from '../src/tensor/scope.js';
import { randint } from '../src/tensor/tensor.js';
import { crossEntropy } from '../src/tensor/ops/loss.js';
import { AdamW } from '../src/nn/optim/adamw.js';
import { clipGradNorm } from '../src/nn/optim/clip.js';
import { Architect } from '../src/nas/architect.js';
import { withFrozenAlphas } from '../src/nas/bilevel.js';
import { createSampler } from '../src/nas/samplers/index.js';
import { createSpace, GptSubnet, GPT_PRESETS, type GptPresetName } from '../src/spaces/index.js';
import { median } from './nas-setup.js';

type Mode = 'supernet' | 'largest';

// Reference LM hyperparameters (reference-facts 6.7): AdamW betas (0.9, 0.99), weight decay 0.1, clip 1.
const adamw = (params: ReturnType<GptSubnet['parameters']>) => new AdamW(params, { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0.1 });

function child(spaceName: string, mode: Mode, batch: number, block: number): void {
  manualSeed(0);
  let step: () => void;
  if (mode === 'largest') {
    // Only the sub-network is built, so the supernet's memory never enters this process.
    const c = GPT_PRESETS[spaceName as GptPresetName];
    const L = Math.max(...c.layers);
    const net = new GptSubnet({ vocabSize: c.vocabSize, blockSize: block, embed: Math.max(...c.embed), heads: Array(L).fill(Math.max(...c.heads)), mlpRatio: Array(L).fill(Math.max(...c.mlpRatio)), bias: c.bias, dropout: c.dropout });
    const seq = randint(0, c.vocabSize, [batch, block + 1]); // as GptSpace.exampleBatch
    const train = { x: seq.narrow(1, 0, block).contiguous(), y: seq.narrow(1, 1, block).contiguous() };
    const opt = adamw(net.parameters());
    step = () => tidy(() => {
      opt.zeroGrad();
      crossEntropy(net.forward(train.x).reshape(-1, c.vocabSize), train.y.reshape(-1)).backward();
      clipGradNorm(net.parameters(), 1);
      opt.step();
    });
  } else {
    const space = createSpace(spaceName, { blockSize: block });
    const train = space.exampleBatch(batch);
    const val = space.exampleBatch(batch);
    const sampler = createSampler('drnas');
    const architect = new Architect(space, sampler);
    const opt = adamw(space.supernet.parameters());
    // bilevel.ts's weightStep reports classification accuracy (argmax over dim 1), which
    // does not apply to [B, T, V] logits; this is the same step without it.
    step = () => {
      architect.step(val);
      withFrozenAlphas(space, () => tidy(() => {
        const loss = space.loss(space.supernet.forward(train.x, sampler.sample(space.choices)), train.y);
        opt.zeroGrad();
        loss.backward();
        clipGradNorm(space.supernet.parameters(), 1);
        opt.step();
      }));
    };
  }
  const before = process.memoryUsage().rss;
  const t0 = performance.now();
  for (let i = 0; i < 2; i++) step();
  const seconds = (performance.now() - t0) / 2000;
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ before, peak, seconds }) + '\n');
}

function arg(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
}

function main(): void {
  const args = process.argv.slice(2);
  const batch = Number(arg(args, '--batch', '8'));
  const block = Number(arg(args, '--block', '256'));
  const ci = args.indexOf('--child');
  if (ci >= 0) return child(args[ci + 1], args[ci + 2] as Mode, batch, block);
  const space = arg(args, '--space', 'lm-char');
  const repeats = Number(arg(args, '--repeats', '3'));
  const me = fileURLToPath(import.meta.url);
  const mb = (b: number) => (b / 2 ** 20).toFixed(0);
  console.log(`${space}: peak RSS of a bi-level step (DrNAS + AdamW) vs the largest architecture alone; batch ${batch}, context ${block}; median of ${repeats} processes; threads ${process.env.OMP_NUM_THREADS ?? 'default'}`);
  const res: Record<Mode, { before: number; peak: number; seconds: number }> = {} as never;
  for (const mode of ['supernet', 'largest'] as Mode[]) {
    const runs: { before: number; peak: number; seconds: number }[] = [];
    for (let r = 0; r < repeats; r++) {
      const p = spawnSync(process.execPath, [me, '--child', space, mode, '--batch', String(batch), '--block', String(block)], { encoding: 'utf8' });
      if (p.status !== 0) throw new Error(`child ${space} ${mode} failed: ${p.stderr}`);
      runs.push(JSON.parse(p.stdout.trim().split('\n').pop()!));
    }
    res[mode] = { before: median(runs.map((r) => r.before)), peak: median(runs.map((r) => r.peak)), seconds: median(runs.map((r) => r.seconds)) };
    console.log(`  ${mode.padEnd(9)} peak ${mb(res[mode].peak).padStart(6)} MB   (RSS before the steps ${mb(res[mode].before)} MB; ${res[mode].seconds.toFixed(1)} s per step)`);
  }
  console.log(`  supernet / largest = ${(res.supernet.peak / res.largest.peak).toFixed(2)} (target <= 1.2)`);
}

main();
