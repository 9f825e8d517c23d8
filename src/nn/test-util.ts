// Helpers for the nn tests: tolerance asserts and a bridge to Debian's
// python3-torch for parity checks (skipped where it is not installed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

let torchChecked: boolean | undefined;
/** True when /usr/bin/python3 has torch installed. */
export function hasTorch(): boolean {
  if (torchChecked === undefined) {
    // find_spec locates torch without importing it (an import costs seconds).
    const probe = 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("torch") else 1)';
    const r = spawnSync(PYTHON, ['-c', probe], { encoding: 'utf8', timeout: 60_000 });
    torchChecked = r.status === 0;
  }
  return torchChecked;
}

/** The reason to skip a parity test, or false when torch is available. */
export function skipWithoutTorch(): string | false {
  return hasTorch() ? false : `${PYTHON} cannot import torch (install Debian's python3-torch)`;
}

/** Runs a Python script with `input` as JSON on stdin; parses the last stdout line as JSON. */
export function runPython(script: string, input: unknown = null): any {
  const r = spawnSync(PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`python failed (status ${r.status}):\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

/** Elementwise |a - e| <= atol + rtol * |e|. */
export function assertClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, atol = 1e-6, rtol = 0, what = 'value'): void {
  const a = typeof actual === 'number' ? [actual] : Array.from(actual);
  const e = typeof expected === 'number' ? [expected] : Array.from(expected);
  assert.equal(a.length, e.length, `${what}: length ${a.length} != expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const tol = atol + rtol * Math.abs(e[i]);
    if (!(Math.abs(a[i] - e[i]) <= tol)) {
      assert.fail(`${what}[${i}]: got ${a[i]}, expected ${e[i]} (|diff| ${Math.abs(a[i] - e[i])} > ${tol})`);
    }
  }
}
