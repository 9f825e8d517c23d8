// The skeleton shared by the phases of a run: the supernet training of every
// search (supernet.ts), the training of one network (train.ts) and the
// black-box stage (blackbox.ts).
// - PhaseLoop, all three: where the phase runs (run context, space, benchmark,
//   run clock, budget), the budget check and its resume hint, the timer of
//   checkpoint_minutes, metric records stamped with run time and peak memory.
// - EpochLoop, the two trainers: epochs of steps with the weight optimizer and
//   its per-epoch learning rate, a checkpoint at every epoch end, every
//   checkpoint_minutes and every checkpoint_every_steps, a clean stop at the
//   budget, resume (loop counters, loaders, clock, metrics length, RNG), step
//   records every log_every, the status line, and budget_fit after epoch 0;
//   a step that leaves a NaN or an infinity behind (NonFiniteError from the
//   step's checks or the checkpoint's) stops the run with the step named,
//   before that state is saved.
// The phases supply their step, their records and what their checkpoints hold.
import { NonFiniteError } from '../nn/finite.js';
import type { Module } from '../nn/module.js';
import type { Hyper, Optimizer } from '../nn/optim/optimizer.js';
import type { SearchSpace } from '../nas/space.js';
import type { ToyBenchmark } from './benchmark.js';
import { CheckpointBuilder, restoreRng, type LoadedCheckpoint } from './checkpoint.js';
import { withPrecision } from '../tensor/precision.js';
import { agreed } from './distributed.js';
import { lrAt, makeWeightOptimizer, gpuMemMb, rssMb, type Clock, type RunContext } from './common.js';
import type { Config } from './config.js';
import type { RunLoaders } from './data.js';
import type { Progress, ProgressState } from './progress.js';
import type { EndStatus } from './rundir.js';

/** Where a phase runs; the first constructor argument of every phase. */
export interface PhaseEnv {
  ctx: RunContext;
  space: SearchSpace;
  bench: ToyBenchmark | null;
  /** The run clock (carries over resumes). */
  clock: Clock;
  /** Deadline of the phase on the run clock, in ms (Infinity = none). */
  budgetMs: number;
}

/** Mean duration of the last `window` units of work (steps, generations), for the status line's ETA. */
export class RateMeter {
  readonly #ms: number[] = [];
  constructor(readonly window = Infinity) {}

  add(ms: number): void {
    this.#ms.push(ms);
    if (this.#ms.length > this.window) this.#ms.shift();
  }

  /** Seconds per unit; undefined before the first. */
  secondsPer(): number | undefined {
    return this.#ms.length ? this.#ms.reduce((a, b) => a + b, 0) / this.#ms.length / 1000 : undefined;
  }
}

export abstract class PhaseLoop {
  readonly ctx: RunContext;
  readonly space: SearchSpace;
  readonly bench: ToyBenchmark | null;
  readonly clock: Clock;
  readonly budgetMs: number;
  #lastSave = Date.now();

  constructor(env: PhaseEnv) {
    this.ctx = env.ctx;
    this.space = env.space;
    this.bench = env.bench;
    this.clock = env.clock;
    this.budgetMs = env.budgetMs;
  }

  protected get config(): Config {
    return this.ctx.config;
  }

  protected get progress(): Progress {
    return this.ctx.progress;
  }

  /** Whether the budget is spent, or would be after `reserveMs` more (work not worth starting). */
  protected budgetSpent(reserveMs = 0): boolean {
    return this.clock.ms() + reserveMs >= this.budgetMs;
  }

  /** Logs where the budget stopped the phase, and how to continue. */
  protected logBudgetStop(where: string): void {
    this.progress.log(`${where}; continue with --resume ${this.ctx.run.dir} --budget-minutes <more>`);
  }

  /** Before a save: throws when another process took the run's lock. */
  protected checkLock(): void {
    this.ctx.run.checkLock();
  }

  /** Whether checkpoint_minutes have passed since the last save. */
  protected saveDue(): boolean {
    const minutes = this.config.checkpoint_minutes;
    return minutes > 0 && Date.now() - this.#lastSave >= minutes * 60_000;
  }

  protected markSaved(): void {
    this.#lastSave = Date.now();
  }

