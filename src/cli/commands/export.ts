// `tanglenas export RUN_DIR`: the found or trained network as model.safetensors
// plus model.json, and with --onnx model.onnx (docs/export.md).
import { parse, prepareRunDir, str, UsageError } from '../args.js';

const EXPORT_USAGE = `usage: tanglenas export RUN_DIR [--out DIR] [--arch ARCH] [--data-dir DIR] [--onnx] [--threads N] [--json]

Writes the network of a run as a standalone model: OUT/model.safetensors (the plain
sub-network's state dict: a search run's architecture with the supernet's weights,
BatchNorm statistics recalibrated for it; a train or finetune run's trained weights)
and OUT/model.json (space, architecture, every module and tensor with its shape, the
input with its normalisation, the classes or the vocabulary). docs/export.md loads
it into plain PyTorch.
  --out DIR        output folder (default RUN_DIR/export)
  --arch ARCH      another architecture of a search run (JSON, benchmark key or file)
  --data-dir DIR   the dataset, when it moved since the run (BatchNorm calibration, vocabulary)
  --onnx           also write OUT/model.onnx: the network in eval mode as an ONNX graph
                   (opset 17, dynamic batch dim; input 'input', output 'logits')
  --json           print model.json`;

export async function run(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { out: { type: 'string' }, arch: { type: 'string' }, 'data-dir': { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' }, onnx: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (values.help) return void console.log(EXPORT_USAGE);
  if (positionals.length !== 1) throw new UsageError(`export takes one run directory, got ${positionals.length ? positionals.join(' ') : 'none'}\n\n${EXPORT_USAGE}`);
  const t = str(values.threads);
  if (t !== undefined && !(Number.isInteger(Number(t)) && Number(t) >= 1)) throw new UsageError(`--threads must be a positive integer, got '${t}'`);
  await prepareRunDir(positionals[0], t === undefined ? undefined : Number(t));
  const { exportRun } = await import('../../search/export.js');
  const r = await exportRun(positionals[0], { out: str(values.out), arch: str(values.arch), dataDir: str(values['data-dir']), onnx: values.onnx === true });
  r.net.dispose();
  if (values.json) return void console.log(JSON.stringify(r.card, null, 2));
  console.log(`exported ${r.card.space} ${r.card.benchmark_key} (${r.card.params.toLocaleString('en')} parameters, ${r.card.source.weights})`);
  for (const f of r.files) console.log(`  ${f}`);
}
