// bench/gpu: the bi-level step on a GPU, against the same step in plain
// PyTorch (bench/gpu_torch.py, the machine's own PyTorch), and GPU memory of
// TangleNAS against the largest sub-network alone and against weight sharing.
// Every row runs in its own process (clean memory figures); ratios come from
// one run of this command. Run by hand on a GPU machine (docs/gpu.md):
//
//   node dist/bench/gpu.js [--device cuda] [--steps 10] [--python python3] [--quick] [--precision fp32|tf32|bf16]
//
// --precision applies to both sides (tanglenas's precision key; PyTorch: the same TF32
// switches and autocast), fp32 by default: no TF32 anywhere.
//
// Step time: median of --steps after 3 warm-up steps, each step ending with the
// loss read back (both sides). GPU memory: tanglenas rows report the most
// memory in use (cudaMemGetInfo, sampled after every step) minus what was in
// use before the model was built (the CUDA context), PyTorch rows the caching
// allocator's peak reservation; both count the allocator's reserve.
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Architect } from '../src/nas/architect.js';
import { bilevelStep } from '../src/nas/bilevel.js';
import { createSampler } from '../src/nas/samplers/index.js';
import { createSpace } from '../src/spaces/index.js';
import { gpuMemory, isCuda, resolveDevice } from '../src/tensor/device.js';
import { manualSeed } from '../src/tensor/random.js';
import { tidy } from '../src/tensor/scope.js';
import { setDefaultDevice, withDefaultDevice } from '../src/tensor/tensor.js';
import { setPrecision, withPrecision, type Precision } from '../src/tensor/precision.js';
import { largestArchitecture, lmLargestStep, lmSupernetStep, median, referenceOptimizer } from './nas-setup.js';

interface Row {
  label: string;
  /** tanglenas child: space, form, what ('step' | 'largest'), batch, LM context. */
  ours?: { space: string; form: 'we' | 'ws'; what: 'step' | 'largest'; batch: number; block?: number };
  /** PyTorch child (conv-macro only): batch, graph, largest. */
  torch?: { batch: number; graph?: boolean; largest?: boolean };
}

interface Measured {
  median_ms: number;
  gpu_mib: number | null;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

/** One tanglenas row in this process: prints {median_ms, gpu_mib}. */
function child(spec: NonNullable<Row['ours']>, device: string, steps: number, precision: Precision): void {
  const base = gpuMemory()?.usedMb ?? 0;
  manualSeed(0);
  // Built on the CPU and moved, as a run does.
  const space = withDefaultDevice('cpu', () => createSpace(spec.space, spec.block ? { form: spec.form, blockSize: spec.block } : { form: spec.form }));
  space.to(device);
  setDefaultDevice(device);
  setPrecision(precision, device);
  const lm = spec.block !== undefined;
  let step: () => void;
  if (spec.what === 'largest') {
    if (lm) step = lmLargestStep(spec.space, spec.batch, spec.block!);
    else {
      const net = space.subnet(largestArchitecture(space), { inherit: false });
      const opt = referenceOptimizer(space, net.parameters());
      const { x, y } = space.exampleBatch(spec.batch);
      step = () => tidy(() => {
        opt.zeroGrad();
        const loss = space.loss(net.forward(x), y);
        loss.backward();
        opt.step();
        loss.item();
      });
    }
    space.supernet.dispose(); // only the sub-network counts
  } else if (lm) step = lmSupernetStep(space, spec.batch);
  else {
    const sampler = createSampler('drnas');
    const architect = new Architect(space, sampler);
    const opt = referenceOptimizer(space, space.supernet.parameters());
    const train = space.exampleBatch(spec.batch);
    const val = space.exampleBatch(spec.batch);
    step = () => void bilevelStep(space, sampler, architect, opt, train, val); // reads the losses back
  }
  let peak = 0;
  const sample = () => (peak = Math.max(peak, gpuMemory()?.usedMb ?? 0));
  const run = step;
  step = () => withPrecision(run);
  for (let i = 0; i < 3; i++) (step(), sample());
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
    sample();
  }
  process.stdout.write(JSON.stringify({ median_ms: median(times), gpu_mib: gpuMemory() ? peak - base : null } satisfies Measured) + '\n');
}

