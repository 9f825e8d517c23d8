import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeReport, type ReportResult } from './report.js';
import { withTempDir, writeCompareFixture, writeRun } from './test-util.js';
import { watchReport } from './watch.js';

const MAIN = fileURLToPath(new URL('../cli/main.js', import.meta.url));

test('writeReport: report.html, report.md, report.csv, runs.csv and plots/*.svg in the output folder', () =>
  withTempDir(async (dir) => {
    const runs = join(dir, 'compare');
    writeCompareFixture(runs);
    const r = await writeReport(runs, { out: join(dir, 'out') });
    for (const f of [r.files.html, r.files.markdown, r.files.csv, r.files.runsCsv, ...r.files.plots]) assert.ok(existsSync(f), f);
    assert.deepEqual(readdirSync(join(dir, 'out', 'plots')).sort(), ['alpha-drnas-ws.svg', 'alpha-tanglenas-we.svg', 'anytime-benchmark-epoch.svg', 'anytime-benchmark-time.svg', 'anytime-validation-epoch.svg', 'anytime-validation-time.svg', 'memory.svg', 'time.svg']);
    const md = readFileSync(r.files.markdown, 'utf8');
    assert.match(md, /^# tanglenas report: compare$/m);
    assert.match(md, /\| {2}\| TangleNAS \| WE \| \*\*91\.00 ± 0\.29\*\* \|/);
    assert.match(md, /!\[Any-time benchmark accuracy vs search time\]\(plots\/anytime-benchmark-time\.svg\)/);
    const html = readFileSync(r.files.html, 'utf8');
    assert.equal((html.match(/<svg /g) ?? []).length, 8);
    assert.match(html, /<h4>spos-es-seed0<\/h4>/);
    assert.match(html, /top 1 of the black-box search/);
    // Configs: the keys that differ between runs, as a table.
    assert.match(html, /<table class="config-diff"><tr><th>key<\/th>/);
    assert.match(html, /<tr><th>method<\/th>/);
    assert.match(html, /metrics\.jsonl: 1 line not whole JSON/);
    assert.ok(!existsSync(join(runs, 'report.html')), 'nothing written into the run folders with --out');
  }));

test('writeReport: a run with a pareto.json gets a Pareto plot (its section appears only then); an unreadable one is named', () =>
  withTempDir(async (dir) => {
    const runs = join(dir, 'compare');
    writeCompareFixture(runs);
    const point = (params: number, acc: number, front: boolean) => ({ t: [0], architecture: {}, benchmark_key: `k${params}`, params, flops: 2 * params, valid_acc: acc / 100, benchmark_test_acc: acc, front });
    const pareto = { format: 'tanglenas.pareto/1', space: 'toy-cell', metric: 'params', points: [point(100, 90, true), point(200, 91, true), point(150, 89, false)], true_front: [{ cost: 90, acc: 90 }, { cost: 180, acc: 91.5 }], reference_point: { cost: 300, acc: 85 }, hypervolume: 1, true_hypervolume: 2, hypervolume_ratio: 0.5 };
    writeFileSync(join(runs, 'tanglenas-seed0', 'pareto.json'), JSON.stringify(pareto));
    writeFileSync(join(runs, 'tanglenas-seed1', 'pareto.json'), '{"format": "other"}');
    const r = await writeReport(runs, { out: join(dir, 'out') });
    assert.ok(existsSync(join(dir, 'out', 'plots', 'pareto-tanglenas-seed0.svg')));
    const html = readFileSync(r.files.html, 'utf8');
    assert.match(html, /<h2 id="pareto">Pareto fronts<\/h2>/);
    assert.match(html, /3 architectures from a sweep of the preference t, 2 on the front .* hypervolume 50\.0% of the true front's/);
    assert.match(html, /Pareto front of tanglenas-seed1: '.*pareto\.json' is unreadable \(not a tanglenas\.pareto\/1 file\)/);
    // Without any pareto.json there is no Pareto section.
    const plain = join(dir, 'plain');
    writeCompareFixture(plain);
    const r2 = await writeReport(plain, { out: join(dir, 'out2') });
    assert.doesNotMatch(readFileSync(r2.files.html, 'utf8'), /id="pareto"/);
  }));

test('writeReport: constrained runs get a "Bounds met (repaired)" column; runs without constraints do not', () =>
  withTempDir(async (dir) => {
    const runs = join(dir, 'compare');
    writeCompareFixture(runs);
    const constrain = (run: string, met: boolean, repaired: boolean) => {
      const f = join(runs, run, 'architecture.json');
      const a = JSON.parse(readFileSync(f, 'utf8'));
      writeFileSync(f, JSON.stringify({ ...a, constraints: [{ constraint: 'params <= 200k', metric: 'params', bound: 200000, value: 1, met }], constraint_repaired: repaired }));
    };
    constrain('tanglenas-seed0', true, true);
    constrain('tanglenas-seed1', true, false);
    constrain('tanglenas-seed2', false, true);
    const r = await writeReport(runs, { out: join(dir, 'out') });
    const md = readFileSync(r.files.markdown, 'utf8');
    assert.match(md, /\| Params \| FLOPs \| Bounds met \(repaired\) \| Epochs \|/);
    assert.match(md, /\|  \| TangleNAS \| WE \| .* \| 2\/3 \(2\) \| 3, 3, 3 \| 3\/3 \|/);
    assert.match(md, /\| Two-Stage \| SPOS\+ES \| WE \| .* \| — \| 1, 1 \| 2\/2 \|/);
    const plain = join(dir, 'plain');
    writeCompareFixture(plain);
    assert.doesNotMatch(readFileSync((await writeReport(plain, { out: join(dir, 'out2') })).files.markdown, 'utf8'), /Bounds met/);
  }));

test('watchReport: rewrites the page when metrics.jsonl grows, reloads only while live, ends with a static page', () =>
  withTempDir(async (dir) => {
    writeCompareFixture(dir);
    const ac = new AbortController();
    const writes: ReportResult[] = [];
    let wake: () => void = () => {};
    const watching = watchReport(dir, {
      intervalMs: 30,
      signal: ac.signal,
      onWrite: (r) => {
        writes.push(r);
        wake();
      },
      onError: (e) => assert.fail(e),
    });
    const next = () => new Promise<void>((res) => (wake = res));
    const first = next();
    await first;
    const html1 = readFileSync(join(dir, 'report.html'), 'utf8');
    assert.match(html1, /<meta http-equiv="refresh" content="1">/);
    assert.match(html1, /<td>running<\/td>/);
    // No change: no rewrite.
    await new Promise((res) => setTimeout(res, 150));
    assert.equal(writes.length, 1);
    // The running search finishes its third epoch (the torn line was a step record being written).
    const second = next();
    appendFileSync(join(dir, 'drnas-ws-seed0', 'metrics.jsonl'), `0}\n${JSON.stringify({ kind: 'epoch', phase: 'search', epoch: 2, benchmark_test_acc: 89.5, valid_acc: 0.75, time_s: 150, rss_mb: 950 })}\n`);
    await second;
    assert.equal(writes.length, 2);
    const run = writes[1].summary.runs.find((r) => r.run.name === 'drnas-ws-seed0')!;
    assert.deepEqual(run.current, { value: 89.5, source: 'benchmark' });
    assert.equal(run.peakRssMb, 950);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /89\.50 \(so far\)/);
    // The run fails: status.json is watched too.
    const third = next();
    writeFileSync(join(dir, 'drnas-ws-seed0', 'status.json'), JSON.stringify({ command: 'search', status: 'failed', phase: 'error', message: 'x' }));
    await third;
    assert.equal(writes[2].summary.runs.find((r) => r.run.name === 'drnas-ws-seed0')!.status, 'failed');
    ac.abort();
    const last = await watching;
    assert.doesNotMatch(readFileSync(last.files.html, 'utf8'), /http-equiv="refresh"/);
  }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, 'report', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('tanglenas report: help, errors that name the bad path or flag and the fix, and a report', () =>
  withTempDir(async (dir) => {
    assert.match(cli(['--help']).stdout, /^usage: tanglenas report RUN_OR_COMPARE_DIR/);
    const missing = cli([join(dir, 'nope')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /tanglenas: report: '.*nope' does not exist; pass a run directory \(it holds config\.json\) or a compare folder/);
    const none = cli([]);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /report takes one run directory or compare folder, got none/);
    const flag = cli([dir, '--wach']);
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /unknown option '--wach'; the options are --out, --title, --watch/);
    const interval = cli([dir, '--watch', '--interval', '0']);
    assert.equal(interval.status, 2);
    assert.match(interval.stderr, /--interval must be a positive number of seconds, got '0'/);
    assert.match(cli([dir, '--interval', '3']).stderr, /--interval applies to --watch/);
    const empty = cli([dir]);
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /holds no run directories/);
    writeCompareFixture(join(dir, 'c'));
    writeFileSync(join(dir, 'file'), '');
    assert.match(cli([join(dir, 'c'), '--out', join(dir, 'file')]).stderr, /output '.*file' is a file; pass a folder to --out/);
    const ok = cli([join(dir, 'c')]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /\| Two-Stage \| SPOS\+ES \| WE \| 90\.50 ± 0\.50 \|/);
    assert.match(ok.stdout, /files: .*report\.html, .*report\.md, .*report\.csv, .*runs\.csv, 8 plots in /);
  }));

test('tanglenas report --watch: live page until SIGINT, then a static page', { timeout: 60_000 }, () =>
  withTempDir(async (dir) => {
    writeCompareFixture(dir);
    const child = spawn(process.execPath, [MAIN, 'report', dir, '--watch', '--interval', '0.2'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    await new Promise<void>((res, rej) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('live report:')) res();
      });
      child.on('exit', () => rej(new Error(`exited before the live report:\n${out}`)));
    });
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /http-equiv="refresh" content="1"/);
    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /final report \(static page\): .*report\.html/);
    assert.doesNotMatch(readFileSync(join(dir, 'report.html'), 'utf8'), /http-equiv="refresh"/);
  }));

