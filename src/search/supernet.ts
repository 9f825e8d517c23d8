// Supernet training, the loop of every search:
// - single-stage (DARTS, DrNAS, GDAS; paper Algorithm 1 on the 'we' form,
//   Algorithm 4 on the 'ws' form): per step, alpha on a validation batch (the
//   architect), then the weights on a training batch;
// - stage one of the two-stage search (SPOS, Algorithm 3): weights only, a
//   uniform sub-network per forward.
// Per epoch: GDAS temperature, weight learning rate (cosine, per epoch),
// evaluation of the argmax architecture in eval mode, its benchmark accuracy
// (the any-time record). The loop itself, its checkpoints (every epoch end,
// every checkpoint_minutes and every checkpoint_every_steps) and resume are
// EpochLoop's (loop.ts); a resume restores everything the next step depends
// on, so the continuation is bit-identical.
import type { BatchLoader } from '../data/loader.js';
import { Architect } from '../nas/architect.js';
import { ConstraintPenalty, type PenaltyState } from '../nas/constraint.js';
import { costDirection, preferenceAt } from '../nas/pareto.js';
import { gradientSync, seedRankDraws } from './distributed.js';
import type { GradSync } from '../nas/grad-sync.js';
import { bilevelStep, simultaneousStep, weightStep } from '../nas/bilevel.js';
import { metricOf } from '../nas/registry.js';
import { loadPrunedState, pruneChoices, prunedState } from '../nas/prune.js';
import type { Sampler } from '../nas/samplers/index.js';
import { SGD } from '../nn/optim/sgd.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { restoreModule, restoreOptimizer, restoreTensor, type CheckpointBuilder, type LoadedCheckpoint } from './checkpoint.js';
import { makeSampler, shortArch } from './common.js';
import { constraintsOf } from './constraints.js';
import type { RunLoaders } from './data.js';
import { alphaSoftmax, evaluateArchitecture } from './evaluate.js';
import { EpochLoop, type EpochState, type PhaseEnv } from './loop.js';
import type { ProgressState } from './progress.js';
import type { EndStatus } from './rundir.js';

/** The supernet loop's state (the checkpoint's `loop`). */
export interface LoopState extends EpochState {
  /** Whether the budget stopped the last run(). */
  stopped: boolean;
  /** Running sums of the epoch and of the current log window (checkpointed, so resumed averages match). */
  epochSums: Window;
  logSums: Window;
  /** Measured cost of an evaluation pass per image, and of one BatchNorm calibration (budget_fit reserves the final test pass). */
  evalMsPerImage: number;
  calibrationMs?: number;
  /** arch_warmup is over (set at the first alpha update, so a budget_fit re-plan never returns to it). */
  archStarted?: boolean;
}

interface Window {
  n: number;
  trainLoss: number;
  trainAcc: number;
  archLoss: number;
  /** Steps that updated alpha (arch_warmup's steps do not; absent in older checkpoints: n). */
  archN?: number;
}

const emptyWindow = (): Window => ({ n: 0, trainLoss: 0, trainAcc: 0, archLoss: 0, archN: 0 });

/** Mean arch loss of a window, null when no step updated alpha. */
const meanArchLoss = (w: Window): number | null => {
  const n = w.archN ?? w.n;
  return n > 0 ? w.archLoss / n : null;
};

interface StepResult {
  trainLoss: number;
  trainAcc: number;
  /** NaN when alpha is not trained (SPOS). */
  archLoss: number;
}

export class SupernetTrainer extends EpochLoop<LoopState, StepResult> {
  readonly sampler: Sampler;
  readonly architect: Architect;
  readonly state: LoopState;
  /** Data-parallel: averages gradients over the ranks (null in one process). */
  readonly #sync: GradSync | null;
  protected readonly checkpointPhase = 'supernet';
  #validEval: BatchLoader | null = null;

