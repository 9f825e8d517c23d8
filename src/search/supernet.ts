// Supernet training, the loop of every search:
// - single-stage (DARTS, DrNAS, GDAS; paper Algorithm 1 on the 'we' form,
//   Algorithm 4 on the 'ws' form): per step, alpha on a validation batch (the
//   architect), then the weights on a training batch;
// - stage one of the two-stage search (SPOS, Algorithm 3): weights only, a
//   uniform sub-network per forward.
// Per epoch: GDAS temperature, weight learning rate (cosine, per epoch),
// evaluation of the argmax architecture in eval mode, its benchmark accuracy
// (the any-time record). Checkpoints at every epoch end, every
// checkpoint_minutes and every checkpoint_every_steps; a resume restores
// everything the next step depends on, so the continuation is bit-identical.
import type { BatchLoader } from '../data/loader.js';
import { Architect } from '../nas/architect.js';
import { bilevelStep, weightStep } from '../nas/bilevel.js';
import type { Hyper, Optimizer } from '../nn/optim/optimizer.js';
import { SGD } from '../nn/optim/sgd.js';
import type { Sampler } from '../nas/samplers/index.js';
import type { SearchSpace } from '../nas/space.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ToyBenchmark } from './benchmark.js';
import { CheckpointBuilder, restoreModule, restoreOptimizer, restoreRng, restoreTensor, type LoadedCheckpoint } from './checkpoint.js';
import { Clock, lrAt, makeSampler, makeWeightOptimizer, rssMb, shortArch, type RunContext } from './common.js';
import { metricOf } from '../nas/registry.js';
import type { RunLoaders } from './data.js';
import { alphaSoftmax, evaluateArchitecture } from './evaluate.js';

export interface LoopState {
  epoch: number;
  /** Steps done in the current epoch. */
  step: number;
  globalStep: number;
  /** Epochs this run will do (changes once with budget_fit). */
  plannedEpochs: number;
  finished: boolean;
  stopped: boolean;
  /** Run clock (ms) when the loop began; budget_fit measures epoch 0 from here. */
  startMs: number;
  /** Running sums of the epoch and of the current log window (checkpointed, so resumed averages match). */
  epochSums: Window;
  logSums: Window;
  /** Measured cost of an evaluation pass per image (budget_fit reserves the final test pass). */
  evalMsPerImage: number;
}

interface Window {
  n: number;
  trainLoss: number;
  trainAcc: number;
  archLoss: number;
}

const emptyWindow = (): Window => ({ n: 0, trainLoss: 0, trainAcc: 0, archLoss: 0 });

export interface SupernetResult {
  status: 'done' | 'stopped';
  state: LoopState;
}

export class SupernetTrainer {
  readonly sampler: Sampler;
  readonly architect: Architect;
  readonly optimizer: Optimizer<Hyper>;
  readonly state: LoopState;
  readonly stepsPerEpoch: number;
  #validEval: BatchLoader | null = null;
  #lastCheckpoint = Date.now();

  constructor(
    readonly ctx: RunContext,
    readonly space: SearchSpace,
    readonly loaders: RunLoaders,
    readonly bench: ToyBenchmark | null,
    readonly clock: Clock,
    /** Wall-clock budget of this phase in ms (Infinity = none). */
    readonly budgetMs: number,
  ) {
    const c = ctx.config;
    this.sampler = makeSampler(c);
    this.architect = new Architect(space, this.sampler, { lr: c.arch_lr, betas: c.arch_betas, weightDecay: c.arch_weight_decay, order: c.darts_order });
    this.optimizer = makeWeightOptimizer(space.supernet.parameters(), c);
    if (this.sampler.trainsAlpha && loaders.valid === null) {
      throw new Error(`method '${c.method}' trains alpha on the validation split, but train_portion is 1 (no validation split); set train_portion below 1 (the reference uses 0.5)`);
    }
    this.stepsPerEpoch = c.steps_per_epoch || loaders.train.batchesPerEpoch;
    this.state = { epoch: 0, step: 0, globalStep: 0, plannedEpochs: c.epochs, finished: false, stopped: false, startMs: 0, epochSums: emptyWindow(), logSums: emptyWindow(), evalMsPerImage: 0 };
  }

  get phase(): string {
    return this.sampler.trainsAlpha ? 'search' : 'supernet';
  }

  checkpoint(): void {
    const b = new CheckpointBuilder().module('supernet', this.space.supernet);
    for (const ch of this.space.choices) b.tensor(`alpha.${ch.name}`, ch.alpha);
    b.optimizer('weights', this.optimizer);
    if (this.architect.optimizer) b.optimizer('arch', this.architect.optimizer);
    b.rng()
      .set('phase', 'supernet')
      .set('loop', this.state)
      .set('sampler', this.sampler.state())
      .set('loaders', { train: this.loaders.train.state(), valid: this.loaders.valid?.state() ?? null })
      .set('elapsedMs', this.clock.ms())
      .set('metricsBytes', this.ctx.run.metricsBytes());
    b.save(this.ctx.run.checkpointDir);
    this.#lastCheckpoint = Date.now();
  }

