// Helpers for the nn tests: tolerance asserts and a bridge to Debian's
// python3-torch for parity checks (skipped where it is not installed).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';

/** Debian's interpreter (the one with python3-torch); TANGLENAS_TEST_PYTHON overrides it. */
export const PYTHON = process.env.TANGLENAS_TEST_PYTHON || '/usr/bin/python3';

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

/**
 * Starts the script now and resolves with its JSON output: started at the top
 * of a test file, the Python start-up (seconds for torch) overlaps the other tests.
 * Returns null when torch is missing (the parity test is skipped then).
 */
export function pythonEarly(script: string, input: unknown = null): Promise<any> | null {
  if (!hasTorch()) return null;
  const p = new Promise<any>((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script], { env: { ...process.env, OMP_NUM_THREADS: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`python failed (status ${code}):\n${err}`));
      try {
        const lines = out.trim().split('\n');
        resolve(JSON.parse(lines[lines.length - 1]));
      } catch (e) {
        reject(e);
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
  // Rejections surface when the parity test awaits; avoid an unhandled-rejection crash before that.
  p.catch(() => undefined);
  return p;
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