test('writeReport: runs at several budgets (compare --budgets) group apart and get an accuracy-vs-budget plot; one budget gets none', () =>
  withTempDir(async (dir) => {
    const runs = join(dir, 'compare');
    writeCompareFixture(runs);
    // The TangleNAS seeds again at 8 minutes: same files, another budget.
    for (const s of [0, 1, 2]) {
      const from = join(runs, `tanglenas-seed${s}`);
      const to = join(runs, `tanglenas-b8-seed${s}`);
      cpSync(from, to, { recursive: true });
      const cfg = JSON.parse(readFileSync(join(to, 'config.json'), 'utf8'));
      writeFileSync(join(to, 'config.json'), JSON.stringify({ ...cfg, budget_minutes: 8, run_dir: to }));
    }
    const r = await writeReport(runs, { out: join(dir, 'out') });
    assert.ok(existsSync(join(dir, 'out', 'plots', 'budget-accuracy.svg')));
    const html = readFileSync(r.files.html, 'utf8');
    assert.match(html, /<h2 id="budget">Accuracy against budget<\/h2>/);
    assert.match(html, /TangleNAS \(WE\), 4 min/);
    assert.match(html, /TangleNAS \(WE\), 8 min/);
    assert.match(html, /at each budget \(4, 8 min\)/);
    const plain = join(dir, 'plain');
    writeCompareFixture(plain);
    // A retraining of 2 minutes (compare --retrain-minutes) belongs to its search's budget, not a second one.
    writeRun(plain, 'tanglenas-seed0-retrain', { config: { space: 'toy-cell', budget_minutes: 2, budget_clock: 'wall', train_portion: 1, method: 'drnas', form: 'we', seed: 0 }, command: 'train', status: { status: 'done' } });
    writeFileSync(join(plain, 'tanglenas-seed0-retrain', 'result.json'), JSON.stringify({ command: 'train', space: 'toy-cell', test_acc: 0.9, test_loss: 0.3, params: 1, flops: 1, epochs: 1, time_s: 120 }));
    const r2 = await writeReport(plain, { out: join(dir, 'out2') });
    assert.doesNotMatch(readFileSync(r2.files.html, 'utf8'), /id="budget"/);
    assert.match(readFileSync(r2.files.markdown, 'utf8'), /budget 4 min per run\./);
  }));
