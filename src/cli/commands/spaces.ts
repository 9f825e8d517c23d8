// `tanglenas spaces`: the registered search spaces and their facts.
import { listSpaces } from '../../nas/registry.js';
import { listing } from '../args.js';

export async function run(args: string[]): Promise<void> {
  listing(args, 'usage: tanglenas spaces [--json]\n\nThe registered spaces and their facts (task, datasets, benchmark, forms, metric).', listSpaces, () =>
    listSpaces().flatMap((s) => [
      `${s.name.padEnd(16)} ${s.description}`,
      `${''.padEnd(16)} ${s.task}, datasets ${s.datasets.join('/')}, forms ${s.forms.join('/')}, metric ${s.metric}${s.benchmark ? `, benchmark ${s.benchmark.file}` : ''}`,
    ]),
  );
}
