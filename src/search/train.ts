// Training a found architecture as a standalone network: from scratch
// (`tanglenas train`, the benchmarks' recipe in the retrain presets; the
// space's evaluation network) or from the supernet's weights (`tanglenas
// finetune`, the sub-network). The space supplies the training loss (an
// auxiliary head) and the per-epoch schedules (drop-path). Checkpointed and resumable
// like the searches (the loop is EpochLoop's, loop.ts). Test accuracy in eval
// mode after every epoch.
import { accuracy, checkWeightStep } from '../nas/bilevel.js';
import type { Architecture } from '../nas/choice.js';
import { metricOf } from '../nas/registry.js';
import type { Layer } from '../nn/layer.js';
import { clipGradNorm } from '../nn/optim/clip.js';
import { tidy } from '../tensor/scope.js';
import { gradientSync } from './distributed.js';
import { backwardSynced, type GradSync } from '../nas/grad-sync.js';
import { restoreModule, restoreOptimizer, type CheckpointBuilder, type LoadedCheckpoint } from './checkpoint.js';
import type { RunLoaders } from './data.js';
import { evaluateNetwork, type EvalResult } from './evaluate.js';
import { EpochLoop, type EpochState, type PhaseEnv } from './loop.js';
import type { ProgressState } from './progress.js';

export interface TrainState extends EpochState {
  lastTest: EvalResult | null;
  /** Running sums of the epoch (checkpointed, so a resumed epoch reports the same means). */
  sums: { loss: number; acc: number; n: number };
}

interface StepResult {
  loss: number;
  acc: number;
}

export class NetworkTrainer extends EpochLoop<TrainState, StepResult> {
  readonly state: TrainState;
  protected readonly checkpointPhase = 'train';
  readonly #sync: GradSync | null;

  constructor(
    env: PhaseEnv,
    readonly arch: Architecture,
    readonly net: Layer,
    loaders: RunLoaders,
  ) {
    super(env, loaders, net);
    this.state = { epoch: 0, step: 0, globalStep: 0, plannedEpochs: env.ctx.config.epochs, startMs: 0, finished: false, lastTest: null, sums: { loss: 0, acc: 0, n: 0 } };
    this.#sync = gradientSync(env.ctx.config.dist_bucket_mb);
  }

  get phase(): string {
    return 'train';
  }

  protected saveTensors(b: CheckpointBuilder): void {
    b.module('model', this.net).optimizer('weights', this.optimizer);
  }

  protected saveState(b: CheckpointBuilder): void {
    b.set('arch', this.space.encode(this.arch))
      .set('loop', this.state)
      .set('loaders', { train: this.loaders.train.state() });
  }

  protected restoreParts(ck: LoadedCheckpoint): void {
    if (ck.state.arch !== this.space.encode(this.arch)) throw new Error(`checkpoint '${ck.file}' trains ${String(ck.state.arch)}, not ${this.space.encode(this.arch)}`);
    restoreModule(ck, 'model', this.net);
    restoreOptimizer(ck, 'weights', this.optimizer);
    this.restoreLoaders(ck);
  }

  /** The space's per-epoch schedules of the network (DARTS's drop-path), from the epoch alone. */
  protected override beforeEpoch(): void {
    this.space.beforeTrainingEpoch(this.net, this.state.epoch, this.state.plannedEpochs);
  }

  protected resetEpochSums(): void {
    this.state.sums = { loss: 0, acc: 0, n: 0 };
  }

  protected trainStep(): StepResult {
    const c = this.config;
    const r = tidy(() => {
      const b = this.loaders.train.next();
      // The space's training loss (an auxiliary head adds its loss there).
      const { loss: l, logits } = this.space.trainingLoss(this.net, b.x, b.y);
      this.optimizer.zeroGrad();
      backwardSynced(l, this.net.parameters(), this.#sync);
      const gradNorm = c.grad_clip > 0 ? clipGradNorm(this.net.parameters(), c.grad_clip) : null;
      this.optimizer.step();
      return { loss: l.item(), acc: accuracy(logits, b.y), gradNorm };
    });
    checkWeightStep(r, this.net); // loss, gradient norm, BatchNorm statistics (NonFiniteError; EpochLoop names the step)
    return r;
  }

  protected accumulate(r: StepResult): void {
    const sums = this.state.sums;
    sums.loss += r.loss;
    sums.acc += r.acc;
    sums.n++;
  }

  protected logStep(r: StepResult): void {
    const s = this.state;
    this.record({ kind: 'step', phase: this.phase, epoch: s.epoch, step: s.step, global_step: s.globalStep, train_loss: r.loss, train_acc: r.acc, lr: this.optimizer.lr });
  }

  protected status(r: StepResult): Pick<ProgressState, 'fields' | 'genotype'> {
    return { fields: { loss: r.loss, acc: `${(100 * r.acc).toFixed(1)}%` } };
  }

  protected endOfEpoch(): void {
    const s = this.state;
    const test = evaluateNetwork(this.space, this.net, this.loaders.test);
    s.lastTest = test;
    const { loss, acc, n } = s.sums;
    this.record({ kind: 'epoch', phase: this.phase, epoch: s.epoch, train_loss: n ? loss / n : null, train_acc: n ? acc / n : null, test_acc: test.acc, test_loss: test.loss, lr: this.optimizer.lr });
    this.progress.log(`epoch ${s.epoch + 1}/${s.plannedEpochs}  train loss ${n ? (loss / n).toFixed(3) : '-'}  ${metricOf(this.space.name) === 'loss' ? `test loss ${test.loss.toFixed(3)}` : `test acc ${(100 * test.acc).toFixed(2)}%`}  (${this.clock.seconds().toFixed(0)} s)`);
  }
}
