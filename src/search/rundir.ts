// A run directory: the resolved config, metrics as JSON lines, a status file,
// the checkpoints and the final results. Every whole-file write is atomic
// (nn/atomic.ts: temporary file, fsync, rename), so a kill at any moment
// leaves either the old or the new version. Metrics are appended line by line;
// a checkpoint records the metrics file's length so a resume can cut off lines
// written after it (no duplicates, no torn line).
// One writer at a time: every process that writes a run (a new run, a resume)
// holds its lock file, `run.lock` (pid, host, process start), taken with an
// atomic link; a second writer is refused (RunDirError, exit code 2) while the
// holder lives, and the lock of a dead holder is taken over with a note. So
// status.json's `running` is true only while its lock's holder lives; a
// reader tells an interrupted run by that (runStatus).
// File-system failures name the path and the cause; the folder itself is made
// level by level (data/files.ts makeDirs), so no path hangs the command.
import { appendFileSync, existsSync, linkSync, readdirSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fsCause, makeDirs } from '../data/files.js';
import { isAtomicTemp, writeFileAtomic } from '../nn/atomic.js';

export { writeFileAtomic };

/**
 * A problem with the run directory a user named: missing, not a run, in use
 * by another process, or not creatable there. The CLI exits with code 2.
 */
export class RunDirError extends Error {
  override name = 'RunDirError';
  /** A usage error: the CLI's exit code 2. */
  readonly usage = true;
}

/** Runs a file-system call; a failure names the path and the cause. */
function fsCall<T>(action: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw Object.assign(new Error(`cannot ${action} '${path}': ${fsCause(e)}`, { cause: e }), { code: (e as NodeJS.ErrnoException).code });
  }
}

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
/** What a reader makes of a run: its status, or 'interrupted' when it says running but its writer is gone. */
export type RunState = RunStatus | 'interrupted';
/** How a run (or one of its phases) ended: finished, or stopped by its budget (resumable). */
export type EndStatus = Extract<RunStatus, 'done' | 'stopped'>;

export interface StatusFile {
  command: string;
  status: RunStatus;
  phase: string;
  updated: string;
  message?: string;
  /** The writer's process and host. */
  pid?: number;
  host?: string;
}

/** The lock file's content: who writes the run. */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  since: string;
  /** Linux: the boot and the process's start time, so a reused pid or a reboot is not taken for the holder. */
  boot?: string | null;
  start?: string | null;
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** Start time of a process (Linux: clock ticks after boot, field 22 of /proc/PID/stat), or null. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** This process as a lock holder. */
function me(command: string): LockHolder {
  return { pid: process.pid, host: hostname(), command, since: new Date().toISOString(), boot: bootId(), start: processStart(process.pid) };
}

function sameProcess(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.host === b.host && (a.start ?? null) === (b.start ?? null);
}

/** Whether a lock's holder runs: 'alive', 'dead', or 'elsewhere' (another host: cannot tell). */
export function holderState(h: Pick<LockHolder, 'pid' | 'host' | 'boot' | 'start'>): 'alive' | 'dead' | 'elsewhere' {
  if (h.host !== hostname()) return 'elsewhere';
  const boot = bootId();
  if (h.boot && boot && h.boot !== boot) return 'dead';
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
  }
  if (h.start) {
    const now = processStart(h.pid);
    if (now !== null && now !== h.start) return 'dead'; // the pid was reused
  }
  return 'alive';
}

