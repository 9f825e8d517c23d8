import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Clock } from './common.js';

test('Clock: cpu counts CPU time, not waiting; base carries over resumes', async () => {
  const wall = new Clock(1000, 'wall');
  const cpu = new Clock(1000, 'cpu');
  await new Promise((r) => setTimeout(r, 200)); // sleeping uses no CPU
  assert.ok(wall.ms() >= 1190, `wall clock ${wall.ms()}`);
  assert.ok(cpu.ms() < 1150, `cpu clock advanced ${cpu.ms() - 1000} ms while sleeping`);
  const t = Date.now();
  let x = 0;
  while (Date.now() - t < 150) x += Math.sqrt(x + 1); // busy: CPU time advances
  assert.ok(cpu.ms() >= 1100, `cpu clock ${cpu.ms()} after 150 ms of work`);
});
