import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Clock } from './common.js';

test('Clock: cpu counts CPU time, not waiting; base carries over resumes', async () => {
  const wall = new Clock(1000, 'wall');
  const cpu = new Clock(1000, 'cpu');
  await new Promise((r) => setTimeout(r, 200)); // sleeping uses no CPU
  assert.ok(wall.ms() >= 1190, `wall clock ${wall.ms()}`);
  assert.ok(cpu.ms() < 1150, `cpu clock advanced ${cpu.ms() - 1000} ms while sleeping`);
  // Busy until the process has used 100 ms more CPU (by the OS's count; on a
  // loaded machine that takes longer in wall time), then the clock shows it.
  const before = cpu.ms();
  const u0 = process.cpuUsage();
  const t = Date.now();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 1e5; i++) x += Math.sqrt(x + 1);
    const u = process.cpuUsage(u0);
    if (u.user + u.system >= 100_000 || Date.now() - t > 20_000) break;
  }
  assert.ok(cpu.ms() - before >= 100, `cpu clock advanced ${cpu.ms() - before} ms after 100 ms of work`);
});

test('parseArchitecture: JSON, a benchmark key, a run file; clear errors for a run without an architecture and for unknown choices', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createSpace } = await import('../spaces/index.js');
  const { parseArchitecture } = await import('./common.js');
  const space = createSpace('toy-conv-macro');
  const dir = mkdtempSync(join(tmpdir(), 'tanglenas-arch-'));
  try {
    const key = '[[32, 64, 128, 128], [3, 7, 5, 7]]';
    const arch = parseArchitecture(space, key);
    assert.equal(space.benchmarkKey(arch), key);
    assert.deepEqual(parseArchitecture(space, space.encode(arch)), arch);
    writeFileSync(join(dir, 'architecture.json'), JSON.stringify({ space: 'toy-conv-macro', architecture: JSON.parse(space.encode(arch)) }));
    assert.deepEqual(parseArchitecture(space, dir), arch);
    writeFileSync(join(dir, 'architecture.json'), JSON.stringify({ command: 'two-stage', space: 'toy-conv-macro', stopped: true, phase: 'supernet' }));
    assert.throws(() => parseArchitecture(space, dir), /holds no architecture: that run stopped in its supernet phase .*resume it with a larger --budget-minutes/);
    assert.throws(() => parseArchitecture(space, '{"kernel_9": 3}'), /is not an architecture of 'toy-conv-macro'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    space.supernet.dispose();
  }
});
