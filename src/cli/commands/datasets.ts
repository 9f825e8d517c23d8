// `tanglenas datasets`: the registered datasets.
import { listDatasets } from '../../data/registry.js';
import { listing } from '../args.js';

export async function run(args: string[]): Promise<void> {
  listing(
    args,
    'usage: tanglenas datasets [--json]\n\nThe registered datasets.',
    () => listDatasets().map(({ name, kind, description }) => ({ name, kind, description })),
    () => listDatasets().map((d) => `${d.name.padEnd(16)} ${d.kind.padEnd(9)} ${d.description}`),
  );
}
