#!/usr/bin/env node
// The tanglenas command line. Every error becomes one clear line and exit code
// 1 (2 for usage errors); nothing aborts the process. The config is resolved
// before libtorch loads, so `threads` can still set TANGLENAS_THREADS (libtorch
// reads it once, at load time).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { checkMethodFor, ConfigError, describeKeys, parseOverride, pluginsInConfigFile, suggest, type Config, type PartialConfig } from '../search/config.js';
import { getPreset, listPresets, resolveConfig } from '../search/presets.js';
import { getSpace, listSpaces, metricOf, spaceNames } from '../nas/registry.js';
import { listSamplers } from '../nas/samplers/sampler.js';
import { listDatasets } from '../data/registry.js';
import { loadPlugins, PluginError, pluginsOf } from '../search/plugins.js';

class UsageError extends Error {}

const COMMAND_HELP: Record<string, string> = {
  search: 'single-stage search: TangleNAS (DrNAS + weight superposition), DrNAS-WS, DARTS (1st/2nd order), GDAS',
  'two-stage': 'SPOS supernet training, then evolutionary or random search on it',
  'black-box': 'evolutionary or random search on an already trained SPOS supernet',
  train: 'train an architecture from scratch',
  finetune: "fine-tune an architecture from a supernet's weights",
  evaluate: "test (or validation) accuracy of a run's result",
  lookup: 'benchmark accuracy of an architecture (toy spaces)',
  generate: 'text from a language-model run (a trained network, or the found architecture with the supernet weights)',
  compare: 'methods x seeds with equal budgets, one results table',
  presets: "list the presets (the paper's hyperparameters per space x method)",
  config: 'print a resolved config; --keys lists every key',
  spaces: 'list the registered search spaces (with their task, datasets, benchmark, forms)',
  samplers: 'list the registered architecture samplers',
  datasets: 'list the registered datasets',
  info: 'libtorch build, threads and devices',
  data: 'fetch or find a dataset (cifar10, fashion-mnist) and verify its sha256',
  report: 'tables, SVG plots and an HTML page from runs or a compare folder; --watch for a live view',
};

const USAGE = `usage: tanglenas <command> [options]

commands:
${Object.entries(COMMAND_HELP).map(([k, v]) => `  ${k.padEnd(10)} ${v}`).join('\n')}

run 'tanglenas <command> --help' for a command's options.
--plugin FILE.js (any command, repeatable) imports an ES module that registers spaces,
samplers or datasets first (docs/api.md).
Configs: docs/search.md. Example: tanglenas search --space toy-cell --method tanglenas --epochs 10`;

const CONFIG_OPTIONS = `config (later wins: preset < --config file < flags):
  --space S            a registered space (default toy-cell; 'tanglenas spaces')
  --method M           preset of the space: ${'{'}PRESET_METHODS}
  --preset NAME        a preset by full name, e.g. toy-conv-macro/gdas ('tanglenas presets')
  --config FILE        JSON or YAML file of flat keys (may name a 'preset')
  --set KEY=VALUE      any config key (repeatable; 'tanglenas config --keys')
  --epochs N           --seed N             --train-portion P    --batch-size B
  --data-dir DIR       --dataset D          --threads N          --budget-minutes M
  --data PATH          same as --data-dir (e.g. your corpus with --dataset text)
  --run-dir DIR        --benchmark-dir DIR
run control:
  --resume RUN_DIR     continue a killed or stopped run (only run-control keys may change:
                       budget, threads, checkpoint and log intervals, data/benchmark dirs)
  --quiet              print nothing but errors
  -h, --help`;

