// Config schema: every preset is complete and valid, the reference's
// hyperparameters are where they should be, and every kind of bad input fails
// with a message naming the key, where it came from and what is allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConsistency, checkFullConfig, checkLayer, checkMethodFor, checkResumeOverrides, configKeys, ConfigError, parseOverride, readConfigFile, type Config } from './config.js';
import { resolveConfig } from './presets.js';
import { getPreset, listPresets } from './presets.js';

test('presets: every preset sets every key with a valid value', () => {
  const ps = listPresets();
  assert.ok(ps.length >= 20);
  for (const p of ps) {
    const c = checkFullConfig(p.values, `in preset '${p.name}'`);
    assert.deepEqual(Object.keys(c).sort(), configKeys().sort(), p.name);
    checkMethodFor(p.command === 'train' || p.command === 'finetune' ? 'search' : p.command, { ...c, method: p.command === 'two-stage' ? 'spos' : c.method === 'spos' ? 'drnas' : c.method });
  }
});

test("presets: the reference's hyperparameters (reference-facts 5, 6.1, 6.2, 7)", () => {
  const v = (n: string): Config => getPreset(n)!.values;
  const cell = v('toy-cell/tanglenas');
  assert.deepEqual([cell.method, cell.form, cell.optimizer, cell.lr, cell.lr_min, cell.momentum, cell.nesterov, cell.weight_decay, cell.batch_size, cell.train_portion, cell.epochs], ['drnas', 'we', 'sgd', 0.025, 1e-3, 0.9, true, 5e-4, 64, 0.5, 100]);
  assert.deepEqual([cell.arch_lr, cell.arch_betas, cell.arch_weight_decay, cell.drnas_reg, cell.drnas_reg_scale, cell.grad_clip], [3e-4, [0.5, 0.999], 1e-3, 'l2', 1e-3, 5]);
  const macro = v('toy-conv-macro/tanglenas');
  assert.deepEqual([macro.optimizer, macro.lr, macro.lr_min, macro.adam_betas, macro.weight_decay, macro.batch_size, macro.dataset], ['adam', 3e-4, 1e-4, [0.9, 0.995], 5e-4, 64, 'cifar10']);
  assert.equal(v('toy-cell/drnas-ws').form, 'ws');
  assert.deepEqual([v('toy-cell/darts').epochs, v('toy-cell/darts').arch_preprocess, v('toy-cell/darts-v2').darts_order], [50, 'sparsemax', 2]);
  assert.deepEqual([v('toy-cell/gdas').epochs, v('toy-cell/gdas').gdas_tau_max, v('toy-cell/gdas').gdas_tau_min], [250, 10, 0.1]);
  const sposCell = v('toy-cell/spos-es');
  assert.deepEqual([sposCell.method, sposCell.lr, sposCell.epochs, sposCell.population, sposCell.select, sposCell.mutation, sposCell.crossover, sposCell.m_prob], ['spos', 0.01, 250, 5, 10, 2, 2, 0.2]);
  const sposMacro = v('toy-conv-macro/spos-es');
  assert.deepEqual([sposMacro.population, sposMacro.select, sposMacro.mutation, sposMacro.crossover, sposMacro.train_portion, sposMacro.lr_min], [30, 10, 10, 10, 0.8, 1e-4]);
  assert.deepEqual([v('toy-cell/spos-rs').black_box, v('toy-cell/spos-rs').rs_iters], ['rs', 10000]);
  const re = v('toy-cell/retrain');
  assert.deepEqual([re.optimizer, re.lr, re.lr_schedule, re.batch_size, re.epochs, re.train_portion], ['sgd', 0.01, 'constant', 256, 200, 1]);
  assert.deepEqual([v('toy-conv-macro/retrain').cosine_t_max, v('toy-conv-macro/retrain').epochs], [2000, 100]);
  // Presets are copies: changing one does not change the registry.
  getPreset('toy-cell/tanglenas')!.values.lr = 99;
  assert.equal(getPreset('toy-cell/tanglenas')!.values.lr, 0.025);
});

