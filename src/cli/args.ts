// What the commands of the CLI share: argument parsing with "did you mean"
// errors, the run options and the config keys their flags set, the preset a
// command line names, run directories' configs, threads, and plugins (given
// with --plugin, or recorded by a run).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { joinNegativeValues } from './argv.js';
import { parseOverride, suggest, type Config, type PartialConfig } from '../search/config.js';
import { getPreset, listPresets } from '../search/presets.js';
import { spaceNames } from '../nas/registry.js';
import { loadPlugins, pluginsOf } from '../search/plugins.js';

/** A wrong command line: the CLI prints the message and exits with code 2. */
export class UsageError extends Error {}

export const CONFIG_OPTIONS = `config (later wins: preset < --config file < flags):
  --space S            a registered space (default toy-cell; 'tanglenas spaces')
  --method M           preset of the space: ${'{'}PRESET_METHODS}
  --preset NAME        a preset by full name, e.g. toy-conv-macro/gdas ('tanglenas presets')
  --config FILE        JSON or YAML file of flat keys (may name a 'preset')
  --set KEY=VALUE      any config key (repeatable; 'tanglenas config --keys')
  --epochs N           --seed N             --train-portion P    --batch-size B
  --data-dir DIR       --dataset D          --threads N          --budget-minutes M
  --device D           auto (default: a GPU when there is one), cpu, cuda, cuda:N
  --precision P        fp32 (default), tf32, bf16 (docs/gpu.md)
  --data PATH          same as --data-dir (e.g. your corpus with --dataset text)
  --run-dir DIR        --benchmark-dir DIR
run control:
  --resume RUN_DIR     continue a killed or stopped run (only run-control keys may change:
                       budget, threads, device, checkpoint and log intervals, data/benchmark dirs)
  --quiet              print nothing but errors
  -h, --help`;

/** The options of the run commands (search, two-stage, black-box, train, finetune) and of config. */
export const runOptions = {
  space: { type: 'string' },
  method: { type: 'string' },
  preset: { type: 'string' },
  config: { type: 'string' },
  set: { type: 'string', multiple: true },
  epochs: { type: 'string' },
  seed: { type: 'string' },
  'train-portion': { type: 'string' },
  'batch-size': { type: 'string' },
  'data-dir': { type: 'string' },
  data: { type: 'string' },
  dataset: { type: 'string' },
  threads: { type: 'string' },
  device: { type: 'string' },
  precision: { type: 'string' },
  'budget-minutes': { type: 'string' },
  'run-dir': { type: 'string' },
  'benchmark-dir': { type: 'string' },
  resume: { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  arch: { type: 'string' },
  from: { type: 'string' },
  supernet: { type: 'string' },
  keys: { type: 'boolean' },
  nproc: { type: 'string' },
  nnodes: { type: 'string' },
  'node-rank': { type: 'string' },
  'master-addr': { type: 'string' },
  'master-port': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Named flags and the keys they set. */
const FLAG_KEYS: Record<string, keyof Config> = {
  epochs: 'epochs',
  seed: 'seed',
  'train-portion': 'train_portion',
  'batch-size': 'batch_size',
  'data-dir': 'data_dir',
  data: 'data_dir',
  dataset: 'dataset',
  threads: 'threads',
  device: 'device',
  precision: 'precision',
  'budget-minutes': 'budget_minutes',
  'run-dir': 'run_dir',
  'benchmark-dir': 'benchmark_dir',
  arch: 'arch',
  supernet: 'supernet',
};

/** The preset method of each command when a command line names none. */
export const DEFAULT_METHOD: Record<string, string> = { search: 'tanglenas', 'two-stage': 'spos-es', 'black-box': 'spos-es', train: 'retrain', finetune: 'finetune', config: 'tanglenas' };

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export function parse(args: string[], options: ParseArgsConfig['options'], allowPositionals = false): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args: joinNegativeValues(args, options), options, strict: true, allowPositionals });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (e) {
    const m = /Unknown option '(--?[^']+)'/.exec((e as Error).message);
    if (m) {
      const names = Object.keys(options ?? {}).map((n) => `--${n}`);
      throw new UsageError(`unknown option '${m[1]}'${suggest(m[1], names).replace(/'--/g, "'--")}; see --help`);
    }
    throw new UsageError((e as Error).message);
  }
}