  /** Appends a record to metrics.jsonl, stamped with the run time and the peak memory. */
  protected record(fields: Record<string, unknown>): void {
    const gpu = gpuMemMb();
    this.ctx.run.metric({ ...fields, time_s: +this.clock.seconds().toFixed(3), rss_mb: rssMb(), ...(gpu === null ? {} : { gpu_mem_mb: gpu }) });
  }
}

/** The loop counters of an EpochLoop (checkpointed as `loop`, with the phase's running sums). */
export interface EpochState {
  epoch: number;
  /** Steps done in the current epoch. */
  step: number;
  globalStep: number;
  /** Epochs this run will do (changes once with budget_fit). */
  plannedEpochs: number;
  /** budget_fit: steps of the last planned epoch when the budget fits only part of one (absent: a whole epoch). */
  lastEpochSteps?: number;
  /** lr_fit's factor on the learning rates, fixed after epoch 0 (absent: 1). */
  lrScale?: number;
  finished: boolean;
  /** Run clock (ms) when the loop began; budget_fit measures epoch 0 from here. */
  startMs: number;
}

export abstract class EpochLoop<S extends EpochState, R> extends PhaseLoop {
  readonly loaders: RunLoaders;
  /** The weight optimizer (config optimizer, lr set per epoch). */
  readonly optimizer: Optimizer<Hyper>;
  readonly stepsPerEpoch: number;
  abstract readonly state: S;
  /** The phase of metric records and of the status line. */
  abstract get phase(): string;
  /** The `phase` a checkpoint of this loop carries; resume refuses any other. */
  protected abstract readonly checkpointPhase: string;

  constructor(env: PhaseEnv, loaders: RunLoaders, model: Module) {
    super(env);
    this.loaders = loaders;
    this.optimizer = makeWeightOptimizer(model.parameters(), env.ctx.config);
    this.stepsPerEpoch = env.ctx.config.steps_per_epoch || loaders.train.batchesPerEpoch;
  }

  /** Steps of the current epoch: stepsPerEpoch, or fewer in a last epoch budget_fit shortened. */
  protected epochSteps(): number {
    return this.#inShortenedEpoch() ? this.state.lastEpochSteps! : this.stepsPerEpoch;
  }

  #inShortenedEpoch(): boolean {
    const s = this.state;
    return s.lastEpochSteps !== undefined && s.epoch === s.plannedEpochs - 1;
  }

  /** Steps of the whole plan (a shortened last epoch counted as planned). */
  plannedSteps(): number {
    const s = this.state;
    return (s.plannedEpochs - 1) * this.stepsPerEpoch + (s.lastEpochSteps ?? this.stepsPerEpoch);
  }

  /** Weights, buffers and optimizers of a checkpoint. */
  protected abstract saveTensors(b: CheckpointBuilder): void;
  /** The checkpoint's state after its phase: loop counters, sampler, loader positions. */
  protected abstract saveState(b: CheckpointBuilder): void;
  /** Everything saveTensors and saveState wrote but the loop counters. */
  protected abstract restoreParts(ck: LoadedCheckpoint): void;
  /** Schedules that depend only on the epoch (re-applied exactly after a resume); runs before the lr is set. */
  protected beforeEpoch(): void {}
  protected abstract resetEpochSums(): void;
  /** One training step; throws NonFiniteError when its checks find a NaN or an infinity (the last checkpoint holds finite weights). */
  protected abstract trainStep(): R;
  /** Adds a step to the running sums (the counters already count it). */
  protected abstract accumulate(r: R): void;
  /** The `step` record, every log_every steps. */
  protected abstract logStep(r: R): void;
  /** The status line's fields after a step. */
  protected abstract status(r: R): Pick<ProgressState, 'fields' | 'genotype'>;
  /** The `epoch` record and log line. */
  protected abstract endOfEpoch(): void;
  /** Run time budget_fit keeps free after the last epoch (the final test pass). */
  protected finalPassMs(): number {
    return 0;
  }
  /** Extra fields of the `plan` record. */
  protected planFields(): Record<string, unknown> {
    return {};
  }
  /** Called when the budget stops the loop, before its checkpoint. */
  protected onBudgetStop(): void {}

  /** Global step of the newest checkpoint (null: none yet), for the message of a stopped run. */
  #savedStep: number | null = null;

