// The command line without running searches: listings, help on every command,
// and usage / config errors (one clear line, exit code 2, no stack trace).
// Config errors are raised before libtorch loads, so these are quick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, TANGLENAS_THREADS: '1' } });

test('cli: help, listings and info exit 0 and name what they list', () => {
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: tanglenas <command>/);
  for (const c of ['search', 'two-stage', 'black-box', 'train', 'finetune', 'evaluate', 'lookup', 'compare', 'presets', 'config']) assert.match(help.stdout, new RegExp(`\\n  ${c} `), c);
  const spaces = run('spaces');
  assert.equal(spaces.status, 0);
  assert.match(spaces.stdout, /toy-conv-macro/);
  assert.match(spaces.stdout, /toy-cell/);
  const samplers = run('samplers');
  assert.deepEqual(samplers.stdout.trim().split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(/\s+/)[0]).sort(), ['darts', 'drnas', 'gdas', 'spos']);
  const info = run('info');
  assert.equal(info.status, 0);
  assert.match(info.stdout, /threads 1/);
  const presets = run('presets');
  assert.equal(presets.status, 0);
  for (const p of ['toy-cell/tanglenas', 'toy-cell/drnas-ws', 'toy-conv-macro/darts-v2', 'toy-conv-macro/spos-es', 'toy-cell/spos-rs', 'toy-cell/retrain', 'toy-cell/main']) assert.match(presets.stdout, new RegExp(`^${p} `, 'm'), p);
});

test('cli: every command has --help', () => {
  const expect: Record<string, RegExp> = {
    search: /Algorithm 1/,
    'two-stage': /Algorithm 3/,
    'black-box': /--supernet RUN_DIR/,
    train: /from scratch/,
    finetune: /supernet's weights/,
    evaluate: /--split test\|valid/,
    lookup: /--top N/,
    compare: /--budget-minutes M/,
    presets: /--space S/,
    config: /--keys/,
  };
  for (const [cmd, re] of Object.entries(expect)) {
    const r = run(cmd, '--help');
    assert.equal(r.status, 0, `${cmd}: ${r.stderr}`);
    assert.match(r.stdout, re, cmd);
  }
  assert.match(run('search', '--help').stdout, /--resume RUN_DIR/);
  assert.match(run('search', '-h').stdout, /--budget-minutes M/);
});

