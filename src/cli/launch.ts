// `--nproc N` (and --nnodes, --node-rank, --master-addr, --master-port): the
// command starts N local processes of itself, one per rank, as torchrun does:
// RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT in their
// environment, each with its share of the cores unless TANGLENAS_THREADS says
// otherwise. Rank 0 prints; the others print only errors. When a rank fails,
// the others are stopped; the exit code is the first failure's.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { str, UsageError, type Values } from './args.js';

export const LAUNCH_OPTIONS = {
  nproc: { type: 'string' },
  nnodes: { type: 'string' },
  'node-rank': { type: 'string' },
  'master-addr': { type: 'string' },
  'master-port': { type: 'string' },
} as const;

export const LAUNCH_HELP = `data-parallel (docs/distributed.md):
  --nproc N            N processes on this machine, each on its share of every batch
  --nnodes M --node-rank K --master-addr HOST --master-port P   across machines
                       (or launch with torchrun/SLURM: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)`;

export interface LaunchPlan {
  nproc: number;
  nnodes: number;
  nodeRank: number;
  addr: string;
  port: number;
}

/** The launch the flags ask for, or null (one process, or already a rank). */
export function launchPlan(values: Values): LaunchPlan | null {
  const int = (flag: string, def: number, min: number): number => {
    const v = str(values[flag]);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer >= ${min}, got '${v}'`);
    return n;
  };
  const nproc = int('nproc', 1, 1);
  const nnodes = int('nnodes', 1, 1);
  const nodeRank = int('node-rank', 0, 0);
  if (nodeRank >= nnodes) throw new UsageError(`--node-rank ${nodeRank} must be below --nnodes ${nnodes}`);
  if (nproc * nnodes === 1) return null;
  if (process.env.RANK !== undefined) throw new UsageError('--nproc/--nnodes inside an already launched rank (RANK is set): drop the flags, or unset RANK');
  const addr = str(values['master-addr']) ?? (nnodes === 1 ? '127.0.0.1' : '');
  if (!addr) throw new UsageError('--nnodes > 1 needs --master-addr (the address of node 0, reachable from every node)');
  const port = int('master-port', 29500, 1);
  if (port > 65535) throw new UsageError(`--master-port ${port} is not a port number`);
  return { nproc, nnodes, nodeRank, addr, port };
}

/** argv without the launch flags (and their values). */
export function withoutLaunchFlags(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const name = a.startsWith('--') ? a.slice(2).split('=')[0] : '';
    if (name in LAUNCH_OPTIONS) {
      if (!a.includes('=')) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** Starts the ranks of this node and waits for them; returns the exit code. */
export async function launch(plan: LaunchPlan, argv: readonly string[]): Promise<number> {
  const world = plan.nproc * plan.nnodes;
  const threads = process.env.TANGLENAS_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / plan.nproc)));
  const children: ChildProcess[] = [];
  const exits: Promise<number>[] = [];
  let failed: number | null = null;
  // Ctrl-C or a kill of the launcher reaches every rank (no orphans writing the run directory).
  const forward = (sig: NodeJS.Signals) => {
    for (const c of children) if (c.exitCode === null) c.kill(sig);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  for (let local = 0; local < plan.nproc; local++) {
    const rank = plan.nodeRank * plan.nproc + local;
    const env = { ...process.env, RANK: String(rank), LOCAL_RANK: String(local), WORLD_SIZE: String(world), MASTER_ADDR: plan.addr, MASTER_PORT: String(plan.port), TANGLENAS_THREADS: threads };
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...argv], { env, stdio: ['ignore', rank === 0 ? 'inherit' : 'ignore', 'inherit'] });
    children.push(child);
    exits.push(
      new Promise((resolve) =>
        child.on('close', (code, signal) => {
          const c = code ?? (signal ? 128 + 9 : 1);
          // Exit 3 is a budget stop, not a failure.
          if (c !== 0 && c !== 3 && failed === null) {
            failed = c;
            console.error(`tanglenas: rank ${rank} ${signal ? `was killed (${signal})` : `exited with ${c}`}; stopping the other ranks`);
            for (const o of children) if (o !== child && o.exitCode === null) o.kill('SIGTERM');
          }
          resolve(c);
        }),
      ),
    );
  }
  const codes = await Promise.all(exits);
  process.off('SIGINT', forward);
  process.off('SIGTERM', forward);
  return failed ?? codes.find((c) => c !== 0) ?? 0;
}
