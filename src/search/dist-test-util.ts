// A rank of distributed.test.ts's data-preparation test, run as its own
// process: `node dist-test-util.js '<json>'`; prints one JSON line.
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { destroyProcessGroup } from '../dist/process-group.js';
import { joinGroup, onePerMachineFirst } from './distributed.js';

export interface DataWorkerArgs {
  rank: number;
  local: number;
  port: number;
  /** The "download" local rank 0 makes and the others look for. */
  file: string;
  /** Local rank 0's preparation fails. */
  fail?: boolean;
}

async function main(a: DataWorkerArgs): Promise<unknown> {
  process.env.LOCAL_RANK = String(a.local);
  process.env.TANGLENAS_DIST_TIMEOUT_S = '5';
  const d = { rank: a.rank, world: 2, addr: '127.0.0.1', port: a.port };
  joinGroup(d);
  try {
    const got = await onePerMachineFirst(d, async () => {
      if (a.local > 0) return existsSync(a.file) ? 'found' : 'missing';
      await sleep(500);
      if (a.fail) throw new Error('download failed');
      writeFileSync(a.file, 'data');
      return 'made';
    });
    return { got };
  } finally {
    destroyProcessGroup();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    process.stdout.write(JSON.stringify(await main(JSON.parse(process.argv[2]) as DataWorkerArgs)) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ error: (e as Error).message }) + '\n');
    process.exitCode = 3;
  }
}
