// Params and FLOPs for search runs written before results recorded them: the
// found architecture's standalone network is built and measured (toy spaces;
// a language model's size depends on its corpus, so only recorded values
// count there). Loads libtorch, so the report does it only when asked.
import '../spaces/index.js'; // the built-in spaces' facts (metric)
import { metricOf } from '../nas/registry.js';
import type { LoadedRun } from './runs.js';

/** Fills `params` and `flops` of architecture.json in memory (never on disk) where they are missing. */
export async function fillMissingCosts(runs: LoadedRun[]): Promise<number> {
  const todo = runs.filter((r) => r.architecture?.architecture && typeof r.architecture.params !== 'number' && typeof r.config.space === 'string' && metricOf(r.config.space) !== 'loss');
  if (todo.length === 0) return 0;
  const [{ createSpace }, { architectureCost, parseArchitecture }] = await Promise.all([import('../spaces/index.js'), import('../search/common.js')]);
  let filled = 0;
  for (const r of todo) {
    const space = createSpace(String(r.config.space), { form: r.config.form === 'ws' ? 'ws' : 'we' });
    try {
      const cost = architectureCost(space, parseArchitecture(space, JSON.stringify(r.architecture!.architecture)));
      r.architecture = { ...r.architecture, ...cost };
      filled++;
    } catch (e) {
      r.warnings.push(`params and FLOPs could not be computed: ${(e as Error).message}`);
    } finally {
      space.supernet.dispose();
    }
  }
  return filled;
}