const RUN_USAGE: Record<string, string> = {
  search: `usage: tanglenas search [options]

Single-stage search (paper Algorithm 1 on the weight-superposition form, Algorithm 4
on the weight-sharing form): per step alpha on a validation batch, then the weights
on a training batch; the argmax of alpha is the result. Default preset
toy-cell/tanglenas.`,
  'two-stage': `usage: tanglenas two-stage [options]

Two-stage search (paper Algorithm 3): an SPOS supernet (a uniform sub-network per
step), then evolutionary (black_box: es) or random (rs) search scored by the
supernet's validation accuracy in eval mode. Default preset toy-cell/spos-es.`,
  'black-box': `usage: tanglenas black-box --supernet RUN_DIR [options]

Evolutionary or random search on a trained supernet (the config starts from the
supernet run's config). --supernet takes a run directory or a supernet.safetensors.`,
  train: `usage: tanglenas train (--arch ARCH | --from RUN_DIR) [options]

Trains an architecture from scratch with the benchmark's recipe (default preset
<space>/retrain). ARCH: JSON {"choice": value}, a benchmark key, or a file.`,
  finetune: `usage: tanglenas finetune --from RUN_DIR [--arch ARCH] [options]

Fine-tunes an architecture starting from a supernet's weights (default preset
<space>/finetune). --from takes a search run directory (architecture.json and
supernet.safetensors); --supernet/--arch set the two separately.`,
};

const EVALUATE_USAGE = `usage: tanglenas evaluate RUN_DIR [--split test|valid] [--arch ARCH] [--data-dir DIR] [--threads N] [--json]

The accuracy of a run's result in eval mode: a trained or fine-tuned network, or a
search run's architecture with the supernet's weights (--arch: another one).`;

const GENERATE_USAGE = `usage: tanglenas generate RUN_DIR [--prompt TEXT] [--tokens N] [--temperature T] [--top-k K] [--seed S]

Samples text from a language-model run (lm-tiny, lm-small, lm-char, lm-paper): the trained
network of a 'train' or 'finetune' run, or the found architecture with the supernet's
weights of a search run. Prints the prompt followed by the generated text.
  --prompt TEXT      start of the text (default a newline); every character must be in
                     the run's vocabulary
  --tokens N         tokens to generate (default 200)
  --temperature T    softmax temperature (default 0.8; 0 = greedy)
  --top-k K          sample among the K most likely tokens only
  --seed S           sampling seed (default 0: the same text every time)
  --data-dir PATH    the corpus, when it moved since training
  --threads N`;

const LOOKUP_USAGE = `usage: tanglenas lookup (--arch ARCH | --run RUN_DIR | --top N) [--space S] [--benchmark-dir DIR] [--json]

Benchmark accuracy of an architecture in the toy benchmark tables. ARCH: JSON
{"choice": value}, the benchmark key, or an architecture.json. The table comes from
--benchmark-dir, $TANGLENAS_BENCH_DIR or ../shared/data/toy-bench.`;

const COMPARE_USAGE = `usage: tanglenas compare --budget-minutes M [--space S] [--methods a,b,...] [--seeds 0,1,2] [--out DIR]
                         [--train-portions P,Q] [--retrain-minutes R] [--set KEY=VALUE ...]
                         [--dry-run] [--summary-only]

Runs every method x seed with the same budget (wall time, or CPU time with --set budget_clock=cpu) (epochs fitted to it),
one after the other, each in OUT/<method>-seed<seed>; finished runs are skipped and
interrupted ones resumed, so the command can be started again after a kill. Then
writes OUT/results.md and OUT/results.json. Default methods: tanglenas, drnas-ws,
spos-rs, spos-es (language models: tanglenas, spos-rs, spos-es); default out:
runs/compare-<space>-<M>min. --retrain-minutes R also trains each found architecture
from scratch for R minutes (OUT/<method>-seed<seed>-retrain; the language-model table
compares test loss after it). --train-portions 0.5,0.8 adds a grid axis (runs
OUT/<method>-tp<P>-seed<seed>). --set budget_clock=cpu measures every budget in CPU time
(fair when the machine is shared).`;

const CONFIG_USAGE = `usage: tanglenas config [--keys] [run options as for 'search']

Prints the resolved config as JSON (preset < --config file < flags), or with
--keys every key, its type and meaning.`;

