// `tanglenas search | two-stage | black-box | train | finetune`: resolve the
// config (preset < --config file < flags, plus what --from or --supernet bring
// from another run), then start the run; or --resume one. The config is
// resolved before libtorch loads, so `threads` can still set TANGLENAS_THREADS.
// An architecture given as a file (--arch FILE, --from RUN_DIR) is copied into
// the config, so the run never depends on that file staying where it is.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { getSpace } from '../../nas/registry.js';
import { checkMethodFor, pluginsInConfigFile, type PartialConfig } from '../../search/config.js';
import { listPresets, resolveConfig } from '../../search/presets.js';
import { loadPlugins, pluginsOf } from '../../search/plugins.js';
import { distFromEnv, rankRunDir } from '../../search/distributed.js';
import { launch, launchPlan, LAUNCH_HELP, withoutLaunchFlags } from '../launch.js';
import { applyThreads, cliPlugins, CONFIG_OPTIONS, DEFAULT_METHOD, loadRunPlugins, overridesFrom, parse, prepareRunDir, presetNameFrom, runConfigOf, runOptions, str, UsageError } from '../args.js';

export type RunCommand = 'search' | 'two-stage' | 'black-box' | 'train' | 'finetune';

const RUN_USAGE: Record<RunCommand, string> = {
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

/**
 * The architecture itself when `spec` is a file or a run directory holding
 * one (a run's architecture.json: its `architecture`); else `spec` unchanged,
 * for the run's parse to report what is wrong with it.
 */
export function inlineArchitecture(spec: string, space: string): string {
  if (!existsSync(spec)) {
    if (/\.json$/i.test(spec.trim())) throw new UsageError(`--arch '${spec}' names a file that does not exist; give an existing file, a run directory, or the architecture itself`);
    return spec;
  }
  const file = statSync(spec).isDirectory() ? join(spec, 'architecture.json') : spec;
  if (!existsSync(file) || !statSync(file).isFile()) return spec;
  const text = readFileSync(file, 'utf8').trim();
  if (!text.startsWith('{')) return text; // a benchmark key
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return spec;
  }
  if (obj.architecture && typeof obj.architecture === 'object') return obj.space === undefined || obj.space === space ? JSON.stringify(obj.architecture) : spec;
  return typeof obj.command === 'string' ? spec : JSON.stringify(obj);
}

function help(command: RunCommand): string {
  const methods = [...new Set(listPresets().filter((p) => (command === 'search' ? p.command === 'search' : command === 'two-stage' || command === 'black-box' ? p.command === 'two-stage' : p.command === command)).map((p) => p.name.split('/')[1]))];
  return `${RUN_USAGE[command]}\n\n${LAUNCH_HELP}\n${CONFIG_OPTIONS.replace('{PRESET_METHODS}', methods.join(', '))}${command === 'train' || command === 'finetune' ? '\n  --arch ARCH          the architecture (JSON, benchmark key or file)\n  --from RUN_DIR       a search run: its architecture (and supernet, for finetune)' : ''}${command === 'black-box' || command === 'finetune' ? '\n  --supernet RUN_DIR   the trained supernet (a run directory or supernet.safetensors)' : ''}`;
}

export async function run(args: string[], name: string): Promise<void> {
  const command = name as RunCommand;
  const { values } = parse(args, runOptions);
  if (values.help) return void console.log(help(command));
  const quiet = Boolean(values.quiet);
  if (values.keys) throw new UsageError(`--keys belongs to 'tanglenas config'`);
  const overrides = overridesFrom(values);
  const plan = launchPlan(values);
  const dist = distFromEnv();
  const resume = str(values.resume);
  if (plan) {
    // The launcher: every rank gets the same run directory (a new run's default name has a time in it).
    const argv = withoutLaunchFlags(process.argv.slice(2));
    if (!resume && overrides.run_dir === undefined) argv.push('--run-dir', `runs/${command}-dp${plan.nproc * plan.nnodes}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    process.exitCode = await launch(plan, argv);
    return;
  }
  if (dist && !resume && overrides.run_dir === undefined) throw new UsageError(`rank ${dist.rank} of ${dist.world}: a data-parallel run needs --run-dir (every rank must name the same directory)`);
  // Rank r > 0 keeps its own bookkeeping below the run directory and prints only errors.
  const rankDir = (dir: string) => (dist ? rankRunDir(dir, dist.rank) : dir);
  const quietRank = quiet || (dist !== null && dist.rank > 0);
  if (resume) {
    const extra = ['preset', 'space', 'method', 'config', 'from'].filter((k) => values[k] !== undefined);
    if (extra.length) throw new UsageError(`--resume continues a run with its own config; drop --${extra.join(', --')}`);
    if (!existsSync(resume)) throw new UsageError(`run directory '${resume}' does not exist; check the path given to --resume`);
    await prepareRunDir(resume, overrides.threads as number | undefined);
    const { resumeRun } = await import('../../search/pipeline.js');
    const { Progress } = await import('../../search/progress.js');
    const outcome = await resumeRun(rankDir(resume), overrides, { progress: new Progress({ quiet: quietRank }), command });
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
      // The supernet's shape: the search run's values of its space's own keys (darts: search_layers, ...).
      for (const o of Object.values(getSpace(String(rc.config.space)).options)) if (rc.config[o.key] !== undefined && !(o.key in overrides)) fromCfg[o.key as keyof PartialConfig] = rc.config[o.key];
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
      if (!values.preset && !values.method) presetName = `${String(rc.config.space)}/spos-${String(rc.config.black_box ?? 'es')}`;
    }
  }
  const file = str(values.config) ?? null;
  const filePlugins = file ? await loadPlugins(pluginsInConfigFile(file)) : [];
  const plugins = [...new Set([...pluginsOf(supernetBase), ...pluginsOf(fromCfg), ...filePlugins, ...cliPlugins])];
  const resolved = resolveConfig({ preset: presetName, file, overrides: { ...supernetBase, ...fromCfg, ...overrides, ...(plugins.length ? { plugins } : {}) }, defaultPreset: base! });
  const { preset } = resolved;
  const config = resolved.config.arch === null ? resolved.config : { ...resolved.config, arch: inlineArchitecture(resolved.config.arch, resolved.config.space) };
  checkMethodFor(command, config);
  applyThreads(config.threads);
  const { startRun } = await import('../../search/pipeline.js');
  const { Progress } = await import('../../search/progress.js');
  const outcome = await startRun(command, dist && config.run_dir ? { ...config, run_dir: rankDir(config.run_dir) } : config, preset, { progress: new Progress({ quiet: quietRank }) });
  if (outcome.status === 'stopped') process.exitCode = 3;
}