  constructor(env: PhaseEnv, loaders: RunLoaders) {
    super(env, loaders, env.space.supernet);
    const c = env.ctx.config;
    this.sampler = makeSampler(c);
    const constraints = constraintsOf(c);
    const penalty = constraints.length && this.sampler.trainsAlpha ? new ConstraintPenalty(constraints, c.constraint_lr) : null;
    const preference = c.pareto ? { metric: c.pareto_metric, strength: c.pareto_strength, direction: costDirection(env.space, c.pareto_metric) } : null;
    this.#sync = gradientSync(c.dist_bucket_mb);
    this.architect = new Architect(env.space, this.sampler, { lr: c.arch_lr, betas: c.arch_betas, weightDecay: c.arch_weight_decay, order: c.darts_order, penalty, preference, sync: this.#sync });
    if (this.sampler.trainsAlpha && loaders.valid === null) {
      throw new Error(`method '${c.method}' trains alpha on the validation split, but train_portion is 1 (no validation split); set train_portion below 1 (the reference uses 0.5)`);
    }
    this.state = { epoch: 0, step: 0, globalStep: 0, plannedEpochs: c.epochs, finished: false, stopped: false, startMs: 0, epochSums: emptyWindow(), logSums: emptyWindow(), evalMsPerImage: 0, calibrationMs: 0 };
  }

  get phase(): string {
    return this.sampler.trainsAlpha ? 'search' : 'supernet';
  }

  protected saveTensors(b: CheckpointBuilder): void {
    b.module('supernet', this.space.supernet);
    for (const ch of this.space.choices) b.tensor(`alpha.${ch.name}`, ch.alpha);
    b.optimizer('weights', this.optimizer);
    if (this.architect.optimizer) b.optimizer('arch', this.architect.optimizer);
    this.architect.base.forEach((t, i) => b.tensor(`pareto.base.${this.space.choices[i].name}`, t));
  }

  protected saveState(b: CheckpointBuilder): void {
    b.set('loop', this.state)
      .set('sampler', this.sampler.state())
      .set('constraint', this.architect.penalty?.state() ?? null)
      .set('pruned', prunedState(this.space.choices))
      .set('loaders', { train: this.loaders.train.state(), valid: this.loaders.valid?.state() ?? null });
  }

  protected restoreParts(ck: LoadedCheckpoint): void {
    restoreModule(ck, 'supernet', this.space.supernet);
    for (const ch of this.space.choices) restoreTensor(ck, `alpha.${ch.name}`, ch.alpha);
    restoreOptimizer(ck, 'weights', this.optimizer);
    if (this.architect.optimizer) restoreOptimizer(ck, 'arch', this.architect.optimizer);
    this.architect.base.forEach((t, i) => restoreTensor(ck, `pareto.base.${this.space.choices[i].name}`, t));
    this.sampler.loadState((ck.state.sampler ?? {}) as Record<string, number>);
    this.architect.penalty?.loadState(ck.state.constraint as PenaltyState | undefined);
    loadPrunedState(this.space.choices, ck.state.pruned);
    this.restoreLoaders(ck);
  }

  override run(): EndStatus {
    this.state.stopped = false;
    return super.run();
  }

  protected override onBudgetStop(): void {
    this.state.stopped = true;
  }

  protected override beforeEpoch(): void {
    this.sampler.beforeEpoch(this.state.epoch, this.state.plannedEpochs);
    this.architect.optimizer?.setLr(this.config.arch_lr * (this.state.lrScale ?? 1));
  }

  protected resetEpochSums(): void {
    this.state.epochSums = emptyWindow();
  }

  /** What the second-order architect needs from the weight optimizer. */
  #unroll(): { lr: number; momentum: number; weightDecay: number; momentumBuffer?: (p: Tensor) => Tensor | null } | undefined {
    if (this.architect.order !== 2) return undefined;
    const c = this.config;
    if (this.optimizer instanceof SGD) {
      const opt = this.optimizer;
      return { lr: opt.lr, momentum: c.momentum, weightDecay: c.weight_decay, momentumBuffer: (p) => opt.getState(p)?.buffers.get('momentum_buffer') ?? null };
    }
    // Adam has no momentum buffer in this sense (reference: 0 when there is none).
    return { lr: this.optimizer.lr, momentum: 0, weightDecay: c.weight_decay };
  }

  protected trainStep(): StepResult {
    const c = this.config;
    // Both steps check their losses, gradient norm, alpha and BatchNorm statistics (NonFiniteError; EpochLoop names the step).
    // Before the batch: its augmentation draws are this rank's too.
    seedRankDraws(c.dist_draws, c.seed, this.state.globalStep);
    return tidy((): StepResult => {
      const train = this.loaders.train.next();
      if (this.architect.preference) this.architect.setPreference(preferenceAt(this.state.globalStep));
      // arch_warmup: the first share of the planned steps trains the weights only.
      const warm = c.arch_warmup > 0 && !this.state.archStarted && this.state.globalStep < Math.round(c.arch_warmup * this.plannedSteps());
      if (!warm && this.sampler.trainsAlpha) this.state.archStarted = true;
      if (!this.sampler.trainsAlpha || warm) {
        const w = weightStep(this.space, this.sampler, this.optimizer, train, c.grad_clip, this.#sync);
        return { trainLoss: w.loss, trainAcc: w.acc, archLoss: NaN };
      }
      if (c.arch_update === 'simultaneous') return simultaneousStep(this.space, this.sampler, this.architect, this.optimizer, train, { clip: c.grad_clip, sync: this.#sync });
      const val = this.loaders.valid!.next();
      const unroll = this.#unroll();
      return bilevelStep(this.space, this.sampler, this.architect, this.optimizer, train, val, { clip: c.grad_clip, unroll, sync: this.#sync });
    });
  }

  protected accumulate(r: StepResult): void {
    for (const win of [this.state.epochSums, this.state.logSums]) {
      win.n++;
      win.trainLoss += r.trainLoss;
      win.trainAcc += r.trainAcc;
      if (Number.isFinite(r.archLoss)) {
        win.archLoss += r.archLoss;
        win.archN = (win.archN ?? win.n - 1) + 1;
      }
    }
  }

  protected logStep(): void {
    const s = this.state;
    const w = s.logSums;
    const arch = this.sampler.trainsAlpha ? meanArchLoss(w) : null;
    this.#record('step', { train_loss: w.trainLoss / w.n, train_acc: w.trainAcc / w.n, arch_loss: arch });
    if (!this.progress.tty) this.progress.log(`  epoch ${s.epoch + 1} step ${s.step}/${this.epochSteps()}  train loss ${(w.trainLoss / w.n).toFixed(3)} acc ${((100 * w.trainAcc) / w.n).toFixed(1)}%${arch !== null ? `  arch loss ${arch.toFixed(3)}` : ''}`);
    s.logSums = emptyWindow();
  }

  protected status(r: StepResult): Pick<ProgressState, 'fields' | 'genotype'> {
    const alpha = this.sampler.trainsAlpha;
    return {
      fields: { loss: r.trainLoss, acc: `${(100 * r.trainAcc).toFixed(1)}%`, 'arch loss': alpha ? r.archLoss : null },
      genotype: alpha ? shortArch(this.space, this.space.discretize()) : undefined,
    };
  }

  #record(kind: string, extra: Record<string, unknown>): void {
    this.record({
      kind,
      phase: this.phase,
      epoch: this.state.epoch,
      step: this.state.step,
      global_step: this.state.globalStep,
      lr: this.optimizer.lr,
      arch_lr: this.architect.optimizer?.lr ?? null,
      ...extra,
      alpha: this.sampler.trainsAlpha ? alphaSoftmax(this.space) : undefined,
    });
  }

  protected endOfEpoch(): void {
    const c = this.config;
    const w = this.state.epochSums;
    const extra: Record<string, unknown> = { train_loss: w.trainLoss / w.n, train_acc: w.trainAcc / w.n, arch_loss: this.sampler.trainsAlpha ? meanArchLoss(w) : null };
    Object.assign(extra, this.sampler.state()); // schedule state, e.g. GDAS's tau
    if (this.architect.penalty) extra.constraint_multipliers = this.architect.penalty.state().multipliers;
    let line = `epoch ${this.state.epoch + 1}/${this.state.plannedEpochs}  train loss ${(w.trainLoss / w.n).toFixed(3)} acc ${((100 * w.trainAcc) / w.n).toFixed(1)}%`;
    if (c.prune_below > 0 && this.state.archStarted) {
      const gone = pruneChoices(this.space.choices, c.prune_below);
      extra.pruned = gone.map((x) => `${x.choice}=${x.value}`);
      extra.live_options = this.space.choices.reduce((n, ch) => n + ch.liveCount, 0);
      if (gone.length) line += `  pruned ${gone.length} (${extra.live_options} options left)`;
    }
    if (this.sampler.trainsAlpha) {
      // The any-time record: the current argmax architecture, its accuracy with
      // the supernet's weights (eval mode) and its benchmark accuracy (Pareto: at t = 0, no cost term).
      if (this.architect.preference) this.architect.setPreference(0);
      const arch = this.space.discretize();
      extra.genotype = JSON.parse(this.space.encode(arch));
      extra.benchmark_key = this.space.benchmarkKey(arch);
      this.#validEval ??= this.loaders.validEval(c.eval_samples);
      if (this.#validEval) {
        const t0 = Date.now();
        const timing = { calibrationMs: 0 };
        const r = evaluateArchitecture(this.space, arch, this.#validEval, this.loaders.calibration(), timing);
        this.state.calibrationMs = timing.calibrationMs;
        this.state.evalMsPerImage = (Date.now() - t0 - timing.calibrationMs) / Math.max(1, r.n);
        extra.valid_acc = r.acc;
        extra.valid_loss = r.loss;
        line += metricOf(this.space.name) === 'loss' ? `  valid loss ${r.loss.toFixed(3)}` : `  valid acc ${(100 * r.acc).toFixed(1)}%`;
      }
      const hit = this.bench?.lookup(this.space.benchmarkKey(arch)) ?? null;
      extra.benchmark_test_acc = hit?.testAcc ?? null;
      extra.benchmark_columns = hit?.columns ?? null; // every column of the table (nb201: CIFAR-10, CIFAR-100, ImageNet16-120)
      line += `  ${shortArch(this.space, arch)}${hit ? `  bench ${hit.testAcc.toFixed(2)}%` : ''}`;
    }
    this.#record('epoch', extra);
    this.progress.log(`${line}  (${this.clock.seconds().toFixed(0)} s)`);
  }

  /** Leave time for the final test pass of the search's result: one calibration, then the test images. */
  protected override finalPassMs(): number {
    return (this.state.calibrationMs ?? 0) + this.state.evalMsPerImage * this.loaders.test.samples;
  }

  protected override planFields(): Record<string, unknown> {
    return { budget_minutes: this.budgetMs / 60000, final_pass_s: +(this.finalPassMs() / 1000).toFixed(3) };
  }
}
