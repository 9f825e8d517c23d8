// `tanglenas compare`: methods x seeds (x train portions) with one budget each,
// each run in its own process (search/compare.ts), then the results table
// (report/compare.ts) and the report of the folder.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOverride } from '../../search/config.js';
import { checkSpaceFlag, cliPlugins, parse, str, UsageError } from '../args.js';

const COMPARE_USAGE = `usage: tanglenas compare --budget-minutes M [--space S] [--methods a,b,...] [--seeds 0,1,2] [--out DIR]
                         [--train-portions P,Q] [--budgets A,B,...] [--retrain-minutes R] [--two-stage-factor F]
                         [--set KEY=VALUE ...] [--dry-run] [--summary-only]

Runs every method x seed with the same budget (wall time, or CPU time with --set budget_clock=cpu) (epochs fitted to it),
one after the other, each in OUT/<method>-seed<seed>; finished runs are skipped and
interrupted ones resumed, so the command can be started again after a kill. Then
writes OUT/results.md and OUT/results.json. Default methods: tanglenas, drnas-ws,
spos-rs, spos-es (language models: tanglenas, spos-rs, spos-es); default out:
runs/compare-<space>-<M>min. --retrain-minutes R also trains each found architecture
from scratch for R minutes (OUT/<method>-seed<seed>-retrain; the language-model table
compares test loss after it). --train-portions 0.5,0.8 adds a grid axis (runs
OUT/<method>-tp<P>-seed<seed>). --budgets 5,10,20 (instead of --budget-minutes) runs the grid at
each budget (OUT/<method>-b<M>-seed<seed>); the report then plots accuracy against budget.
--set budget_clock=cpu measures every budget in CPU time (fair when the machine is shared).
--two-stage-factor 2.5 gives the two-stage methods (SPOS+RS, SPOS+ES) 2.5 times the budget
(OUT/<method>-x2.5-seed<seed>; the reference's SPOS ran 250 epochs to DrNAS's 100): the paper's
protocol beside the equal-budget one.`;

/** The CLI's entry file, which the grid's runs are started with. */
const CLI_ENTRY = fileURLToPath(new URL('../main.js', import.meta.url));

export async function run(args: string[]): Promise<void> {
  const { values } = parse(args, { space: { type: 'string' }, methods: { type: 'string' }, seeds: { type: 'string' }, 'budget-minutes': { type: 'string' }, 'retrain-minutes': { type: 'string' }, 'train-portions': { type: 'string' }, budgets: { type: 'string' }, 'two-stage-factor': { type: 'string' }, out: { type: 'string' }, set: { type: 'string', multiple: true }, 'dry-run': { type: 'boolean' }, 'summary-only': { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) return void console.log(COMPARE_USAGE);
  const space = str(values.space) ?? 'toy-cell';
  checkSpaceFlag(space);
  const budgetsRaw = str(values.budgets);
  const budgets = budgetsRaw === undefined ? undefined : budgetsRaw.split(',').map((s) => Number(s.trim()));
  if (budgets && (budgets.length === 0 || budgets.some((b) => !(b > 0)))) throw new UsageError(`--budgets must be comma-separated positive minutes, e.g. 5,10,20, got '${budgetsRaw}'`);
  const budgetRaw = str(values['budget-minutes']);
  if (budgets && budgetRaw !== undefined) throw new UsageError('give either --budget-minutes M (one budget) or --budgets A,B,... (a budget axis), not both');
  const budget = budgets ? budgets[0] : budgetRaw === undefined ? NaN : Number(budgetRaw);
  if (!(budget > 0)) throw new UsageError(`compare needs --budget-minutes M (a positive number, the same for every run) or --budgets A,B,..., got '${budgetRaw ?? ''}'`);
  const retrainRaw = str(values['retrain-minutes']);
  const retrain = retrainRaw === undefined ? 0 : Number(retrainRaw);
  if (!(retrain >= 0) || retrainRaw?.trim() === '') throw new UsageError(`--retrain-minutes must be a number >= 0 (the budget to train each found architecture from scratch), got '${retrainRaw}'`);
  const { defaultMethods, planCompare, runCompareGrid } = await import('../../search/compare.js');
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
  const factorRaw = str(values['two-stage-factor']);
  const twoStageFactor = factorRaw === undefined ? 1 : Number(factorRaw);
  if (!(twoStageFactor >= 1) || factorRaw?.trim() === '') throw new UsageError(`--two-stage-factor must be a number >= 1 (the two-stage methods' budget as a multiple of the others'), got '${factorRaw}'`);
  const out = str(values.out) ?? join('runs', `compare-${space}-${budgets ? budgets.join('-') : budget}min`);
  let failed: string[] = [];
  if (!values['summary-only']) {
    const plan = planCompare({ space, methods, seeds, budgetMinutes: budget, out, sets, retrainMinutes: retrain, trainPortions, budgets, twoStageFactor });
    failed = runCompareGrid(plan, { cliEntry: CLI_ENTRY, plugins: cliPlugins, quiet: Boolean(values.quiet), dryRun: Boolean(values['dry-run']) });
    if (values['dry-run']) return;
  }
  const { summarizeCompare } = await import('../../report/compare.js');
  const s = summarizeCompare(out, space, budgets && budgets.length > 1 ? null : budget);
  console.log(`\n${s.markdown}\nfiles: ${out}/results.md, results.json`);
  const { writeReport } = await import('../../report/report.js');
  await writeReport(out, { costs: true }).then((r) => console.log(`report: ${r.files.html}`), (e: Error) => console.error(`compare: the report was not written (${e.message}); run 'tanglenas report ${out}' to retry`));
  if (failed.length) throw new Error(`compare: ${failed.length} run${failed.length === 1 ? '' : 's'} failed: ${failed.join('; ')}. Fix the cause and run the same compare command again: finished runs are kept`);
}
