// `tanglenas presets`: the presets (the paper's hyperparameters per space x method).
import { listPresets } from '../../search/presets.js';
import { parse } from '../args.js';

export async function run(args: string[]): Promise<void> {
  const { values } = parse(args, { space: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return void console.log('usage: tanglenas presets [--space S] [--json]\n\nLists the presets; show one in full with tanglenas config --preset NAME.');
  const ps = listPresets().filter((p) => !values.space || p.name.startsWith(`${values.space}/`));
  if (values.json) return void console.log(JSON.stringify(ps, null, 2));
  for (const p of ps) console.log(`${p.name.padEnd(26)} ${p.command.padEnd(9)} ${p.description}`);
}
