// The console text of a run: what it is about to do (the first line and the
// plan of each phase) and, at the end, what it found or trained and where its
// files are. Only text: the callers log the lines.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { hasSpace, getSpace, metricOf, taskOf } from '../nas/registry.js';
import type { Config } from './config.js';
import type { BlackBoxRunResult, SearchResult, TrainResult } from './results.js';
import type { Command } from './rundir.js';

const BLACK_BOX_NAME: Record<Config['black_box'], string> = { es: 'evolutionary search', rs: 'random search', nsga2: 'NSGA-II' };

export function describeRun(command: Command, c: Config, preset: string): string {
  const what = c.method === 'spos' ? `SPOS supernet + ${BLACK_BOX_NAME[c.black_box]}` : c.method === 'drnas' && c.form === 'we' ? 'TangleNAS (DrNAS, weight superposition)' : `${c.method.toUpperCase()}${c.method === 'darts' ? ` (order ${c.darts_order})` : ''}, ${c.form === 'we' ? 'weight superposition' : 'weight sharing'}`;
  if (command === 'train') return `train from scratch on ${c.space} (preset ${preset})`;
  if (command === 'finetune') return `fine-tune from the supernet on ${c.space} (preset ${preset})`;
  if (command === 'black-box') return `${BLACK_BOX_NAME[c.black_box]} on a trained ${c.space} supernet`;
  return `${what} on ${c.space} (preset ${preset})${c.budget_minutes > 0 ? `, budget ${c.budget_minutes} min` : ''}`;
}

/** The supernet phase's plan. */
export function supernetPlan(c: Config, o: { weights: number; architectures: number; stepsPerEpoch: number; epochs: number }): string {
  return `  supernet ${o.weights.toLocaleString('en')} weights, ${o.architectures < 1e15 ? o.architectures.toLocaleString('en') : o.architectures.toExponential(2)} architectures; ${o.stepsPerEpoch} steps per epoch, ${o.epochs} epochs${c.budget_fit && c.budget_minutes > 0 ? ' at most (fitted to the budget after the first)' : ''}`;
}

/** The black-box stage's plan; `samples`: what each fitness pass scores. */
export function blackBoxPlan(c: Config, samples: number): string {
  const how = c.black_box !== 'rs' ? `${BLACK_BOX_NAME[c.black_box]}${c.black_box === 'nsga2' ? ` (accuracy vs ${c.pareto_metric})` : ''}: population ${c.population}, top-${c.select}, ${c.mutation} mutants (p ${c.m_prob}), ${c.crossover} crossovers, ${c.generations} generations` : `random search: ${c.rs_iters} draws, ${c.population} per generation`;
  return `  ${how}; fitness on ${samples} validation ${taskOf(c.space) === 'language-model' ? 'token windows' : 'images'}`;
}

/** The training's plan. */
export function trainingPlan(o: { inherit: boolean; benchmarkKey: string; weights: number; stepsPerEpoch: number; epochs: number }): string {
  return `  ${o.inherit ? 'fine-tuning' : 'training'} ${o.benchmarkKey} (${o.weights.toLocaleString('en')} weights), ${o.stepsPerEpoch} steps per epoch, ${o.epochs} epochs`;
}

/** The end of a search: the architecture found, its accuracies (or losses), the run's files. */
export function searchSummary(r: SearchResult | BlackBoxRunResult, dir: string): string[] {
  const hit = r.benchmark;
  const bb = r.command === 'search' ? null : r;
  const how = bb ? `${bb.black_box} on a supernet` : `${r.method}/${r.form}`;
  const lines = [''];
  lines.push(`found architecture (${r.space}, ${how}${r.stopped ? ', stopped by the budget' : ''}, ${r.time_s.toFixed(0)} s):`);
  lines.push(`  ${JSON.stringify(r.architecture)}`);
  lines.push(`  benchmark key: ${r.benchmark_key}`);
  if (metricOf(r.space) === 'loss') {
    if (typeof bb?.supernet_valid_loss === 'number') lines.push(`  supernet validation loss: ${bb.supernet_valid_loss.toFixed(4)}`);
    const loss = r.inherited_test_loss;
    lines.push(`  test loss with the supernet's weights (no retraining): ${loss.toFixed(4)} (perplexity ${Math.exp(loss).toFixed(2)}); retrain: tanglenas train --preset ${r.space}/retrain --from ${dir}`);
  } else if (hit) {
    lines.push(`  benchmark test accuracy: ${hit.testAcc}% (rank ${hit.rank} of ${hit.size}, better than ${hit.percentile.toFixed(1)}%; optimum ${hit.optimum}%)`);
    // Tables with more columns (NB201: CIFAR-100, ImageNet16-120) show each.
    const extra = Object.entries(hit.columns ?? {}).slice(1).filter(([k]) => k !== 'train_acc');
    if (extra.length) lines.push(`  benchmark, other columns: ${extra.map(([k, v]) => `${k} ${Number(v).toFixed(2)}%`).join(', ')}`);
  }
  else if (hasSpace(r.space) && getSpace(r.space).benchmark) lines.push(`  benchmark test accuracy: table not available (--benchmark-dir or TANGLENAS_BENCH_DIR)`);
  if (metricOf(r.space) !== 'loss') {
    if (typeof bb?.supernet_valid_acc === 'number') lines.push(`  supernet validation accuracy: ${(100 * bb.supernet_valid_acc).toFixed(2)}%`);
    lines.push(`  test accuracy with the supernet's weights (no retraining): ${(100 * r.inherited_test_acc).toFixed(2)}%`);
  }
  const files = ['config.json', 'metrics.jsonl', 'architecture.json', 'supernet.safetensors', 'checkpoints/'].filter((f) => existsSync(join(dir, f)));
  lines.push(`files: ${dir} (${files.join(', ')})`);
  return lines;
}

/** The end of train / finetune: the test result after the last epoch, the run's files. */
export function trainSummary(r: TrainResult, dir: string): string[] {
  const hit = r.benchmark;
  const test = metricOf(r.space) === 'loss' ? `test loss ${r.test_loss.toFixed(4)} (perplexity ${Math.exp(r.test_loss).toFixed(2)}), token accuracy` : 'test accuracy';
  return [
    '',
    `${r.command === 'finetune' ? 'fine-tuned' : 'trained'} ${r.benchmark_key} for ${r.epochs} epoch${r.epochs === 1 ? '' : 's'}${r.stopped ? ' (stopped by the budget)' : ''}: ${test} ${(100 * r.test_acc).toFixed(2)}%${hit ? ` (benchmark, 100-200 epochs: ${hit.testAcc}%)` : ''}`,
    `  ${(r.params / 1e6).toFixed(2)}M weights, ${(r.flops / 1e6).toFixed(1)}M MACs per ${metricOf(r.space) === 'loss' ? 'token' : 'image'}${r.latency_ms !== undefined ? `, ${r.latency_ms.toFixed(2)} ms per image (batch 1)` : ''}${r.inference_ms_per_token !== undefined ? `, ${(1000 * r.inference_ms_per_token).toFixed(1)} us per token` : ''}`,
    `files: ${dir} (config.json, metrics.jsonl, result.json, model.safetensors, checkpoints/)`,
  ];
}