const runOptions = {
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
  'budget-minutes': 'budget_minutes',
  'run-dir': 'run_dir',
  'benchmark-dir': 'benchmark_dir',
  arch: 'arch',
  supernet: 'supernet',
};

const DEFAULT_METHOD: Record<string, string> = { search: 'tanglenas', 'two-stage': 'spos-es', 'black-box': 'spos-es', train: 'retrain', finetune: 'finetune', config: 'tanglenas' };

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

function parse(args: string[], options: ParseArgsConfig['options'], allowPositionals = false): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, strict: true, allowPositionals });
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

type RunValues = Values;

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Config overrides from the flags (checked, naming the flag). */
function overridesFrom(values: RunValues): PartialConfig {
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

function presetNameFrom(command: string, values: RunValues, base?: string): string | null {
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

function checkSpaceFlag(space: string | undefined): void {
  if (space && !spaceNames().includes(space)) throw new UsageError(`--space must be one of ${spaceNames().join(', ')}, got '${space}'${suggest(space, spaceNames())} (a plugin's space needs --plugin FILE)`);
}

/** Plugins given on the command line (absolute paths): every command loads them first, runs record them. */
let cliPlugins: string[] = [];

/** Takes every --plugin FILE / --plugin=FILE out of the arguments. */
function extractPlugins(argv: string[]): { plugins: string[]; rest: string[] } {
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
async function loadRunPlugins(dir: string): Promise<void> {
  await loadPlugins(pluginsOf(runConfigOf(dir)?.config));
}

/** A run directory's config.json, if `spec` is one. */
function runConfigOf(spec: string): { dir: string; config: Record<string, unknown> } | null {
  if (!existsSync(spec) || !statSync(spec).isDirectory() || !existsSync(join(spec, 'config.json'))) return null;
  try {
    return { dir: spec, config: JSON.parse(readFileSync(join(spec, 'config.json'), 'utf8')) as Record<string, unknown> };
  } catch (e) {
    throw new Error(`'${join(spec, 'config.json')}' is not valid JSON (${(e as Error).message}); the run directory is damaged`);
  }
}

function applyThreads(threads: number | undefined): void {
  // Must happen before the first import of the engine.
  if (threads && threads > 0) process.env.TANGLENAS_THREADS = String(threads);
}

async function runCommand(command: 'search' | 'two-stage' | 'black-box' | 'train' | 'finetune', args: string[]): Promise<void> {
  const { values } = parse(args, runOptions);
  if (values.help) {
    const methods = [...new Set(listPresets().filter((p) => (command === 'search' ? p.command === 'search' : command === 'two-stage' || command === 'black-box' ? p.command === 'two-stage' : p.command === command)).map((p) => p.name.split('/')[1]))];
    console.log(`${RUN_USAGE[command]}\n\n${CONFIG_OPTIONS.replace('{PRESET_METHODS}', methods.join(', '))}${command === 'train' || command === 'finetune' ? '\n  --arch ARCH          the architecture (JSON, benchmark key or file)\n  --from RUN_DIR       a search run: its architecture (and supernet, for finetune)' : ''}${command === 'black-box' || command === 'finetune' ? '\n  --supernet RUN_DIR   the trained supernet (a run directory or supernet.safetensors)' : ''}`);
    return;
  }
  const quiet = Boolean(values.quiet);
  if (values.keys) throw new UsageError(`--keys belongs to 'tanglenas config'`);
  const overrides = overridesFrom(values);
  const resume = str(values.resume);
  if (resume) {
    const extra = ['preset', 'space', 'method', 'config', 'from'].filter((k) => values[k] !== undefined);
    if (extra.length) throw new UsageError(`--resume continues a run with its own config; drop --${extra.join(', --')}`);
    if (!existsSync(resume)) throw new UsageError(`run directory '${resume}' does not exist; check the path given to --resume`);
    const t = overrides.threads as number | undefined;
    const rc = runConfigOf(resume);
    await loadRunPlugins(resume);
    applyThreads(t ?? (rc?.config.threads as number | undefined));
    const { resumeRun } = await import('../search/pipeline.js');
    const { Progress } = await import('../search/progress.js');
    const outcome = await resumeRun(resume, overrides, { progress: new Progress({ quiet }) });
    if (outcome.status === 'stopped') process.exitCode = 3;
    return;
  }
  // --from RUN_DIR: the architecture (and for finetune, the supernet) of a search run, in its space.
  let base: string | undefined = `toy-cell/${DEFAULT_METHOD[command]}`;
  const from = str(values.from);
  const fromCfg: PartialConfig = {};
  if (from !== undefined) {
    if (command !== 'train' && command !== 'finetune') throw new UsageError(`--from applies to train and finetune; use --supernet with ${command}`);
    const rc = runConfigOf(from);
    if (!rc) throw new UsageError(`--from '${from}' is not a run directory (no config.json)`);
    await loadRunPlugins(from);
    if (pluginsOf(rc.config).length) fromCfg.plugins = pluginsOf(rc.config);
    if (!existsSync(join(from, 'architecture.json'))) throw new UsageError(`--from '${from}' has no architecture.json; the search has not finished (resume it first)`);
    base = `${String(rc.config.space)}/${DEFAULT_METHOD[command]}`;
    if (overrides.arch === undefined) fromCfg.arch = join(from, 'architecture.json');
    if (command === 'finetune') {
      if (overrides.supernet === undefined) fromCfg.supernet = from;
      fromCfg.form = rc.config.form;
    }
    for (const k of ['data_dir', 'dataset', 'synthetic_train', 'synthetic_test', 'train_subset', 'test_subset'] as const) if (rc.config[k] !== undefined && !(k in overrides)) fromCfg[k] = rc.config[k];
    // A synthetic search keeps its seeded images.
    if (rc.config.dataset === 'synthetic' && overrides.seed === undefined) fromCfg.seed = rc.config.seed;
  }
  let presetName = presetNameFrom(command, values, base);
  let supernetBase: PartialConfig = {};
  if (command === 'black-box') {
    const sn = str(values.supernet);
    if (!sn) throw new UsageError(`'tanglenas black-box' needs --supernet RUN_DIR (a two-stage or SPOS run)`);
    const rc = runConfigOf(sn);
    if (rc) await loadRunPlugins(sn);
    if (rc) {
      // Start from the supernet run's own config: same space, form, data and split.
      const { run_dir: _r, budget_minutes: _b, budget_fit: _f, ...keep } = rc.config;
      supernetBase = keep as PartialConfig;
      if (!values.preset && !values.method) presetName = `${String(rc.config.space)}/${rc.config.black_box === 'rs' ? 'spos-rs' : 'spos-es'}`;
    }
  }
  const file = str(values.config) ?? null;
  const filePlugins = file ? await loadPlugins(pluginsInConfigFile(file)) : [];
  const plugins = [...new Set([...pluginsOf(supernetBase), ...pluginsOf(fromCfg), ...filePlugins, ...cliPlugins])];
  const { config, preset } = resolveConfig({ preset: presetName, file, overrides: { ...supernetBase, ...fromCfg, ...overrides, ...(plugins.length ? { plugins } : {}) }, defaultPreset: base! });
  checkMethodFor(command, config);
  applyThreads(config.threads);
  const { startRun } = await import('../search/pipeline.js');
  const { Progress } = await import('../search/progress.js');
  const outcome = await startRun(command, config, preset, { progress: new Progress({ quiet }) });
  if (outcome.status === 'stopped') process.exitCode = 3;
}

async function main(args: string[]): Promise<void> {
  const { plugins, rest: argv } = extractPlugins(args);
  cliPlugins = await loadPlugins(plugins);
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return;
  }
  switch (cmd) {
    case 'search':
    case 'two-stage':
    case 'black-box':
    case 'train':
    case 'finetune':
      return runCommand(cmd, rest);
    case 'evaluate': {
      const { values, positionals } = parse(rest, { split: { type: 'string' }, arch: { type: 'string' }, 'data-dir': { type: 'string' }, threads: { type: 'string' }, 'benchmark-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
      if (values.help) return void console.log(EVALUATE_USAGE);
      if (positionals.length !== 1) throw new UsageError(`evaluate takes one run directory, got ${positionals.length ? positionals.join(' ') : 'none'}\n\n${EVALUATE_USAGE}`);
      const split = str(values.split) ?? 'test';
      if (split !== 'test' && split !== 'valid') throw new UsageError(`--split must be 'test' or 'valid', got '${split}'`);
      const overrides: PartialConfig = {};
      for (const [flag, key] of [['data-dir', 'data_dir'], ['threads', 'threads'], ['benchmark-dir', 'benchmark_dir']] as const) {
        const v = str(values[flag]);
        if (v !== undefined) overrides[key] = parseOverride(key, v, `--${flag}`);
      }
      await loadRunPlugins(positionals[0]);
      applyThreads((overrides.threads as number | undefined) ?? (runConfigOf(positionals[0])?.config.threads as number | undefined));
      const { evaluateRun } = await import('../search/pipeline.js');
      const r = await evaluateRun(positionals[0], { split, arch: str(values.arch), overrides });
      if (values.json) return void console.log(JSON.stringify(r, null, 2));
      console.log(`${r.kind === 'model' ? 'trained network' : "architecture with the supernet's weights"} of ${r.dir}`);
      console.log(`  ${JSON.stringify(r.architecture)}`);
      if (metricOf(r.space) === 'loss') {
        console.log(`  ${split} loss ${r.loss.toFixed(4)} (perplexity ${Math.exp(r.loss).toFixed(2)}), token accuracy ${(100 * r.acc).toFixed(2)}% (${r.n} tokens, eval mode)`);
        return;
      }
      console.log(`  ${split} accuracy ${(100 * r.acc).toFixed(2)}% (loss ${r.loss.toFixed(4)}, ${r.n} images, eval mode)`);
      console.log(r.benchmark ? `  benchmark test accuracy ${r.benchmark.testAcc}% (rank ${r.benchmark.rank} of ${r.benchmark.size}; optimum ${r.benchmark.optimum}%)` : '  benchmark: table not available');
      return;
    }
    case 'lookup': {
      const { values } = parse(rest, { space: { type: 'string' }, arch: { type: 'string' }, run: { type: 'string' }, top: { type: 'string' }, 'benchmark-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
      if (values.help) return void console.log(LOOKUP_USAGE);
      const given = ['arch', 'run', 'top'].filter((k) => values[k] !== undefined);
      if (given.length !== 1) throw new UsageError(`lookup needs exactly one of --arch, --run, --top\n\n${LOOKUP_USAGE}`);
      let space = str(values.space);
      const runDir = str(values.run);
      if (runDir !== undefined) {
        const rc = runConfigOf(runDir);
        if (!rc) throw new UsageError(`--run '${runDir}' is not a run directory (no config.json)`);
        await loadRunPlugins(runDir);
        space ??= String(rc.config.space);
      }
      space ??= 'toy-cell';
      checkSpaceFlag(space);
      const { benchmarkFor } = await import('../search/benchmark.js');
      const bench = benchmarkFor(space, str(values['benchmark-dir']) ?? null);
      if (!bench) throw new Error(`no benchmark table for ${space} found: pass --benchmark-dir DIR or set TANGLENAS_BENCH_DIR (the folder holding ${getSpace(space).benchmark?.file ?? 'its table'})`);
      if (values.top !== undefined) {
        const n = Number(values.top);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--top must be a positive integer, got '${values.top}'`);
        const top = bench.top(n);
        if (values.json) return void console.log(JSON.stringify(top, null, 2));
        top.forEach((e, i) => console.log(`${String(i + 1).padStart(4)}  ${e.test_acc.toFixed(2)}%  ${e.key}`));
        return;
      }
      const { createSpace } = await import('../spaces/index.js');
      const { parseArchitecture } = await import('../search/common.js');
      const sp = createSpace(space);
      const arch = parseArchitecture(sp, runDir !== undefined ? join(runDir, 'architecture.json') : str(values.arch)!);
      const key = sp.benchmarkKey(arch);
      const hit = bench.lookup(key);
      sp.supernet.dispose();
      if (values.json) return void console.log(JSON.stringify({ space, architecture: JSON.parse(sp.encode(arch)), ...hit, key }, null, 2));
      console.log(key);
      if (!hit) throw new Error(`'${key}' is not in ${bench.file}; the table is incomplete or damaged`);
      console.log(`test accuracy ${hit.testAcc}%  train accuracy ${hit.trainAcc}%  rank ${hit.rank} of ${hit.size} (better than ${hit.percentile.toFixed(1)}%)  optimum ${hit.optimum}%`);
      return;
    }
    case 'compare': {
      const { values } = parse(rest, { space: { type: 'string' }, methods: { type: 'string' }, seeds: { type: 'string' }, 'budget-minutes': { type: 'string' }, 'retrain-minutes': { type: 'string' }, 'train-portions': { type: 'string' }, out: { type: 'string' }, set: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' }, 'summary-only': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
      if (values.help) return void console.log(COMPARE_USAGE);
      const space = str(values.space) ?? 'toy-cell';
      checkSpaceFlag(space);
      const budgetRaw = str(values['budget-minutes']);
      const budget = budgetRaw === undefined ? NaN : Number(budgetRaw);
      if (!(budget > 0)) throw new UsageError(`compare needs --budget-minutes M (a positive number, the same for every run), got '${budgetRaw ?? ''}'`);
      const retrainRaw = str(values['retrain-minutes']);
      const retrain = retrainRaw === undefined ? 0 : Number(retrainRaw);
      if (!(retrain >= 0) || retrainRaw?.trim() === '') throw new UsageError(`--retrain-minutes must be a number >= 0 (the budget to train each found architecture from scratch), got '${retrainRaw}'`);
      const { defaultMethods, planCompare, summarizeCompare } = await import('../search/compare.js');
      const methods = (str(values.methods) ?? defaultMethods(space).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
      const seeds = (str(values.seeds) ?? '0,1,2').split(',').map((s) => Number(s.trim()));
      if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new UsageError(`--seeds must be comma-separated non-negative integers, got '${values.seeds}'`);
      const tpRaw = str(values['train-portions']);
      const trainPortions = tpRaw === undefined ? undefined : tpRaw.split(',').map((s) => Number(s.trim()));
      if (trainPortions?.some((p) => !(p > 0 && p <= 1))) throw new UsageError(`--train-portions must be comma-separated numbers in (0, 1], e.g. 0.5,0.8, got '${tpRaw}'`);
      const sets = (values.set as string[] | undefined) ?? [];
      for (const s of sets) {
        const eq = s.indexOf('=');
        if (eq <= 0) throw new UsageError(`--set needs KEY=VALUE, got '${s}'`);
        parseOverride(s.slice(0, eq).trim(), s.slice(eq + 1), `--set ${s}`);
      }
      const out = str(values.out) ?? join('runs', `compare-${space}-${budget}min`);
      const failed: string[] = [];
      if (!values['summary-only']) {
        const plan = planCompare({ space, methods, seeds, budgetMinutes: budget, out, sets, retrainMinutes: retrain, trainPortions });
        const main = fileURLToPath(import.meta.url);
        for (const r of plan) {
          if (r.kind === 'retrain' && failed.some((f) => f.startsWith(`${r.method} seed ${r.seed} (`))) continue; // its search failed
          const line = `tanglenas ${r.args.join(' ')}`;
          if (values['dry-run']) {
            console.log(`${r.action === 'done' ? '# done: ' : ''}${line}`);
            continue;
          }
          if (r.action === 'done') {
            console.log(`[compare] ${r.method} seed ${r.seed}${r.kind === 'retrain' ? ' retrain' : ''}: done, skipped`);
            continue;
          }
          console.log(`[compare] ${r.method} seed ${r.seed}${r.kind === 'retrain' ? ' retrain' : ''}: ${line}`);
          const res = spawnSync(process.execPath, [main, ...cliPlugins.flatMap((f) => ['--plugin', f]), ...r.args, ...(values.quiet ? ['--quiet'] : [])], { stdio: 'inherit' });
          // One failed run does not stop the grid: the others still run, the table shows what exists.
          if (res.status !== 0 && res.status !== 3) failed.push(`${r.method} seed ${r.seed}${r.kind === 'retrain' ? ' retrain' : ''} (exit ${res.status ?? res.signal}; files in ${r.dir})`);
        }
        if (values['dry-run']) return;
      }
      const s = summarizeCompare(out, space, budget);
      console.log(`\n${s.markdown}\nfiles: ${out}/results.md, results.json`);
      const { writeReport } = await import('../report/report.js');
      await writeReport(out, { costs: true }).then((r) => console.log(`report: ${r.files.html}`), (e: Error) => console.error(`compare: the report was not written (${e.message}); run 'tanglenas report ${out}' to retry`));
      if (failed.length) throw new Error(`compare: ${failed.length} run${failed.length === 1 ? '' : 's'} failed: ${failed.join('; ')}. Fix the cause and run the same compare command again: finished runs are kept`);
      return;
    }
    case 'presets': {
      const { values } = parse(rest, { space: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
      if (values.help) return void console.log('usage: tanglenas presets [--space S] [--json]\n\nLists the presets; show one in full with tanglenas config --preset NAME.');
      const ps = listPresets().filter((p) => !values.space || p.name.startsWith(`${values.space}/`));
      if (values.json) return void console.log(JSON.stringify(ps, null, 2));
      for (const p of ps) console.log(`${p.name.padEnd(26)} ${p.command.padEnd(9)} ${p.description}`);
      return;
    }
    case 'config': {
      const { values } = parse(rest, runOptions);
      if (values.help) return void console.log(`${CONFIG_USAGE}\n\n${CONFIG_OPTIONS.replace('{PRESET_METHODS}', 'tanglenas, drnas-ws, darts, ...')}`);
      if (values.keys) return void console.log(describeKeys().join('\n'));
      const overrides = overridesFrom(values);
      const file = str(values.config) ?? null;
      const plugins = [...new Set([...(file ? await loadPlugins(pluginsInConfigFile(file)) : []), ...cliPlugins])];
      const { config, preset } = resolveConfig({ preset: presetNameFrom('config', values), file, overrides: { ...overrides, ...(plugins.length ? { plugins } : {}) }, defaultPreset: 'toy-cell/tanglenas' });
      console.log(JSON.stringify({ preset, ...config }, null, 2));
      return;
    }
    case 'spaces': {
      const { values } = parse(rest, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
      if (values.help) return void console.log('usage: tanglenas spaces [--json]\n\nThe registered spaces and their facts (task, datasets, benchmark, forms, metric).');
      if (values.json) return void console.log(JSON.stringify(listSpaces(), null, 2));
      for (const s of listSpaces()) {
        console.log(`${s.name.padEnd(16)} ${s.description}`);
        console.log(`${''.padEnd(16)} ${s.task}, datasets ${s.datasets.join('/')}, forms ${s.forms.join('/')}, metric ${s.metric}${s.benchmark ? `, benchmark ${s.benchmark.file}` : ''}`);
      }
      return;
    }
    case 'samplers': {
      const { values } = parse(rest, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
      if (values.help) return void console.log('usage: tanglenas samplers [--json]\n\nThe registered architecture samplers, their config keys and preset layers.');
      if (values.json) return void console.log(JSON.stringify(listSamplers(), null, 2));
      for (const s of listSamplers()) {
        console.log(`${s.name.padEnd(8)} ${s.description}`);
        const keys = Object.values(s.options).map((o) => `${o.key}=${JSON.stringify(o.default)}`);
        console.log(`${''.padEnd(8)} ${s.stage}; presets ${s.presets.map((l) => l.name).join(', ')}${keys.length ? `; keys ${keys.join(', ')}` : ''}`);
      }
      return;
    }
    case 'datasets': {
      const { values } = parse(rest, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
      if (values.help) return void console.log('usage: tanglenas datasets [--json]\n\nThe registered datasets.');
      if (values.json) return void console.log(JSON.stringify(listDatasets().map(({ name, kind, description }) => ({ name, kind, description })), null, 2));
      for (const d of listDatasets()) console.log(`${d.name.padEnd(16)} ${d.kind.padEnd(9)} ${d.description}`);
      return;
    }
    case 'data': {
      const { dataCommand } = await import('./data.js');
      await dataCommand(rest);
      return;
    }
    case 'generate': {
      const { values, positionals } = parse(rest, { prompt: { type: 'string' }, tokens: { type: 'string' }, temperature: { type: 'string' }, 'top-k': { type: 'string' }, seed: { type: 'string' }, 'data-dir': { type: 'string' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, true);
      if (values.help) return void console.log(GENERATE_USAGE);
      if (positionals.length !== 1) throw new UsageError(`generate takes one run directory, got ${positionals.length ? positionals.join(' ') : 'none'}\n\n${GENERATE_USAGE}`);
      const num = (flag: string, ok: (v: number) => boolean, what: string): number | undefined => {
        const v = str(values[flag]);
        if (v === undefined) return undefined;
        const n = Number(v);
        if (v.trim() === '' || !ok(n)) throw new UsageError(`--${flag} must be ${what}, got '${v}'`);
        return n;
      };
      const tokens = num('tokens', (n) => Number.isInteger(n) && n >= 1 && n <= 100000, 'an integer from 1 to 100000');
      const temperature = num('temperature', (n) => Number.isFinite(n) && n >= 0, 'a number >= 0 (0 = greedy)');
      const topK = num('top-k', (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
      const seed = num('seed', (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
      await loadRunPlugins(positionals[0]);
      applyThreads(num('threads', (n) => Number.isInteger(n) && n >= 1, 'a positive integer') ?? (runConfigOf(positionals[0])?.config.threads as number | undefined));
      const { generateFromRun } = await import('../search/generate.js');
      const g = await generateFromRun(positionals[0], { prompt: str(values.prompt), tokens, temperature, topK, seed, dataDir: str(values['data-dir']) });
      process.stdout.write(`${g.prompt}${g.text}\n`);
      return;
    }
    case 'report':
      return (await import('./report.js')).reportCommand(rest);
    case 'info': {
      const rt = await import('../tensor/runtime.js');
      console.log(`threads ${rt.getNumThreads()} (TANGLENAS_THREADS / OMP_NUM_THREADS, default all cores); cuda ${rt.cudaIsAvailable() ? `${rt.cudaDeviceCount()} device(s)` : 'not available'}`);
      console.log(rt.buildInfo().parallel);
      return;
    }
    default:
      throw new UsageError(`unknown command '${cmd}'${suggest(cmd, Object.keys(COMMAND_HELP))}\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const err = e as Error & { code?: string };
  const usage = e instanceof UsageError || e instanceof ConfigError || e instanceof PluginError || err.code?.startsWith('ERR_PARSE_ARGS');
  console.error(`tanglenas: ${err.message}`);
  if (process.env.TANGLENAS_DEBUG) console.error(err.stack);
  process.exitCode = usage ? 2 : 1;
});
