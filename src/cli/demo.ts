// `tanglenas demo`: a short TangleNAS search (DrNAS + weight superposition) on the
// toy cell space with Fashion-MNIST, within a wall-clock budget. It prints the
// architecture found, its accuracy in the toy benchmark when the table is
// available, the inherited sub-network's test accuracy, and where the files are.
// The full search pipeline (configs, presets, resume) is `tanglenas search`.
import { mkdirSync, writeFileSync, existsSync, readFileSync, appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadImageDataset } from '../data/index.js';
import { createSearchLoaders } from '../data/prepare.js';
import { Architect } from '../nas/architect.js';
import { accuracy, bilevelStep } from '../nas/bilevel.js';
import { createSampler } from '../nas/samplers/index.js';
import { SGD } from '../nn/optim/sgd.js';
import { cosineWithWarmup } from '../nn/optim/schedule.js';
import { saveStateDict } from '../nn/safetensors.js';
import { createSpace } from '../spaces/index.js';
import { noGrad } from '../tensor/autograd.js';
import { softmax } from '../tensor/ops/activation.js';
import { manualSeed } from '../tensor/random.js';
import { getNumThreads } from '../tensor/runtime.js';
import { dispose, tidy } from '../tensor/scope.js';

export interface DemoOptions {
  minutes: number;
  seed: number;
  batchSize: number;
  archLr: number;
  dataDir?: string;
  runDir: string;
  benchmark?: string;
  quiet: boolean;
}

/** The toy cell benchmark: ../shared/data/toy-bench next to the checkout, or $TANGLENAS_BENCH_DIR. */
export function findToyBenchmark(file: string, explicit?: string): string | null {
  const candidates = [explicit, process.env.TANGLENAS_BENCH_DIR && join(process.env.TANGLENAS_BENCH_DIR, file), resolve('..', 'shared', 'data', 'toy-bench', file)];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

export async function runDemo(o: DemoOptions): Promise<void> {
  const log = (s: string) => { if (!o.quiet) console.log(s); };
  manualSeed(o.seed);
  mkdirSync(o.runDir, { recursive: true });
  const metricsPath = join(o.runDir, 'metrics.jsonl');
  writeFileSync(metricsPath, '');
  log(`tanglenas demo: TangleNAS (DrNAS + weight superposition) on the toy cell space, Fashion-MNIST, ${o.minutes} min budget, ${getNumThreads()} threads, seed ${o.seed}`);
  const ds = await loadImageDataset('fashion-mnist', { dir: o.dataDir, log: o.quiet ? undefined : (m: string) => log(`  data: ${m}`) });
  const loaders = createSearchLoaders(ds, { batchSize: o.batchSize, trainPortion: 0.5, seed: o.seed });
  const space = createSpace('toy-cell', { form: 'we' });
  const sampler = createSampler('drnas');
  const architect = new Architect(space, sampler, { lr: o.archLr });
  const optimizer = new SGD(space.supernet.parameters(), { lr: 0.025, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
  log(`  supernet: ${space.supernet.numParameters().toLocaleString('en')} weights, ${space.size()} architectures; weights SGD 0.025 nesterov, alpha Adam ${o.archLr}`);

  const start = Date.now();
  const budgetMs = o.minutes * 60_000;
  // The schedule needs a step count; estimate it from the first steps' speed.
  let schedule: ((s: number) => number) | null = null;
  let step = 0;
  const window: number[] = [];
  try {
    while (Date.now() - start < budgetMs) {
      const r = tidy(() => {
        const train = loaders.train.next();
        const val = loaders.valid!.next();
        return bilevelStep(space, sampler, architect, optimizer, train, val);
      });
      step++;
      window.push(r.trainAcc);
      if (step === 5) {
        const perStep = (Date.now() - start) / 5;
        const total = Math.max(10, Math.floor(budgetMs / perStep));
        schedule = cosineWithWarmup({ baseLr: 0.025, minLr: 1e-3, warmupSteps: 0, totalSteps: total });
        log(`  ${(perStep / 1000).toFixed(2)} s per bi-level step (batch ${o.batchSize}); about ${total} steps in the budget`);
      }
      if (schedule) optimizer.setLr(schedule(step));
      if (step % 25 === 0) {
        const acc = window.reduce((a, b) => a + b, 0) / window.length;
        window.length = 0;
        const geno = space.genotype();
        const rec = { step, seconds: (Date.now() - start) / 1000, trainLoss: r.trainLoss, archLoss: r.archLoss, trainAcc: acc, lr: optimizer.lr, genotype: space.encode(geno) };
        appendFileSync(metricsPath, JSON.stringify(rec) + '\n');
        log(`  step ${String(step).padStart(4)}  ${rec.seconds.toFixed(0).padStart(4)} s  train loss ${r.trainLoss.toFixed(3)}  acc ${(100 * acc).toFixed(1)}%  val loss ${r.archLoss.toFixed(3)}`);
      }
    }
    const arch = space.genotype();
    const key = space.benchmarkKey(arch);
    const probs = noGrad(() => Object.fromEntries(space.choices.map((c) => [c.name, tidy(() => softmax(c.alpha).toArray().map((p) => +p.toFixed(4)))])));
    writeFileSync(join(o.runDir, 'architecture.json'), JSON.stringify({ space: space.name, architecture: JSON.parse(space.encode(arch)), benchmarkKey: key, alphaSoftmax: probs, steps: step }, null, 2) + '\n');
    saveStateDict(join(o.runDir, 'supernet.safetensors'), space.supernet, { space: space.name, steps: String(step) });

    // The found architecture's sub-network with inherited weights, on the test set (eval mode).
    const net = space.subnet(arch, { inherit: true }).eval();
    let correct = 0, seen = 0;
    for (const b of loaders.test.epochBatches()) {
      tidy(() => {
        correct += accuracy(noGrad(() => net.forward(b.x)), b.y) * b.size;
        seen += b.size;
        dispose([b.x, b.y]);
      });
    }
    log(`\nfound architecture after ${step} steps (${((Date.now() - start) / 1000).toFixed(0)} s):\n  ${key}`);
    log(`  inherited-weight sub-network test accuracy (no retraining): ${(100 * correct / seen).toFixed(2)}%`);
    const bench = findToyBenchmark('toy_cell_bench.json', o.benchmark);
    if (bench) {
      const table = JSON.parse(readFileSync(bench, 'utf8')) as { entries: { key: string; test_acc: number }[]; optimum: { test_acc: number } };
      const entry = table.entries.find((e) => e.key === key);
      const sorted = table.entries.map((e) => e.test_acc).sort((a, b) => b - a);
      const rank = entry ? sorted.indexOf(entry.test_acc) + 1 : -1;
      log(`  benchmark test accuracy (200 epochs from scratch): ${entry?.test_acc ?? 'not found'}%  (rank ${rank} of ${sorted.length}; optimum ${table.optimum.test_acc}%)`);
    } else {
      log('  (toy cell benchmark table not found: pass --benchmark FILE or set TANGLENAS_BENCH_DIR)');
    }
    log(`files: ${resolve(o.runDir)} (architecture.json, metrics.jsonl, supernet.safetensors)`);
    net.dispose();
  } finally {
    loaders.close();
  }
}
