// The results table of 'tanglenas compare' (results.md, results.json), from
// hand-written run directories of a compare folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { summarizeCompare } from './compare.js';
import { withTempDir } from './test-util.js';

function mkRun(root: string, name: string, files: Record<string, unknown>): void {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  for (const [f, v] of Object.entries(files)) writeFileSync(join(d, f), JSON.stringify(v));
}

test('compare table: per method the benchmark accuracy over the seeds with a result, mean ± standard error; results.md and results.json', () =>
  withTempDir((out) => {
    const mk = (name: string, status: string, acc: number | null, budget = 1) =>
      mkRun(out, name, { 'config.json': { budget_minutes: budget }, 'status.json': { status }, ...(acc === null ? {} : { 'architecture.json': { architecture: { a: 1 }, benchmark: { testAcc: acc }, inherited_test_acc: 0.5, time_s: 60, epochs: 3 } }) });
    mk('tanglenas-seed0', 'done', 91);
    mk('tanglenas-seed1', 'done', 90);
    mk('spos-es-seed0', 'stopped', 89.5);
    mk('spos-es-seed1', 'running', null);
    mkdirSync(join(out, 'spos-es-seed2')); // started, killed before its config was written
    mkdirSync(join(out, 'plots'));
    const s = summarizeCompare(out, 'toy-cell', 1);
    assert.match(s.markdown, /^Space toy-cell, budget 1 min per run; benchmark test accuracy/);
    assert.match(s.markdown, /\| tanglenas \| 2\/2 \| 90.50 ± 0.50 \| 91.00, 90.00 \| 50.00 ± 0.00 \| 3, 3 \| 1.0 \|/);
    assert.match(s.markdown, /\| spos-es \| 1\/3 \| 89.50 ± 0.00 \| 89.50 \| 50.00 ± 0.00 \| 3 \| 1.0 \|/);
    assert.ok(s.markdown.indexOf('| spos-es |') < s.markdown.indexOf('| tanglenas |'), 'methods in folder order');
    assert.equal(readFileSync(join(out, 'results.md'), 'utf8'), s.markdown);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.equal(json.space, 'toy-cell');
    assert.equal(json.budget_minutes, 1);
    assert.deepEqual(
      json.runs.map((r: { method: string; seed: number; status: string; hasResult: boolean }) => `${r.method}/${r.seed}:${r.status}:${r.hasResult}`),
      ['spos-es/0:stopped:true', 'spos-es/1:running:false', 'spos-es/2:not started:false', 'tanglenas/0:done:true', 'tanglenas/1:done:true'],
    );
    assert.deepEqual(json.runs[3], { method: 'tanglenas', seed: 0, benchmark: 91, inherited: 0.5, inheritedLoss: null, timeS: 60, epochs: 3, status: 'done', hasResult: true, retrain: null, architecture: { a: 1 } });
    assert.throws(() => summarizeCompare(join(out, 'nope'), 'toy-cell', 1), /compare folder '.*nope' does not exist/);
  }));

test('compare table, language models: test loss after the retraining, perplexity, params, the architectures found', () =>
  withTempDir((out) => {
    const search = (seed: number, loss: number) => ({
      'config.json': { space: 'lm-tiny', seed },
      'status.json': { status: 'done' },
      'architecture.json': { architecture: { layers: seed + 1 }, inherited_test_loss: loss, time_s: 30, epochs: 2 },
    });
    mkRun(out, 'tanglenas-seed0', search(0, 3));
    mkRun(out, 'tanglenas-seed1', search(1, 2));
    mkRun(out, 'tanglenas-seed0-retrain', { 'config.json': { space: 'lm-tiny' }, 'status.json': { status: 'done' }, 'result.json': { test_loss: 2, test_acc: 0.25, params: 1500000, epochs: 4, time_s: 12 } });
    mkRun(out, 'tanglenas-seed1-retrain', { 'config.json': { space: 'lm-tiny' }, 'status.json': { status: 'running' } });
    const s = summarizeCompare(out, 'lm-tiny', 4);
    assert.match(s.markdown, /^Space lm-tiny, search budget 4 min per run; test loss \(nats per token\)/);
    assert.match(s.markdown, /\| tanglenas \| 2\/2 \(1 retrained\) \| 2.0000 ± 0.0000 \| 2.0000 \| 7.39 ± 0.00 \| 1.500 ± 0.000 \| 2.5000 ± 0.5000 \| 2, 2 \|/);
    assert.match(s.markdown, /Architectures found:\n\n- tanglenas seed 0: `\{"layers":1\}`\n- tanglenas seed 1: `\{"layers":2\}`\n$/);
    assert.deepEqual(s.runs[0].retrain, { testLoss: 2, testAcc: 0.25, params: 1500000, epochs: 4, timeS: 12 });
    assert.equal(s.runs[1].retrain, null);
    assert.ok(existsSync(join(out, 'results.json')));
  }));
