// `tanglenas export RUN_DIR`: the network a run found or trained, as a
// standalone model.safetensors (the plain sub-network's state dict, the names
// PyTorch would give the same modules) plus model.json, which says everything
// needed to rebuild and feed it without tanglenas: space, architecture, every
// module and tensor with its shape, the input and its normalisation, and the
// classes or the vocabulary (docs/export.md). With `onnx`, model.onnx too: the
// eval-mode network traced into an ONNX graph (src/nn/onnx.ts).
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../nn/atomic.js';
import type { Layer } from '../nn/layer.js';
import { toOnnx, type OnnxModel } from '../nn/onnx.js';
import { saveFile } from '../nn/safetensors.js';
import { getSpace } from '../nas/registry.js';
import { noGrad } from '../tensor/autograd.js';
import { archValues } from './common.js';
import { createRunLoaders, isTextDataset, loadRunDataset, spaceOptionsFor, type RunDataset } from './data.js';
import { withCalibratedBatchNorm } from './evaluate.js';
import { readRun } from './lifecycle.js';
import { openRunResult } from './weights.js';
import { createSpace } from '../spaces/index.js';
import { manualSeed } from '../tensor/random.js';

export interface ExportOptions {
  /** Output folder (default RUN_DIR/export). */
  out?: string;
  /** Another architecture of a search run (JSON, benchmark key or file). */
  arch?: string;
  /** The data folder, when it moved since the run. */
  dataDir?: string;
  /** A dataset given by the caller (tests) instead of the run's. */
  dataset?: RunDataset;
  /** Also write OUT/model.onnx (the eval-mode network as an ONNX opset-17 graph). */
  onnx?: boolean;
}

/** model.onnx as model.json describes it. */
export interface OnnxCard {
  file: 'model.onnx';
  opset: number;
  /** `batch` marks the dynamic batch dim. */
  input: { name: string; shape: (number | string)[]; dtype: 'float32' | 'int64' };
  output: { name: string; shape: (number | string)[]; dtype: 'float32' };
  /** ONNX node types and how often each occurs. */
  ops: Record<string, number>;
}

export interface ModelCard {
  format: 'tanglenas.export/1';
  tanglenas_version: string;
  source: { run: string; command: string; weights: string };
  space: string;
  task: string;
  architecture: Record<string, string | number>;
  benchmark_key: string;
  input: { shape: number[]; dtype: 'float32' | 'int64'; normalisation?: { scale: number; mean: number[]; std: number[] }; block_size?: number };
  classes?: string[];
  vocabulary?: { tokenizer: 'char'; chars: string[] } | { tokenizer: 'gpt2'; size: number };
  params: number;
  modules: { name: string; type: string }[];
  tensors: { name: string; shape: number[]; dtype: string }[];
  /** With --onnx. */
  onnx?: OnnxCard;
}

function version(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, d = dirname(d)) {
    try {
      return (JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      /* keep looking upwards */
    }
  }
  return 'unknown';
}

/** Writes OUT/model.safetensors and OUT/model.json; returns their paths and the card. */
export async function exportRun(dir: string, o: ExportOptions = {}): Promise<{ out: string; files: string[]; card: ModelCard; net: Layer }> {
  const { run, config, info } = readRun(dir);
  const c = { ...config, ...(o.dataDir !== undefined ? { data_dir: o.dataDir } : {}) };
  const ds = o.dataset ?? (await loadRunDataset(c));
  manualSeed(c.seed);
  const space = createSpace(c.space, spaceOptionsFor(c, ds));
  const loaders = createRunLoaders(ds, c, space.inputShape[0]);
  try {
    const opened = openRunResult(run, info, c, space, o.arch);
    const { arch } = opened;
    // A search result: the sub-network with the supernet's weights, its BatchNorm
    // statistics recalibrated for it as the run's evaluations were.
    const net = opened.model ?? withCalibratedBatchNorm(space, arch, loaders.calibration(), () => space.subnet(arch, { inherit: true }));
    net.eval();
    const out = resolve(o.out ?? join(run.dir, 'export'));
    const state = net.stateDict();
    const entry = getSpace(c.space);
    const card: ModelCard = {
      format: 'tanglenas.export/1',
      tanglenas_version: version(),
      source: { run: resolve(run.dir), command: info.command, weights: opened.model ? 'trained (model.safetensors of the run)' : `inherited from the supernet${loaders.calibration() ? `, BatchNorm statistics recalibrated on ${c.bn_calibration_samples} training images` : ''}` },
      space: c.space,
      task: entry.task,
      architecture: archValues(space, arch),
      benchmark_key: space.benchmarkKey(arch),
      input: isTextDataset(ds)
        ? { shape: [space.inputShape[0]], dtype: 'int64', block_size: space.inputShape[0] }
        : { shape: [...space.inputShape], dtype: 'float32', normalisation: { scale: 1 / 255, mean: [...ds.mean], std: [...ds.std] } },
      ...(isTextDataset(ds)
        ? { vocabulary: ds.tokenizer.kind === 'char' ? { tokenizer: 'char' as const, chars: [...(ds.tokenizer as unknown as { chars: string[] }).chars] } : { tokenizer: 'gpt2' as const, size: ds.tokenizer.vocabSize } }
        : { classes: [...ds.classNames] }),
      params: net.numParameters(),
      modules: net.namedModules().map(([name, m]) => ({ name: name || '<root>', type: m.constructor.name })),
      tensors: [...state].map(([name, t]) => ({ name, shape: [...t.shape], dtype: t.dtype })),
    };
    // Traced first: a network ONNX cannot express fails before any file is written.
    let onnxBytes: Uint8Array | null = null;
    if (o.onnx) {
      const example = (n: number) => {
        const { x, y } = space.exampleBatch(n);
        y.dispose();
        return x;
      };
      const metadata = { format: card.format, space: c.space, architecture: JSON.stringify(card.architecture), benchmark_key: card.benchmark_key, input: JSON.stringify(card.input) };
      let model: OnnxModel;
      try {
        model = toOnnx(net, { example, metadata, producerVersion: card.tanglenas_version, docString: `${c.space} ${card.benchmark_key}, exported by tanglenas from ${card.source.run}` });
      } catch (e) {
        net.dispose();
        throw e;
      }
      card.onnx = { file: 'model.onnx', opset: model.opset, input: { name: 'input', shape: model.inputShape, dtype: card.input.dtype }, output: { name: 'logits', shape: model.outputShape, dtype: 'float32' }, ops: model.ops };
      onnxBytes = model.bytes;
    }
    mkdirSync(out, { recursive: true });
    const files = [join(out, 'model.safetensors'), join(out, 'model.json')];
    noGrad(() => saveFile(files[0], state, { format: 'tanglenas.export/1', space: c.space, arch: space.encode(arch) }));
    if (onnxBytes) {
      files.push(join(out, 'model.onnx'));
      writeFileAtomic(files[2], onnxBytes);
    }
    writeFileAtomic(files[1], `${JSON.stringify(card, null, 2)}\n`);
    return { out, files, card, net };
  } finally {
    loaders.close();
    space.supernet.dispose();
  }
}
