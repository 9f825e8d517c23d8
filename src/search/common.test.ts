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