test('config values: wrong types and ranges name the key, the source and what is allowed', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ lr: '0.1' }, /config key 'lr' in test must be a number > 0, got "0.1"/],
    [{ lr: 0 }, /'lr' in test must be a number > 0, got 0/],
    [{ epochs: 2.5 }, /'epochs' in test must be an integer >= 1, got 2.5/],
    [{ train_portion: 0 }, /'train_portion' in test must be a number > 0 and <= 1, got 0/],
    [{ nesterov: 'yes' }, /'nesterov' in test must be true or false, got "yes"/],
    [{ method: 'enas' }, /'method' in test must be one of "darts", "drnas", "gdas", "spos", got "enas"/],
    [{ darts_order: 3 }, /'darts_order' in test must be one of 1, 2, got 3/],
    [{ arch_betas: [0.5] }, /'arch_betas' in test must be a pair \[a, b\] of numbers in \[0, 1\)/],
    [{ adam_betas: [0.9, 1] }, /'adam_betas' .* got \[0.9,1\]/],
    [{ data_dir: 3 }, /'data_dir' in test must be a string \(or null\), got 3/],
    [{ momentum: 1 }, /'momentum' in test must be a number >= 0 and < 1/],
    [{ seed: -1 }, /'seed' in test must be an integer >= 0/],
    [{ learning_rate: 0.1 }, /unknown config key 'learning_rate' in test/],
    [{ epoch: 3 }, /unknown config key 'epoch' in test \(did you mean 'epochs'\?\)/],
    [{ 'batch-size': 3 }, /unknown config key 'batch-size' in test \(did you mean 'batch_size'\?\)/],
  ];
  for (const [layer, re] of bad) {
    assert.throws(() => checkLayer(layer, 'in test'), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(layer));
  }
  assert.throws(() => checkLayer([] as never, 'in test'), /must be a mapping of keys to values/);
});

test('config overrides: command-line strings parse per type', () => {
  assert.equal(parseOverride('lr', '3e-4', '--set'), 3e-4);
  assert.equal(parseOverride('epochs', '12', '--epochs'), 12);
  assert.equal(parseOverride('nesterov', 'false', '--set'), false);
  assert.equal(parseOverride('darts_order', '2', '--set'), 2);
  assert.equal(parseOverride('data_dir', 'null', '--set'), null);
  assert.equal(parseOverride('data_dir', '/x y', '--data-dir'), '/x y');
  assert.deepEqual(parseOverride('arch_betas', '[0.5, 0.99]', '--set'), [0.5, 0.99]);
  assert.deepEqual(parseOverride('arch_betas', '0.5,0.99', '--set'), [0.5, 0.99]);
  assert.throws(() => parseOverride('epochs', '', '--epochs'), /'epochs' in --epochs must be an integer >= 1, got ''/);
  assert.throws(() => parseOverride('batch_size', '64x', '--batch-size'), /'batch_size' in --batch-size must be an integer >= 1, got '64x'/);
  assert.throws(() => parseOverride('form', 'wse', '--set form=wse'), /'form' in --set form=wse must be one of "we", "ws"/);
  assert.throws(() => parseOverride('lrr', '1', '--set lrr=1'), /unknown config key 'lrr' in --set lrr=1 \(did you mean 'lr'\?\)/);
});

