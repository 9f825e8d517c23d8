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
import { createSpace } from '../src/spaces/index.js';
import { lmLargestStep, lmSupernetStep, median } from './nas-setup.js';

type Mode = 'supernet' | 'largest';

function child(spaceName: string, mode: Mode, batch: number, block: number): void {
  manualSeed(0);
  // Only what the mode needs is built, so the supernet's memory never enters a 'largest' process.
  const step = mode === 'largest' ? lmLargestStep(spaceName, batch, block) : lmSupernetStep(createSpace(spaceName, { blockSize: block }), batch);
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