  restore(ck: LoadedCheckpoint): void {
    restoreModule(ck, 'supernet', this.space.supernet);
    for (const ch of this.space.choices) restoreTensor(ck, `alpha.${ch.name}`, ch.alpha);
    restoreOptimizer(ck, 'weights', this.optimizer);
    if (this.architect.optimizer) restoreOptimizer(ck, 'arch', this.architect.optimizer);
    this.sampler.loadState((ck.state.sampler ?? {}) as Record<string, number>);
    const loaders = ck.state.loaders as { train: object; valid: object | null };
    try {
      this.loaders.train.restore(loaders.train);
      if (loaders.valid && this.loaders.valid) this.loaders.valid.restore(loaders.valid);
    } catch (e) {
      throw new Error(`checkpoint '${ck.file}': the data loaders cannot continue (${(e as Error).message}); was the dataset, batch size or train_portion changed?`);
    }
    Object.assign(this.state, ck.state.loop as LoopState);
    this.clock.base = Number(ck.state.elapsedMs) || 0;
    this.ctx.run.truncateMetrics(Number(ck.state.metricsBytes) || 0);
    restoreRng(ck);
  }

  /** What the second-order architect needs from the weight optimizer. */
  #unroll(): { lr: number; momentum: number; weightDecay: number; momentumBuffer?: (p: Tensor) => Tensor | null } | undefined {
    if (this.architect.order !== 2) return undefined;
    const c = this.ctx.config;
    if (this.optimizer instanceof SGD) {
      const opt = this.optimizer;
      return { lr: opt.lr, momentum: c.momentum, weightDecay: c.weight_decay, momentumBuffer: (p) => opt.getState(p)?.buffers.get('momentum_buffer') ?? null };
    }
    // Adam has no momentum buffer in this sense (reference: 0 when there is none).
    return { lr: this.optimizer.lr, momentum: 0, weightDecay: c.weight_decay };
  }

  #step(): { trainLoss: number; trainAcc: number; archLoss: number } {
    const c = this.ctx.config;
    return tidy(() => {
      const train = this.loaders.train.next();
      if (!this.sampler.trainsAlpha) {
        const r = weightStep(this.space, this.sampler, this.optimizer, train, c.grad_clip);
        return { trainLoss: r.loss, trainAcc: r.acc, archLoss: NaN };
      }
      const val = this.loaders.valid!.next();
      const unroll = this.#unroll();
      return bilevelStep(this.space, this.sampler, this.architect, this.optimizer, train, val, { clip: c.grad_clip, unroll });
    });
  }

  #record(kind: string, extra: Record<string, unknown>): Record<string, unknown> {
    const rec = {
      kind,
      phase: this.phase,
      epoch: this.state.epoch,
      step: this.state.step,
      global_step: this.state.globalStep,
      lr: this.optimizer.lr,
      arch_lr: this.architect.optimizer?.lr ?? null,
      ...extra,
      alpha: this.sampler.trainsAlpha ? alphaSoftmax(this.space) : undefined,
      time_s: +this.clock.seconds().toFixed(3),
      rss_mb: rssMb(),
    };
    this.ctx.run.metric(rec);
    return rec;
  }

  #endOfEpoch(w: Window): void {
    const c = this.ctx.config;
    const p = this.ctx.progress;
    const extra: Record<string, unknown> = { train_loss: w.trainLoss / w.n, train_acc: w.trainAcc / w.n, arch_loss: this.sampler.trainsAlpha ? w.archLoss / w.n : null };
    Object.assign(extra, this.sampler.state()); // schedule state, e.g. GDAS's tau
    let line = `epoch ${this.state.epoch + 1}/${this.state.plannedEpochs}  train loss ${(w.trainLoss / w.n).toFixed(3)} acc ${((100 * w.trainAcc) / w.n).toFixed(1)}%`;
    if (this.sampler.trainsAlpha) {
      // The any-time record: the current argmax architecture, its accuracy with
      // the supernet's weights (eval mode) and its benchmark accuracy.
      const arch = this.space.genotype();
      extra.genotype = JSON.parse(this.space.encode(arch));
      extra.benchmark_key = this.space.benchmarkKey(arch);
      this.#validEval ??= this.loaders.validEval(c.eval_samples);
      if (this.#validEval) {
        const t0 = Date.now();
        const r = evaluateArchitecture(this.space, arch, this.#validEval, this.loaders.calibration());
        this.state.evalMsPerImage = (Date.now() - t0) / Math.max(1, r.n);
        extra.valid_acc = r.acc;
        extra.valid_loss = r.loss;
        line += metricOf(this.space.name) === 'loss' ? `  valid loss ${r.loss.toFixed(3)}` : `  valid acc ${(100 * r.acc).toFixed(1)}%`;
      }
      const hit = this.bench?.lookup(this.space.benchmarkKey(arch)) ?? null;
      extra.benchmark_test_acc = hit?.testAcc ?? null;
      line += `  ${shortArch(this.space, arch)}${hit ? `  bench ${hit.testAcc.toFixed(2)}%` : ''}`;
    }
    this.#record('epoch', extra);
    p.log(`${line}  (${this.clock.seconds().toFixed(0)} s)`);
  }

  /** Runs (or continues) the loop until the planned epochs are done or the budget is spent. */
  run(): SupernetResult {
    const c = this.ctx.config;
    const s = this.state;
    const p = this.ctx.progress;
    if (s.globalStep === 0) s.startMs = this.clock.ms();
    const stepTimes: number[] = [];
    s.stopped = false;
    while (!s.finished && s.epoch < s.plannedEpochs) {
      // Both depend only on the epoch, so re-applying them after a resume is exact.
      this.sampler.beforeEpoch(s.epoch, s.plannedEpochs);
      this.optimizer.setLr(lrAt(c, s.epoch, s.plannedEpochs));
      if (s.step === 0) s.epochSums = emptyWindow();
      while (s.step < this.stepsPerEpoch) {
        if (this.clock.ms() >= this.budgetMs) {
          s.stopped = true;
          this.checkpoint();
          p.log(`budget of ${(this.budgetMs / 60000).toFixed(1)} min reached at epoch ${s.epoch + 1}, step ${s.step}; continue with --resume ${this.ctx.run.dir} --budget-minutes <more>`);
          return { status: 'stopped', state: s };
        }
        const t0 = Date.now();
        const r = this.#step();
        stepTimes.push(Date.now() - t0);
        if (stepTimes.length > 20) stepTimes.shift();
        s.step++;
        s.globalStep++;
        for (const win of [s.epochSums, s.logSums]) {
          win.n++;
          win.trainLoss += r.trainLoss;
          win.trainAcc += r.trainAcc;
          win.archLoss += r.archLoss;
        }
        if (!Number.isFinite(r.trainLoss)) {
          // No checkpoint: the last one holds finite weights.
          throw new Error(`the training loss became ${r.trainLoss} at epoch ${s.epoch + 1}, step ${s.step}; lower lr (now ${this.optimizer.lr}) or arch_lr and start a new run`);
        }
        const logW = s.logSums;
        if (s.globalStep % c.log_every === 0) {
          this.#record('step', { train_loss: logW.trainLoss / logW.n, train_acc: logW.trainAcc / logW.n, arch_loss: this.sampler.trainsAlpha ? logW.archLoss / logW.n : null });
          if (!p.tty) p.log(`  epoch ${s.epoch + 1} step ${s.step}/${this.stepsPerEpoch}  train loss ${(logW.trainLoss / logW.n).toFixed(3)} acc ${((100 * logW.trainAcc) / logW.n).toFixed(1)}%${this.sampler.trainsAlpha ? `  arch loss ${(logW.archLoss / logW.n).toFixed(3)}` : ''}`);
          s.logSums = emptyWindow();
        }
        const perStep = stepTimes.reduce((a, b) => a + b, 0) / stepTimes.length / 1000;
        p.update({
          phase: `${this.phase} ${s.epoch + 1}/${s.plannedEpochs}`,
          done: s.epoch * this.stepsPerEpoch + s.step,
          total: s.plannedEpochs * this.stepsPerEpoch,
          rate: perStep,
          fields: { loss: r.trainLoss, acc: `${(100 * r.trainAcc).toFixed(1)}%`, 'arch loss': this.sampler.trainsAlpha ? r.archLoss : null },
          genotype: this.sampler.trainsAlpha ? shortArch(this.space, this.space.genotype()) : undefined,
        });
        const byTime = c.checkpoint_minutes > 0 && Date.now() - this.#lastCheckpoint >= c.checkpoint_minutes * 60_000;
        const bySteps = c.checkpoint_every_steps > 0 && s.globalStep % c.checkpoint_every_steps === 0;
        if ((byTime || bySteps) && s.step < this.stepsPerEpoch) this.checkpoint();
      }
      this.#endOfEpoch(s.epochSums);
      if (c.budget_fit && s.epoch === 0 && Number.isFinite(this.budgetMs)) {
        // Epoch 0's learning rate and temperature do not depend on the epoch
        // count, so fixing it now changes nothing already done.
        const now = this.clock.ms();
        const epochMs = Math.max(1, now - s.startMs);
        // Leave time for the final test pass of the search's result.
        const reserve = this.state.evalMsPerImage * this.loaders.test.samples;
        const fit = Math.max(1, Math.min(c.epochs, 1 + Math.floor((0.97 * this.budgetMs - now - reserve) / epochMs)));
        s.plannedEpochs = fit;
        this.ctx.run.metric({ kind: 'plan', phase: this.phase, epoch_s: epochMs / 1000, planned_epochs: fit, budget_minutes: this.budgetMs / 60000 });
        p.log(`budget fit: ${(epochMs / 1000).toFixed(1)} s per epoch -> ${fit} epoch${fit === 1 ? '' : 's'} in the budget`);
      }
      s.epoch++;
      s.step = 0;
      if (s.epoch >= s.plannedEpochs) s.finished = true;
      this.checkpoint();
    }
    s.finished = true;
    return { status: 'done', state: s };
  }
}
