import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { ...process.env, TANGLENAS_THREADS: '1' } });

test('cli: help, listings and info exit 0 and name what they list', () => {
  const help = run('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: tanglenas <command>/);
  const spaces = run('spaces');
  assert.equal(spaces.status, 0);
  assert.match(spaces.stdout, /toy-conv-macro/);
  assert.match(spaces.stdout, /toy-cell/);
  const samplers = run('samplers');
  assert.deepEqual(samplers.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]).sort(), ['darts', 'drnas', 'gdas', 'spos']);
  const info = run('info');
  assert.equal(info.status, 0);
  assert.match(info.stdout, /threads 1/);
  assert.match(run('demo', '--help').stdout, /--minutes M/);
});

test('cli: bad commands and flags give one clear line and exit code 2, no stack trace', () => {
  const unknown = run('serach');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^tanglenas: unknown command 'serach'/);
  const flag = run('demo', '--minuts', '3');
  assert.equal(flag.status, 2);
  assert.match(flag.stderr, /tanglenas: .*--minuts/);
  const value = run('demo', '--minutes', 'abc');
  assert.equal(value.status, 2);
  assert.match(value.stderr, /--minutes must be a positive number, got 'abc'/);
  assert.doesNotMatch(value.stderr, /at .*\.js:\d+/);
});
