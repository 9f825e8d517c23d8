// A run directory: the resolved config, metrics as JSON lines, a status file,
// the checkpoints and the final results. Every whole-file write is atomic
// (nn/atomic.ts: temporary file, fsync, rename), so a kill at any moment
// leaves either the old or the new version. Metrics are appended line by line;
// a checkpoint records the metrics file's length so a resume can cut off lines
// written after it (no duplicates, no torn line).
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAtomicTemp, writeFileAtomic } from '../nn/atomic.js';

export { writeFileAtomic };

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}

export function readJson<T = unknown>(path: string, what: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${what} '${path}' ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${what} '${path}' is not valid JSON (${(e as Error).message}); the file is damaged`);
  }
}

export type Command = 'search' | 'two-stage' | 'black-box' | 'train' | 'finetune';
export const COMMANDS: readonly Command[] = ['search', 'two-stage', 'black-box', 'train', 'finetune'];

/** run.json: which command made the run, from which preset. */
export interface RunInfo {
  format: 'tanglenas.run/1';
  command: Command;
  preset: string;
  created: string;
}

export type RunStatus = 'running' | 'done' | 'stopped' | 'failed';
/** How a run (or one of its phases) ended: finished, or stopped by its budget (resumable). */
export type EndStatus = Extract<RunStatus, 'done' | 'stopped'>;

export interface StatusFile {
  command: string;
  status: RunStatus;
  phase: string;
  updated: string;
  message?: string;
  pid?: number;
}

export class RunDir {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  get configPath(): string {
    return join(this.dir, 'config.json');
  }
  get metricsPath(): string {
    return join(this.dir, 'metrics.jsonl');
  }
  get statusPath(): string {
    return join(this.dir, 'status.json');
  }
  get checkpointDir(): string {
    return join(this.dir, 'checkpoints');
  }
  file(name: string): string {
    return join(this.dir, name);
  }

  /** Creates a new run directory; refuses to reuse one that holds a run. */
  create(): void {
    if (existsSync(this.configPath)) {
      throw new Error(`run directory '${this.dir}' already holds a run; continue it with --resume ${this.dir}, or choose another --run-dir`);
    }
    mkdirSync(this.checkpointDir, { recursive: true });
    if (!existsSync(this.metricsPath)) appendFileSync(this.metricsPath, '');
  }

  /** Checks that an existing directory holds a run, for --resume. */
  open(): void {
    if (!existsSync(this.dir)) throw new Error(`run directory '${this.dir}' does not exist; check the path given to --resume`);
    if (!existsSync(this.configPath)) throw new Error(`'${this.dir}' is not a run directory (no config.json); pass the folder a search wrote`);
    mkdirSync(this.checkpointDir, { recursive: true });
    // Leftovers of writes interrupted by a kill.
    for (const d of [this.dir, this.checkpointDir]) {
      for (const f of readdirSync(d)) if (isAtomicTemp(f)) unlinkSync(join(d, f));
    }
    if (!existsSync(this.metricsPath)) appendFileSync(this.metricsPath, '');
  }

  metric(record: Record<string, unknown>): void {
    appendFileSync(this.metricsPath, JSON.stringify(record) + '\n');
  }

  metricsBytes(): number {
    return existsSync(this.metricsPath) ? statSync(this.metricsPath).size : 0;
  }

  /** Cuts the metrics back to what the checkpoint had seen. */
  truncateMetrics(bytes: number): void {
    if (this.metricsBytes() > bytes) truncateSync(this.metricsPath, bytes);
  }

  readMetrics(): Record<string, unknown>[] {
    if (!existsSync(this.metricsPath)) return [];
    return readFileSync(this.metricsPath, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  setStatus(s: Omit<StatusFile, 'updated' | 'pid'>): void {
    writeJsonAtomic(this.statusPath, { ...s, updated: new Date().toISOString(), pid: process.pid });
  }

  status(): StatusFile | null {
    return existsSync(this.statusPath) ? readJson<StatusFile>(this.statusPath, 'status file') : null;
  }
}