/** Creates `path` with `text` unless it exists (file systems without hard links); false when it exists. */
function createExclusive(path: string, text: string): boolean {
  try {
    writeFileSync(path, text, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new RunDirError(`cannot take the lock '${path}': ${fsCause(e)}`, { cause: e });
  }
}

function parseHolder(text: string | null): LockHolder | null | 'unreadable' {
  if (text === null) return null;
  try {
    const h = JSON.parse(text) as LockHolder;
    return typeof h?.pid === 'number' && typeof h.host === 'string' ? h : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function describeHolder(h: LockHolder): string {
  return `pid ${h.pid} on host ${h.host} ('tanglenas ${h.command}', since ${h.since})`;
}

export class RunDir {
  readonly dir: string;
  /** The lock this object holds (lock()), released by unlock(). */
  #held: LockHolder | null = null;

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
  get lockPath(): string {
    return join(this.dir, 'run.lock');
  }
  file(name: string): string {
    return join(this.dir, name);
  }

  /**
   * Makes a new run directory and takes its lock; refuses one that holds a
   * run. Returns the note of a stale lock taken over, if any.
   */
  create(command = 'search'): string | null {
    try {
      makeDirs(this.dir, 'the run directory');
    } catch (e) {
      throw new RunDirError(`${(e as Error).message}; choose another --run-dir`, { cause: e });
    }
    const note = this.lock(command);
    try {
      if (existsSync(this.configPath)) {
        throw new RunDirError(`run directory '${this.dir}' already holds a run; continue it with --resume ${this.dir}, or choose another --run-dir`);
      }
      this.prepare();
    } catch (e) {
      this.unlock();
      throw e;
    }
    return note;
  }

  /** Checks that an existing directory holds a run (reading only; resume then takes the lock and calls prepare()). */
  open(): void {
    let isDir: boolean;
    try {
      isDir = statSync(this.dir).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new RunDirError(code === 'ENOENT' || code === 'ENOTDIR' ? `run directory '${this.dir}' does not exist; check the path` : `run directory '${this.dir}' cannot be read: ${fsCause(e)}`, { cause: e });
    }
    if (!isDir) throw new RunDirError(`'${this.dir}' is a file, not a run directory; pass the folder a run wrote`);
    if (!existsSync(this.configPath)) throw new RunDirError(`'${this.dir}' is not a run directory (no config.json); pass the folder a run wrote`);
  }

  /** Before writing (with the lock held): the checkpoint folder, no leftovers of writes a kill interrupted, a metrics file. */
  prepare(): void {
    fsCall('create the folder', this.checkpointDir, () => makeDirs(this.checkpointDir, 'the checkpoint folder'));
    for (const d of [this.dir, this.checkpointDir]) {
      for (const f of fsCall('list', d, () => readdirSync(d))) if (isAtomicTemp(f)) fsCall('remove', join(d, f), () => unlinkSync(join(d, f)));
    }
    if (!existsSync(this.metricsPath)) fsCall('write', this.metricsPath, () => appendFileSync(this.metricsPath, ''));
  }

  /** The lock file's text, null when there is none. */
  #lockText(path = this.lockPath): string | null {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new RunDirError(`cannot read the lock '${path}': ${fsCause(e)}`, { cause: e });
    }
  }

  /** The lock file's holder, null when there is none, 'unreadable' when it cannot be parsed. */
  lockHolder(): LockHolder | null | 'unreadable' {
    return parseHolder(this.#lockText());
  }

  /**
   * Takes the run's lock for this process (`command` names it for others).
   * A live holder: RunDirError naming its pid and host. A dead holder (or a
   * lock file nobody could have written for a minute): its lock is taken
   * over, and the returned note says so.
   */
  lock(command: string): string | null {
    if (this.#held) throw new Error(`run directory '${this.dir}': this object holds its lock already`);
    const self = me(command);
    const text = JSON.stringify(self, null, 2) + '\n';
    let note: string | null = null;
    for (let attempt = 0; attempt < 20; attempt++) {
      // The lock appears complete or not at all: written beside it, then linked to its name (which fails when it exists).
      const tmp = join(this.dir, `.run.lock.${process.pid}.${Date.now()}.tmp`);
      try {
        writeFileSync(tmp, text);
      } catch (e) {
        throw new RunDirError(`cannot take the lock of run directory '${this.dir}': cannot write '${tmp}': ${fsCause(e)}`, { cause: e });
      }
      let linked = false;
      try {
        linkSync(tmp, this.lockPath);
        linked = true;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // ENOENT: the holder's prepare() removed our temporary file; try again.
        if (code === 'ENOENT') continue;
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') linked = createExclusive(this.lockPath, text); // no hard links here
        else if (code !== 'EEXIST') throw new RunDirError(`cannot take the lock '${this.lockPath}': ${fsCause(e)}`, { cause: e });
      } finally {
        try {
          unlinkSync(tmp);
        } catch {
          /* a concurrent writer's prepare() removed it */
        }
      }
      if (linked) {
        this.#held = self;
        return note;
      }
      const seen = this.#lockText();
      const holder = parseHolder(seen);
      if (holder === null) continue; // released meanwhile
      if (holder === 'unreadable') {
        // Written by link, a lock is never partial; an unreadable one was damaged.
        const age = Date.now() - (statSync(this.lockPath, { throwIfNoEntry: false })?.mtimeMs ?? 0);
        if (age < 60_000) throw new RunDirError(`run directory '${this.dir}' has an unreadable lock file '${this.lockPath}' written ${Math.round(age / 1000)} s ago; if no tanglenas process writes this run, delete the file`);
      } else {
        const state = holderState(holder);
        if (state === 'alive') {
          throw new RunDirError(`run directory '${this.dir}' is in use by ${describeHolder(holder)}${holder.pid === process.pid ? ' (this process)' : ''}; wait for it to end or stop it, then try again`);
        }
        if (state === 'elsewhere') {
          throw new RunDirError(`run directory '${this.dir}' is locked by ${describeHolder(holder)}, another host (this is ${self.host}); if that process no longer runs, delete '${this.lockPath}'`);
        }
      }
      // A dead holder: move its lock aside; if what moved is not the lock judged
      // dead (another process took over meanwhile), put it back.
      const aside = join(this.dir, `.run.lock.stale.${process.pid}.tmp`);
      try {
        renameSync(this.lockPath, aside);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw new RunDirError(`cannot take over the lock '${this.lockPath}': ${fsCause(e)}`, { cause: e });
      }
      if (this.#lockText(aside) !== seen) {
        try {
          linkSync(aside, this.lockPath);
        } catch {
          /* a third process locked meanwhile; the next attempt sees it */
        }
      } else {
        note = holder === 'unreadable' ? `replaced the unreadable lock file '${this.lockPath}'` : `took over the lock of ${describeHolder(holder)}, which no longer runs`;
      }
      try {
        unlinkSync(aside);
      } catch {
        /* gone */
      }
    }
    throw new RunDirError(`could not take the lock '${this.lockPath}' (other processes keep taking it); try again`);
  }

  /** Releases the lock if this object holds it (and it is still this process's). */
  unlock(): void {
    const held = this.#held;
    if (!held) return;
    this.#held = null;
    try {
      const h = this.lockHolder();
      if (h && h !== 'unreadable' && sameProcess(h, held)) unlinkSync(this.lockPath);
    } catch {
      // best effort: a lock left behind is taken over as stale
    }
  }

  /** With the lock held: throws when another process took it (so this one stops before writing more). */
  checkLock(): void {
    const held = this.#held;
    if (!held) return;
    const h = this.lockHolder();
    if (h && h !== 'unreadable' && sameProcess(h, held)) return;
    throw new RunDirError(`the lock '${this.lockPath}' of this run was ${h === null ? 'removed' : `taken by ${h === 'unreadable' ? 'an unreadable writer' : describeHolder(h)}`}; this process stops without writing more`);
  }

  metric(record: Record<string, unknown>): void {
    fsCall('append to', this.metricsPath, () => appendFileSync(this.metricsPath, JSON.stringify(record) + '\n'));
  }

  metricsBytes(): number {
    return existsSync(this.metricsPath) ? statSync(this.metricsPath).size : 0;
  }

  /** Cuts the metrics back to what the checkpoint had seen. */
  truncateMetrics(bytes: number): void {
    if (this.metricsBytes() > bytes) fsCall('truncate', this.metricsPath, () => truncateSync(this.metricsPath, bytes));
  }

  readMetrics(): Record<string, unknown>[] {
    if (!existsSync(this.metricsPath)) return [];
    return readFileSync(this.metricsPath, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  setStatus(s: Omit<StatusFile, 'updated' | 'pid' | 'host'>): void {
    writeJsonAtomic(this.statusPath, { ...s, updated: new Date().toISOString(), pid: process.pid, host: hostname() });
  }

  status(): StatusFile | null {
    return existsSync(this.statusPath) ? readJson<StatusFile>(this.statusPath, 'status file') : null;
  }

  /**
   * What the run is now: status.json's status, except that 'running' whose
   * writer is gone (its lock's holder is dead, or without a lock its pid) is
   * 'interrupted'. Null before the first status.
   */
  state(): RunState | null {
    const st = this.status();
    if (!st) return null;
    if (st.status !== 'running') return st.status;
    const h = this.lockHolder();
    if (h === 'unreadable') return 'running';
    if (h) return holderState(h) === 'dead' ? 'interrupted' : 'running';
    // No lock: a run of an older version, or its writer ended without a final status.
    if (typeof st.pid !== 'number') return 'interrupted';
    return holderState({ pid: st.pid, host: st.host ?? hostname() }) === 'dead' ? 'interrupted' : 'running';
  }
}
