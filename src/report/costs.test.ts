import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSpace } from '../spaces/index.js';
import { fillMissingCosts } from './costs.js';
import { writeReport } from './report.js';
import { withTempDir, writeRun } from './test-util.js';

test('report --costs: params and FLOPs of architectures older runs did not record, equal to the sub-network measured directly', async () => {
  await withTempDir(async (root) => {
    const space = createSpace('toy-conv-macro');
    const arch = Object.fromEntries(space.choices.map((c) => [c.name, 0]));
    const values = JSON.parse(space.encode(arch));
    const net = space.subnet(arch, { inherit: false });
    const expectParams = net.numParameters();
    net.dispose();
    space.supernet.dispose();
    const common = { config: { space: 'toy-conv-macro', method: 'drnas', form: 'we', seed: 0 }, command: 'search', preset: 'toy-conv-macro/tanglenas', status: { status: 'done' } };
    writeRun(root, 'tanglenas-seed0', { ...common, architecture: { architecture: values, time_s: 10 } });
    // Recorded values are kept as they are.
    writeRun(root, 'tanglenas-seed1', { ...common, config: { ...common.config, seed: 1 }, architecture: { architecture: values, params: 7, flops: 9, time_s: 10 } });
    const plain = await writeReport(root, { out: `${root}/plain` });
    assert.ok(plain.summary.runs.every((r) => r.params === null || r.params === 7));
    const r = await writeReport(root, { out: `${root}/costs`, costs: true });
    const byName = Object.fromEntries(r.summary.runs.map((x) => [x.run.name, x]));
    assert.equal(byName['tanglenas-seed0'].params, expectParams);
    assert.ok((byName['tanglenas-seed0'].flops ?? 0) > 1e6, 'conv-macro MACs per image');
    assert.equal(byName['tanglenas-seed1'].params, 7);
    assert.equal(await fillMissingCosts([]), 0);
  });
});