test('cli: config prints the resolved config; flags, --set and files override the preset', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-cli-'));
  try {
    const r = run('config', '--space', 'toy-conv-macro', '--method', 'gdas', '--epochs', '7', '--set', 'arch_betas=0.6,0.9');
    assert.equal(r.status, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    assert.equal(c.preset, 'toy-conv-macro/gdas');
    assert.equal(c.method, 'gdas');
    assert.equal(c.optimizer, 'adam');
    assert.equal(c.epochs, 7);
    assert.deepEqual(c.arch_betas, [0.6, 0.9]);
    const f = join(dir, 'c.yaml');
    writeFileSync(f, 'preset: toy-cell/darts\nlr: 0.05  # comment\nseed: 3\n');
    const y = JSON.parse(run('config', '--config', f, '--seed', '4').stdout);
    assert.equal(y.preset, 'toy-cell/darts');
    assert.equal(y.lr, 0.05);
    assert.equal(y.seed, 4);
    assert.match(run('config', '--keys').stdout, /^train_portion +a number > 0 and <= 1/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli: bad commands, flags, keys and values give one clear line and exit code 2, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-cli-'));
  try {
    const cases: [string[], RegExp][] = [
      [['serach'], /^tanglenas: unknown command 'serach' \(did you mean 'search'\?\)/],
      [['search', '--epocs', '3'], /unknown option '--epocs' \(did you mean '--epochs'\?\)/],
      [['search', '--epochs', 'abc'], /config key 'epochs' in --epochs must be an integer >= 1, got 'abc'/],
      [['search', '--train-portion', '1.5'], /config key 'train_portion' in --train-portion must be a number > 0 and <= 1, got 1.5/],
      [['search', '--set', 'learning_rate=0.1'], /unknown config key 'learning_rate' in --set learning_rate=0.1/],
      [['search', '--set', 'lr'], /--set needs KEY=VALUE, got 'lr'/],
      [['search', '--set', 'nesterov=maybe'], /config key 'nesterov' .* must be true or false, got "maybe"/],
      [['search', '--method', 'dartz'], /--method 'dartz' is not a preset of toy-cell \(did you mean 'darts'\?\)/],
      [['search', '--space', 'nb202'], /--space must be one of toy-cell, toy-conv-macro, lm-tiny, lm-small, lm-char, lm-paper, nb201, darts, autoformer-t, autoformer-s, mobilenetv3, got 'nb202'/],
      [['search', '--preset', 'toy-cell/tanglenaz'], /unknown preset 'toy-cell\/tanglenaz' \(did you mean 'toy-cell\/tanglenas'\?\)/],
      [['search', '--preset', 'toy-cell/darts', '--method', 'gdas'], /--preset names space and method already/],
      [['search', '--method', 'spos-es'], /method 'spos' trains a supernet without alpha; use 'tanglenas two-stage'/],
      [['two-stage', '--method', 'tanglenas'], /'tanglenas two-stage' trains and searches an SPOS supernet; method must be 'spos', got 'drnas'/],
      [['search', '--set', 'dataset=cifar10'], /space 'toy-cell' takes images \(fashion-mnist\), but dataset is 'cifar10'/],
      [['search', '--config', join(dir, 'missing.yaml')], /config file '.*missing.yaml' does not exist/],
      [['train'], /'tanglenas train' needs an architecture: --arch/],
      [['black-box'], /needs --supernet RUN_DIR/],
      [['search', '--resume', join(dir, 'nope')], /run directory '.*nope' does not exist/],
      [['search', '--resume', dir, '--set', 'lr=0.1'], /'lr' cannot change when resuming/],
      [['evaluate'], /evaluate takes one run directory, got none/],
      [['lookup'], /lookup needs exactly one of --arch, --run, --top/],
      [['compare'], /compare needs --budget-minutes M/],
    ];
    for (const [args, re] of cases) {
      const r = run(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}, stderr ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, args.join(' '));
      assert.equal(r.stderr.trim().split('\n')[0].startsWith('tanglenas: '), true);
    }
    const yaml = join(dir, 'bad.yaml');
    writeFileSync(yaml, 'lr: [oops\n');
    assert.match(run('search', '--config', yaml).stderr, /config file '.*bad.yaml' is not valid YAML/);
    writeFileSync(yaml, 'optim:\n  lr: 0.1\n');
    assert.match(run('search', '--config', yaml).stderr, /config key 'optim' in '.*bad.yaml' holds a nested mapping; configs are flat/);
    writeFileSync(yaml, 'lr: "0.1"\n');
    assert.match(run('search', '--config', yaml).stderr, /config key 'lr' in '.*bad.yaml' must be a number > 0, got "0.1"/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cli data: finds Debian Fashion-MNIST offline and prints the verified files with their sha256; bad names exit non-zero', { skip: !existsSync('/usr/share/datasets/fashion-mnist') }, () => {
  const r = run('data', 'fashion-mnist', '--offline', '--quiet');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^fashion-mnist: (debian|cache|user)/);
  const shared = join(process.cwd(), '..', 'shared', 'data', 'checksums', 'fashion-mnist.sha256');
  const lines = r.stdout.trim().split('\n').slice(1).map((l) => l.trim());
  assert.equal(lines.length, 4);
  if (existsSync(shared) && r.stdout.includes('debian')) {
    const expected = new Set(readFileSync(shared, 'utf8').trim().split('\n').map((l) => l.trim().replace(/\s+/, '  ')));
    for (const l of lines) assert.ok(expected.has(l), `${l} is not in ${shared}`);
  }
  const bad = run('data', 'imagenet', '--offline');
  assert.equal(bad.status, 2, 'an unknown dataset is a usage error');
  assert.match(bad.stderr, /imagenet/);
  assert.equal(run('data').status, 2);
});