function runChild(cmd: string, args: string[]): Measured {
  const p = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (p.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${p.status}): ${p.stderr.slice(-2000)}`);
  return JSON.parse(p.stdout.trim().split('\n').pop()!) as Measured;
}

function main(): void {
  const steps = Number(arg('--steps', '10'));
  const device = resolveDevice(arg('--device', 'cuda'));
  const ci = process.argv.indexOf('--child');
  const precision = arg('--precision', 'fp32') as Precision;
  if (ci >= 0) return child(JSON.parse(process.argv[ci + 1]) as NonNullable<Row['ours']>, device, steps, precision);
  const python = arg('--python', 'python3');
  const me = fileURLToPath(import.meta.url);
  const torchScript = fileURLToPath(new URL('../../bench/gpu_torch.py', import.meta.url));
  const quick = process.argv.includes('--quick');
  const rows: Row[] = [
    { label: 'conv-macro TangleNAS, batch 64', ours: { space: 'toy-conv-macro', form: 'we', what: 'step', batch: 64 }, torch: { batch: 64 } },
    { label: 'conv-macro TangleNAS, batch 256', ours: { space: 'toy-conv-macro', form: 'we', what: 'step', batch: 256 }, torch: { batch: 256 } },
    ...(isCuda(device) ? [{ label: 'conv-macro, PyTorch in a CUDA graph, batch 64', torch: { batch: 64, graph: true } }, { label: 'conv-macro, PyTorch in a CUDA graph, batch 256', torch: { batch: 256, graph: true } }] : []),
    { label: 'conv-macro largest sub-network alone, batch 64', ours: { space: 'toy-conv-macro', form: 'we', what: 'largest', batch: 64 }, torch: { batch: 64, largest: true } },
    { label: 'conv-macro DrNAS-WS, batch 64', ours: { space: 'toy-conv-macro', form: 'ws', what: 'step', batch: 64 } },
    { label: 'toy-cell TangleNAS, batch 64', ours: { space: 'toy-cell', form: 'we', what: 'step', batch: 64 } },
    ...(quick
      ? []
      : [
          { label: 'lm-char TangleNAS, 64 x 256', ours: { space: 'lm-char', form: 'we' as const, what: 'step' as const, batch: 64, block: 256 } },
          { label: 'lm-char largest alone, 64 x 256', ours: { space: 'lm-char', form: 'we' as const, what: 'largest' as const, batch: 64, block: 256 } },
          { label: 'lm-paper TangleNAS, 12 x 224', ours: { space: 'lm-paper', form: 'we' as const, what: 'step' as const, batch: 12, block: 224 } },
          { label: 'lm-paper largest alone, 12 x 224', ours: { space: 'lm-paper', form: 'we' as const, what: 'largest' as const, batch: 12, block: 224 } },
        ]),
  ];
  console.log(`bench/gpu on ${device}, precision ${precision} (both sides): median of ${steps} steps after 3 warm-up steps, one process per row`);
  const got = new Map<string, { ours?: Measured; torch?: Measured }>();
  for (const r of rows) {
    const m: { ours?: Measured; torch?: Measured } = {};
    if (r.ours) m.ours = runChild(process.execPath, [me, '--child', JSON.stringify(r.ours), '--device', device, '--steps', String(steps), '--precision', precision]);
    if (r.torch) m.torch = runChild(python, [torchScript, '--device', device, '--batch', String(r.torch.batch), '--steps', String(steps), ...(r.torch.graph ? ['--graph'] : []), ...(r.torch.largest ? ['--largest'] : []), '--precision', precision]);
    got.set(r.label, m);
    const f = (x?: Measured) => (x ? `${x.median_ms.toFixed(1)} ms${x.gpu_mib !== null ? `, ${x.gpu_mib.toFixed(0)} MiB` : ''}` : '-');
    const ratio = m.ours && m.torch ? `  tanglenas / PyTorch ${(m.ours.median_ms / m.torch.median_ms).toFixed(2)}` : '';
    console.log(`  ${r.label.padEnd(48)} tanglenas ${f(m.ours).padEnd(22)} PyTorch ${f(m.torch).padEnd(22)}${ratio}`);
  }
  const ours = (label: string) => got.get(label)?.ours;
  const memRatio = (a: string, b: string) => {
    const x = ours(a)?.gpu_mib, y = ours(b)?.gpu_mib;
    return x && y ? (x / y).toFixed(2) : 'n/a';
  };
  console.log(`GPU memory, TangleNAS / largest alone: conv-macro ${memRatio('conv-macro TangleNAS, batch 64', 'conv-macro largest sub-network alone, batch 64')} (target <= 1.2)` + (quick ? '' : `, lm-char ${memRatio('lm-char TangleNAS, 64 x 256', 'lm-char largest alone, 64 x 256')}`));
  console.log(`GPU memory, DrNAS-WS / TangleNAS, conv-macro batch 64: ${memRatio('conv-macro DrNAS-WS, batch 64', 'conv-macro TangleNAS, batch 64')}`);
  const g = got.get('conv-macro, PyTorch in a CUDA graph, batch 64')?.torch;
  const e = got.get('conv-macro TangleNAS, batch 64')?.torch;
  if (g && e) console.log(`PyTorch's CUDA graph / eager, batch 64: ${(g.median_ms / e.median_ms).toFixed(2)} (tanglenas has no CUDA graphs yet: docs/gpu.md)`);
  if (!quick) {
    const lp = ours('lm-paper TangleNAS, 12 x 224'), ll = ours('lm-paper largest alone, 12 x 224');
    if (lp && ll) console.log(`lm-paper bi-level step / largest network's training step: ${(lp.median_ms / ll.median_ms).toFixed(2)} (target <= 2.4)`);
  }
}

main();
