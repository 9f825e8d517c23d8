// `tanglenas config`: the resolved config as JSON, or with --keys every key.
import { describeKeys, pluginsInConfigFile } from '../../search/config.js';
import { resolveConfig } from '../../search/presets.js';
import { loadPlugins } from '../../search/plugins.js';
import { cliPlugins, CONFIG_OPTIONS, overridesFrom, parse, presetNameFrom, runOptions, str } from '../args.js';

const CONFIG_USAGE = `usage: tanglenas config [--keys] [run options as for 'search']

Prints the resolved config as JSON (preset < --config file < flags), or with
--keys every key, its type and meaning.`;

export async function run(args: string[]): Promise<void> {
  const { values } = parse(args, runOptions);
  if (values.help) return void console.log(`${CONFIG_USAGE}\n\n${CONFIG_OPTIONS.replace('{PRESET_METHODS}', 'tanglenas, drnas-ws, darts, ...')}`);
  if (values.keys) return void console.log(describeKeys().join('\n'));
  const overrides = overridesFrom(values);
  const file = str(values.config) ?? null;
  const plugins = [...new Set([...(file ? await loadPlugins(pluginsInConfigFile(file)) : []), ...cliPlugins])];
  const { config, preset } = resolveConfig({ preset: presetNameFrom('config', values), file, overrides: { ...overrides, ...(plugins.length ? { plugins } : {}) }, defaultPreset: 'toy-cell/tanglenas' });
  console.log(JSON.stringify({ preset, ...config }, null, 2));
}
