// The embedded checksums must equal the workspace's published lists
// (../shared/data/checksums), when that folder exists.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR10_SHA256, FASHION_MNIST_DEBIAN_GZ_SHA256, FASHION_MNIST_RAW_SHA256 } from './checksums.js';
import { sharedDataDir } from './test-util.js';

const dir = join(sharedDataDir(), 'checksums');
const skip = existsSync(dir) ? false : `${dir} not present`;

function parseList(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (m) out[m[2]] = m[1];
  }
  return out;
}

describe('embedded checksums vs ../shared/data/checksums', { skip }, () => {
  const cases: [string, Readonly<Record<string, string>>][] = [
    ['cifar10.sha256', CIFAR10_SHA256],
    ['fashion-mnist-raw.sha256', FASHION_MNIST_RAW_SHA256],
    ['fashion-mnist.sha256', FASHION_MNIST_DEBIAN_GZ_SHA256],
  ];
  for (const [file, constants] of cases) {
    test(file, () => {
      const listed = parseList(file);
      assert.ok(Object.keys(listed).length > 0, `${file} lists no hashes`);
      assert.deepEqual({ ...constants }, listed);
    });
  }
});

test('every embedded hash is 64 lowercase hex digits', () => {
  for (const t of [CIFAR10_SHA256, FASHION_MNIST_RAW_SHA256, FASHION_MNIST_DEBIAN_GZ_SHA256]) {
    for (const [k, v] of Object.entries(t)) assert.match(v, /^[0-9a-f]{64}$/, k);
  }
});
