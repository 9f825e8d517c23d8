#!/usr/bin/env node
// The tanglenas command line: the command table (each command's module under
// commands/ is imported only when it runs), --plugin for every command, and
// the error handler. Every error becomes one clear line and exit code 1 (2 for
// usage, config and plugin errors); nothing aborts the process. Commands
// resolve their config before libtorch loads, so `threads` can still set
// TANGLENAS_THREADS (libtorch reads it once, at load time).
import { ConfigError, suggest } from '../search/config.js';
import { PluginError } from '../search/plugins.js';
import { extractPlugins, loadCliPlugins, UsageError } from './args.js';

/** A command's module: `run` gets the arguments after the command's name, and the name. */
interface CommandModule {
  run(args: string[], command: string): Promise<void>;
}

/** The commands in the order of the usage text: one help line and the module that runs it. */
const COMMANDS: Record<string, { help: string; load: () => Promise<CommandModule> }> = {
  search: { help: 'single-stage search: TangleNAS (DrNAS + weight superposition), DrNAS-WS, DARTS (1st/2nd order), GDAS', load: () => import('./commands/run.js') },
  'two-stage': { help: 'SPOS supernet training, then evolutionary or random search on it', load: () => import('./commands/run.js') },
  'black-box': { help: 'evolutionary or random search on an already trained SPOS supernet', load: () => import('./commands/run.js') },
  train: { help: 'train an architecture from scratch', load: () => import('./commands/run.js') },
  finetune: { help: "fine-tune an architecture from a supernet's weights", load: () => import('./commands/run.js') },
  evaluate: { help: "test (or validation) accuracy of a run's result", load: () => import('./commands/evaluate.js') },
  lookup: { help: 'benchmark accuracy of an architecture (toy spaces)', load: () => import('./commands/lookup.js') },
  generate: { help: 'text from a language-model run (a trained network, or the found architecture with the supernet weights)', load: () => import('./commands/generate.js') },
  compare: { help: 'methods x seeds with equal budgets, one results table', load: () => import('./commands/compare.js') },
  presets: { help: "list the presets (the paper's hyperparameters per space x method)", load: () => import('./commands/presets.js') },
  config: { help: 'print a resolved config; --keys lists every key', load: () => import('./commands/config.js') },
  spaces: { help: 'list the registered search spaces (with their task, datasets, benchmark, forms)', load: () => import('./commands/spaces.js') },
  samplers: { help: 'list the registered architecture samplers', load: () => import('./commands/samplers.js') },
  datasets: { help: 'list the registered datasets', load: () => import('./commands/datasets.js') },
  info: { help: 'libtorch build, threads and devices', load: () => import('./commands/info.js') },
  data: { help: 'fetch or find a dataset (cifar10, fashion-mnist) and verify its sha256', load: () => import('./commands/data.js') },
  export: { help: 'the found or trained network as model.safetensors + model.json (docs/export.md)', load: () => import('./commands/export.js') },
  report: { help: 'tables, SVG plots and an HTML page from runs or a compare folder; --watch for a live view', load: () => import('./commands/report.js') },
};

const USAGE = `usage: tanglenas <command> [options]

commands:
${Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(10)} ${v.help}`).join('\n')}

run 'tanglenas <command> --help' for a command's options.
--plugin FILE.js (any command, repeatable) imports an ES module that registers spaces,
samplers or datasets first (docs/api.md).
Configs: docs/search.md. Example: tanglenas search --space toy-cell --method tanglenas --epochs 10`;

async function main(args: string[]): Promise<void> {
  const { plugins, rest: argv } = extractPlugins(args);
  await loadCliPlugins(plugins);
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(USAGE);
    return;
  }
  const command = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!command) throw new UsageError(`unknown command '${cmd}'${suggest(cmd, Object.keys(COMMANDS))}\n\n${USAGE}`);
  await (await command.load()).run(rest, cmd);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const err = e as Error & { code?: string };
  // `usage: true` marks the errors of lower layers that are the command line's fault (a run directory in use, a data folder without the data).
  const usage = e instanceof UsageError || e instanceof ConfigError || e instanceof PluginError || (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) || (e as { usage?: unknown }).usage === true;
  console.error(`tanglenas: ${err.message}`);
  if (process.env.TANGLENAS_DEBUG) console.error(err.stack);
  process.exitCode = usage ? 2 : 1;
});