test('config files: JSON and YAML, layered over the preset; file errors name the file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-config-'));
  try {
    const y = join(dir, 'a.yaml');
    writeFileSync(y, '# a search\npreset: toy-conv-macro/gdas\nepochs: 12\nadam_betas: [0.8, 0.99]\ndata_dir: null\n');
    const r = resolveConfig({ file: y, overrides: { epochs: 3 }, defaultPreset: 'toy-cell/tanglenas' });
    assert.equal(r.preset, 'toy-conv-macro/gdas');
    assert.deepEqual([r.config.space, r.config.method, r.config.epochs, r.config.adam_betas], ['toy-conv-macro', 'gdas', 3, [0.8, 0.99]]);
    const j = join(dir, 'b.json');
    writeFileSync(j, JSON.stringify({ lr: 0.05, form: 'ws' }));
    const rj = resolveConfig({ file: j, defaultPreset: 'toy-cell/tanglenas' });
    assert.deepEqual([rj.preset, rj.config.lr, rj.config.form], ['toy-cell/tanglenas', 0.05, 'ws']);
    // The flag's preset wins over the file's.
    assert.equal(resolveConfig({ preset: 'toy-cell/darts', file: y, defaultPreset: 'x' }).config.method, 'darts');
    const cases: [string, string, RegExp][] = [
      ['c.json', '{"lr": 0.1,}', /config file '.*c.json' is not valid JSON/],
      ['d.yaml', 'lr: [1, 2\n', /config file '.*d.yaml' is not valid YAML/],
      ['e.yaml', '- lr: 1\n', /config file '.*e.yaml' must hold a mapping of keys to values \(a flat config\), got a list/],
      ['f.yaml', 'weights:\n  lr: 0.1\n', /config key 'weights' in '.*f.yaml' holds a nested mapping; configs are flat/],
      ['g.yaml', 'lr: 0.1\nlr: 0.2\n', /config file '.*g.yaml' is not valid YAML: .*[Uu]nique/],
      ['h.yaml', 'preset: 3\n', /config key 'preset' in '.*h.yaml' must be a preset name/],
      ['i.yaml', 'batchsize: 3\n', /unknown config key 'batchsize' in '.*i.yaml' \(did you mean 'batch_size'\?\)/],
      ['j.yaml', 'lr: 1e-3\nepochs: ten\n', /config key 'epochs' in '.*j.yaml' must be an integer >= 1, got "ten"/],
    ];
    for (const [name, text, re] of cases) {
      writeFileSync(join(dir, name), text);
      assert.throws(() => readConfigFile(join(dir, name)), re, name);
    }
    assert.throws(() => readConfigFile(join(dir, 'missing.yaml')), /config file '.*missing.yaml' does not exist; check the path given to --config/);
    writeFileSync(join(dir, 'empty.yaml'), '');
    assert.deepEqual(readConfigFile(join(dir, 'empty.yaml')).values, {});
    assert.throws(() => resolveConfig({ preset: 'toy-cell/nope', defaultPreset: 'x' }), /unknown preset 'toy-cell\/nope'.*tanglenas presets/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config rules between keys, per command, and on resume', () => {
  const base = getPreset('toy-cell/tanglenas')!.values;
  const rules: [Partial<Config>, RegExp][] = [
    [{ gdas_tau_min: 20 }, /gdas_tau_min \(20\) must not exceed gdas_tau_max \(10\)/],
    [{ darts_order: 2 }, /darts_order 2 .* applies to method 'darts' only, not 'drnas'/],
    [{ momentum: 0 }, /nesterov: true needs momentum > 0/],
    [{ dataset: 'cifar10' }, /space 'toy-cell' takes images \(fashion-mnist\), but dataset is 'cifar10'; set dataset: fashion-mnist/],
    [{ dataset: 'tinyshakespeare' }, /space 'toy-cell' takes images \(fashion-mnist\)/],
    [{ block_size: 64 }, /block_size applies to the language-model spaces .*not 'toy-cell'/],
    [{ lr_min: 0.5 }, /lr_min \(0.5\) is above lr \(0.025\)/],
  ];
  for (const [o, re] of rules) assert.throws(() => checkConsistency({ ...base, ...o }), re, JSON.stringify(o));
  checkConsistency({ ...base, dataset: 'synthetic' });
  const lm = getPreset('lm-small/tanglenas')!.values;
  checkConsistency(lm);
  assert.throws(() => checkConsistency({ ...lm, dataset: 'cifar10' }), /space 'lm-small' takes a text corpus \(tinyshakespeare or tinystories or text\)/);
  assert.throws(() => checkConsistency({ ...lm, form: 'ws' }), /'lm-small' has only the weight-superposition form/);
  // Runs written before a key existed read back with the value that reproduces them.
  const { budget_clock: _bc, block_size: _bs, test_fraction: _tf, ...old } = base;
  assert.equal(checkFullConfig(old, 'in x').budget_clock, 'wall');
  assert.throws(() => checkMethodFor('search', { ...base, method: 'spos' }), /use 'tanglenas two-stage'/);
  assert.throws(() => checkMethodFor('two-stage', base), /method must be 'spos', got 'drnas'/);
  assert.throws(() => checkMethodFor('train', base), /needs an architecture/);
  assert.throws(() => checkMethodFor('finetune', { ...base, arch: '{}' }), /needs a trained supernet/);
  checkResumeOverrides({ budget_minutes: 5, threads: 2, checkpoint_minutes: 1, data_dir: '/x' });
  assert.throws(() => checkResumeOverrides({ seed: 1 }), /'seed' cannot change when resuming .*Keys a resume may change: .*budget_minutes/);
  const { lr: _lr, ...noLr } = base;
  assert.throws(() => checkFullConfig(noLr, 'in x'), /misses keys lr; it was written by another version/);
});
