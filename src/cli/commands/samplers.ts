// `tanglenas samplers`: the registered architecture samplers.
import { listSamplers } from '../../nas/samplers/sampler.js';
import { listing } from '../args.js';

export async function run(args: string[]): Promise<void> {
  listing(args, 'usage: tanglenas samplers [--json]\n\nThe registered architecture samplers, their config keys and preset layers.', listSamplers, () =>
    listSamplers().flatMap((s) => {
      const keys = Object.values(s.options).map((o) => `${o.key}=${JSON.stringify(o.default)}`);
      return [`${s.name.padEnd(8)} ${s.description}`, `${''.padEnd(8)} ${s.stage}; presets ${s.presets.map((l) => l.name).join(', ')}${keys.length ? `; keys ${keys.join(', ')}` : ''}`];
    }),
  );
}