/** A listing command (spaces, samplers, datasets): --help prints `usage`, --json the items as JSON, else their lines. */
export function listing(args: string[], usage: string, json: () => unknown, lines: () => string[]): void {
  const { values } = parse(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return void console.log(usage);
  if (values.json) return void console.log(JSON.stringify(json(), null, 2));
  for (const l of lines()) console.log(l);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Config overrides from the flags (checked, naming the flag). */
export function overridesFrom(values: Values): PartialConfig {
  const o: PartialConfig = {};
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    const v = str(values[flag]);
    if (v !== undefined) o[key] = parseOverride(key, v, `--${flag}`);
  }
  for (const s of (values.set as string[] | undefined) ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set needs KEY=VALUE, got '${s}' (e.g. --set lr=0.01)`);
    const key = s.slice(0, eq).trim().replace(/-/g, '_');
    o[key as keyof Config] = parseOverride(key, s.slice(eq + 1), `--set ${s}`);
  }
  return o;
}

/** The preset a command line names (--preset, or --space/--method), else `base`. */
export function presetNameFrom(command: string, values: Values, base?: string): string | null {
  const preset = str(values.preset);
  const space = str(values.space);
  const method = str(values.method);
  if (preset && (space || method)) throw new UsageError('--preset names space and method already; drop --space/--method, or use them instead of --preset');
  if (preset) return preset;
  checkSpaceFlag(space);
  if (!space && !method) return base ?? null;
  const name = `${space ?? base?.split('/')[0] ?? 'toy-cell'}/${method ?? DEFAULT_METHOD[command]}`;
  if (!getPreset(name)) {
    const methods = listPresets().filter((p) => p.name.startsWith(`${space ?? 'toy-cell'}/`)).map((p) => p.name.split('/')[1]);
    throw new UsageError(`--method '${method}' is not a preset of ${space ?? 'toy-cell'}${suggest(method ?? '', methods)}; choose one of ${methods.join(', ')}`);
  }
  return name;
}

export function checkSpaceFlag(space: string | undefined): void {
  if (space && !spaceNames().includes(space)) throw new UsageError(`--space must be one of ${spaceNames().join(', ')}, got '${space}'${suggest(space, spaceNames())} (a plugin's space needs --plugin FILE)`);
}

/** Plugins given on the command line (absolute paths): every command loads them first, runs record them. */
export let cliPlugins: string[] = [];

/** Loads the plugins of the command line and remembers them for the commands (cliPlugins). */
export async function loadCliPlugins(files: string[]): Promise<void> {
  cliPlugins = await loadPlugins(files);
}

/** Takes every --plugin FILE / --plugin=FILE out of the arguments. */
export function extractPlugins(argv: string[]): { plugins: string[]; rest: string[] } {
  const plugins: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--plugin') {
      const f = argv[++i];
      if (f === undefined || f.startsWith('--')) throw new UsageError('--plugin needs a file: --plugin FILE.js (an ES module that registers spaces, samplers or datasets)');
      plugins.push(f);
    } else if (a.startsWith('--plugin=')) plugins.push(a.slice('--plugin='.length));
    else rest.push(a);
  }
  return { plugins, rest };
}

/** Loads the plugins a run recorded (resume, evaluate, generate, lookup --run). */
export async function loadRunPlugins(dir: string): Promise<void> {
  await loadPlugins(pluginsOf(runConfigOf(dir)?.config));
}

/** A run directory's config.json, if `spec` is one. */
export function runConfigOf(spec: string): { dir: string; config: Record<string, unknown> } | null {
  if (!existsSync(spec) || !statSync(spec).isDirectory() || !existsSync(join(spec, 'config.json'))) return null;
  try {
    return { dir: spec, config: JSON.parse(readFileSync(join(spec, 'config.json'), 'utf8')) as Record<string, unknown> };
  } catch (e) {
    throw new Error(`'${join(spec, 'config.json')}' is not valid JSON (${(e as Error).message}); the run directory is damaged`);
  }
}

export function applyThreads(threads: number | undefined): void {
  // Must happen before the first import of the engine.
  if (threads && threads > 0) process.env.TANGLENAS_THREADS = String(threads);
}

/** Before a command works on an existing run: its plugins, and the threads of the flag, else of the run. */
export async function prepareRunDir(dir: string, threads: number | undefined): Promise<void> {
  await loadRunPlugins(dir);
  applyThreads(threads ?? (runConfigOf(dir)?.config.threads as number | undefined));
}