  checkpoint(): void {
    this.checkLock();
    const b = new CheckpointBuilder();
    this.saveTensors(b);
    b.rng().set('phase', this.checkpointPhase);
    this.saveState(b);
    b.set('elapsedMs', this.clock.ms()).set('metricsBytes', this.ctx.run.metricsBytes());
    try {
      b.save(this.ctx.run.checkpointDir);
    } catch (e) {
      throw e instanceof NonFiniteError ? this.#nonFinite(e, false) : e;
    }
    this.#savedStep = this.state.globalStep;
    this.markSaved();
  }

  /** The error that stops a run at a non-finite value: what, where, what was (not) saved, what to change. */
  #nonFinite(e: NonFiniteError, inStep: boolean): Error {
    const s = this.state;
    const c = this.config;
    const when = inStep
      ? `after the ${e.stage === 'arch' ? 'architecture' : 'weight'} step of epoch ${s.epoch + 1}, step ${s.step + 1} (global step ${s.globalStep + 1})`
      : `in the checkpoint after global step ${s.globalStep}`;
    const saved = this.#savedStep === null ? 'the run has no checkpoint yet' : `its newest checkpoint is of global step ${this.#savedStep}`;
    const lower = e.stage === 'arch' ? `arch_lr (now ${c.arch_lr})` : `lr (now ${this.optimizer.lr})${c.grad_clip > 0 ? '' : ' or set grad_clip'}`;
    return new Error(`${e.what} ${when}; the run stopped without saving this state (${saved}). Lower ${lower} and start a new run`, { cause: e });
  }

  restore(ck: LoadedCheckpoint): void {
    if (ck.state.phase !== this.checkpointPhase) throw new Error(`checkpoint '${ck.file}' is a '${String(ck.state.phase)}' checkpoint, not a '${this.checkpointPhase}' one; the run directory is inconsistent`);
    this.restoreParts(ck);
    Object.assign(this.state, ck.state.loop as S);
    this.#savedStep = this.state.globalStep;
    this.clock.base = Number(ck.state.elapsedMs) || 0;
    this.ctx.run.truncateMetrics(Number(ck.state.metricsBytes) || 0);
    restoreRng(ck);
  }

  /** Puts the data loaders where the checkpoint left them. */
  protected restoreLoaders(ck: LoadedCheckpoint): void {
    const saved = ck.state.loaders as { train: object; valid?: object | null };
    try {
      this.loaders.train.restore(saved.train);
      if (saved.valid && this.loaders.valid) this.loaders.valid.restore(saved.valid);
    } catch (e) {
      throw new Error(`checkpoint '${ck.file}': the data loaders cannot continue (${(e as Error).message}); was the dataset, batch size or train_portion changed?`);
    }
  }

  /** Runs (or continues) the loop until the planned epochs are done or the budget is spent. */
  run(): EndStatus {
    const c = this.config;
    const s = this.state;
    const p = this.progress;
    if (s.globalStep === 0) s.startMs = this.clock.ms();
    const rate = new RateMeter(20);
    while (!s.finished && s.epoch < s.plannedEpochs) {
      this.beforeEpoch();
      this.optimizer.setLr(lrAt(c, s.epoch, s.plannedEpochs) * (s.lrScale ?? 1));
      if (s.step === 0) this.resetEpochSums();
      while (s.step < this.epochSteps()) {
        // (Rank 0's decision in a data-parallel run; a run without a budget never stops here, on every rank alike.)
        if (Number.isFinite(this.budgetMs) && agreed(this.budgetSpent() ? 1 : 0) === 1) {
          this.onBudgetStop();
          this.checkpoint();
          this.logBudgetStop(`budget of ${(this.budgetMs / 60000).toFixed(1)} min reached at epoch ${s.epoch + 1}, step ${s.step}`);
          return 'stopped';
        }
        const t0 = Date.now();
        let r: R;
        try {
          r = withPrecision(() => this.trainStep());
        } catch (e) {
          throw e instanceof NonFiniteError ? this.#nonFinite(e, true) : e;
        }
        rate.add(Date.now() - t0);
        s.step++;
        s.globalStep++;
        this.accumulate(r);
        if (s.globalStep % c.log_every === 0) this.logStep(r);
        p.update({ phase: `${this.phase} ${s.epoch + 1}/${s.plannedEpochs}`, done: s.epoch * this.stepsPerEpoch + s.step, total: this.plannedSteps(), rate: rate.secondsPer(), ...this.status(r) });
        const bySteps = c.checkpoint_every_steps > 0 && s.globalStep % c.checkpoint_every_steps === 0;
        // Time-based saves are rank 0's decision too, so every rank's checkpoint is of the same step.
        const due = c.checkpoint_minutes > 0 && agreed(this.saveDue() ? 1 : 0) === 1;
        if ((due || bySteps) && s.step < this.epochSteps()) this.checkpoint();
      }
      this.endOfEpoch();
      if (c.budget_fit && Number.isFinite(this.budgetMs)) this.#fitEpochs();
      if (c.lr_fit !== 'off' && s.lrScale === undefined) this.#fitLr();
      s.epoch++;
      s.step = 0;
      if (s.epoch >= s.plannedEpochs) s.finished = true;
      this.checkpoint();
    }
    s.finished = true;
    return 'done';
  }

  /**
   * lr_fit: a run of fewer steps than its preset's schedule takes larger steps,
   * sqrt(reference / planned) times the rates (the 1/sqrt(T) step size of
   * convergence bounds for T steps), capped; decided once, after epoch 0's plan.
   */
  #fitLr(): void {
    const s = this.state;
    const c = this.config;
    const reference = c.epochs * this.loaders.train.batchesPerEpoch;
    const planned = this.plannedSteps();
    s.lrScale = Math.min(c.lr_fit_max, Math.max(1, Math.sqrt(reference / planned)));
    this.ctx.run.metric({ kind: 'lr_fit', phase: this.phase, epoch: s.epoch, reference_steps: reference, planned_steps: planned, lr_scale: s.lrScale });
    this.progress.log(`lr fit: ${planned} planned steps of the schedule's ${reference} -> learning rates x${s.lrScale.toFixed(2)} from epoch 2`);
  }

  /**
   * budget_fit: as many epochs as fit the budget (at most `epochs`), planned
   * after epoch 0 and re-planned after every epoch from the mean epoch time so
   * far (epoch 0 carries start-up costs, so a plan from it alone left a tenth
   * of the budget unused). Epoch 0's learning rate and schedules do not depend
   * on the epoch count; a later re-plan stretches the rest of the schedule.
   */
  #fitEpochs(): void {
    const s = this.state;
    // A shortened last epoch ends the run: its mean epoch time would count it as a whole one.
    if (this.#inShortenedEpoch()) return;
    const now = this.clock.ms();
    const done = s.epoch + 1;
    const epochMs = Math.max(1, (now - s.startMs) / done);
    const free = 0.97 * this.budgetMs - now - this.finalPassMs();
    const fit = Math.max(done, Math.min(this.config.epochs, done + Math.floor(free / epochMs)));
    // What is left after the whole epochs goes to a shorter last one (its steps
    // priced at a whole epoch's time per step, evaluation included: on the safe side).
    const spare = free - (fit - done) * epochMs;
    const extra = fit < this.config.epochs && spare > 0 ? Math.min(this.stepsPerEpoch - 1, Math.floor((spare * this.stepsPerEpoch) / epochMs)) : 0;
    const planned = agreed(extra > 0 ? fit + 1 : fit);
    const last = agreed(extra);
    const lastSteps = last > 0 ? last : undefined;
    if (planned === s.plannedEpochs && lastSteps === s.lastEpochSteps && s.epoch > 0) return;
    s.plannedEpochs = planned;
    s.lastEpochSteps = lastSteps;
    this.ctx.run.metric({ kind: 'plan', phase: this.phase, epoch: s.epoch, epoch_s: epochMs / 1000, planned_epochs: planned, last_epoch_steps: lastSteps ?? this.stepsPerEpoch, ...this.planFields() });
    this.progress.log(`budget fit: ${(epochMs / 1000).toFixed(1)} s per epoch -> ${planned} epoch${planned === 1 ? '' : 's'} in the budget${lastSteps ? ` (the last of ${lastSteps} steps)` : ''}`);
  }
}
