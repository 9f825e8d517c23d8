// Training a found architecture as a standalone network: from scratch
// (`tanglenas train`, the benchmarks' recipe in the retrain presets) or from
// the supernet's weights (`tanglenas finetune`). Checkpointed and resumable
// like the searches. Test accuracy in eval mode after every epoch.
import { accuracy } from '../nas/bilevel.js';
import type { Layer } from '../nn/layer.js';
import { clipGradNorm } from '../nn/optim/clip.js';
import type { Hyper, Optimizer } from '../nn/optim/optimizer.js';
import type { Architecture } from '../nas/choice.js';
import type { SearchSpace } from '../nas/space.js';
import { tidy } from '../tensor/scope.js';
import type { ToyBenchmark } from './benchmark.js';
import { CheckpointBuilder, restoreModule, restoreOptimizer, restoreRng, type LoadedCheckpoint } from './checkpoint.js';
import { metricOf } from '../nas/registry.js';
import { Clock, lrAt, makeWeightOptimizer, rssMb, type RunContext } from './common.js';
import type { RunLoaders } from './data.js';
import { evaluateNetwork, type EvalResult } from './evaluate.js';

export interface TrainState {
  epoch: number;
  step: number;
  globalStep: number;
  plannedEpochs: number;
  startMs: number;
  finished: boolean;
  lastTest: EvalResult | null;
  /** Running sums of the epoch (checkpointed, so a resumed epoch reports the same means). */
  sums: { loss: number; acc: number; n: number };
}

export class NetworkTrainer {
  readonly optimizer: Optimizer<Hyper>;
  readonly state: TrainState;
  readonly stepsPerEpoch: number;
  #lastCheckpoint = Date.now();

  constructor(
    readonly ctx: RunContext,
    readonly space: SearchSpace,
    readonly arch: Architecture,
    readonly net: Layer,
    readonly loaders: RunLoaders,
    readonly bench: ToyBenchmark | null,
    readonly clock: Clock,
    readonly budgetMs: number,
  ) {
    const c = ctx.config;
    this.optimizer = makeWeightOptimizer(net.parameters(), c);
    this.stepsPerEpoch = c.steps_per_epoch || loaders.train.batchesPerEpoch;
    this.state = { epoch: 0, step: 0, globalStep: 0, plannedEpochs: c.epochs, startMs: 0, finished: false, lastTest: null, sums: { loss: 0, acc: 0, n: 0 } };
  }

  checkpoint(): void {
    new CheckpointBuilder()
      .module('model', this.net)
      .optimizer('weights', this.optimizer)
      .rng()
      .set('phase', 'train')
      .set('arch', this.space.encode(this.arch))
      .set('loop', this.state)
      .set('loaders', { train: this.loaders.train.state() })
      .set('elapsedMs', this.clock.ms())
      .set('metricsBytes', this.ctx.run.metricsBytes())
      .save(this.ctx.run.checkpointDir);
    this.#lastCheckpoint = Date.now();
  }

  restore(ck: LoadedCheckpoint): void {
    if (ck.state.arch !== this.space.encode(this.arch)) throw new Error(`checkpoint '${ck.file}' trains ${String(ck.state.arch)}, not ${this.space.encode(this.arch)}`);
    restoreModule(ck, 'model', this.net);
    restoreOptimizer(ck, 'weights', this.optimizer);
    try {
      this.loaders.train.restore((ck.state.loaders as { train: object }).train);
    } catch (e) {
      throw new Error(`checkpoint '${ck.file}': the data loader cannot continue (${(e as Error).message})`);
    }
    Object.assign(this.state, ck.state.loop as TrainState);
    this.clock.base = Number(ck.state.elapsedMs) || 0;
    this.ctx.run.truncateMetrics(Number(ck.state.metricsBytes) || 0);
    restoreRng(ck);
  }

  run(): 'done' | 'stopped' {
    const c = this.ctx.config;
    const s = this.state;
    const p = this.ctx.progress;
    if (s.globalStep === 0) s.startMs = this.clock.ms();
    const times: number[] = [];
    while (!s.finished && s.epoch < s.plannedEpochs) {
      this.optimizer.setLr(lrAt(c, s.epoch, s.plannedEpochs));
      if (s.step === 0) s.sums = { loss: 0, acc: 0, n: 0 };
      const sums = s.sums;
      while (s.step < this.stepsPerEpoch) {
        if (this.clock.ms() >= this.budgetMs) {
          this.checkpoint();
          p.log(`budget of ${(this.budgetMs / 60000).toFixed(1)} min reached at epoch ${s.epoch + 1}, step ${s.step}; continue with --resume ${this.ctx.run.dir} --budget-minutes <more>`);
          return 'stopped';
        }
        const t0 = Date.now();
        const r = tidy(() => {
          const b = this.loaders.train.next();
          const logits = this.net.forward(b.x);
          const l = this.space.loss(logits, b.y);
          this.optimizer.zeroGrad();
          l.backward();
          if (c.grad_clip > 0) clipGradNorm(this.net.parameters(), c.grad_clip);
          this.optimizer.step();
          return { loss: l.item(), acc: accuracy(logits, b.y) };
        });
        if (!Number.isFinite(r.loss)) throw new Error(`the training loss became ${r.loss} at epoch ${s.epoch + 1}; lower lr (now ${this.optimizer.lr}) and start a new run`);
        times.push(Date.now() - t0);
        if (times.length > 20) times.shift();
        s.step++;
        s.globalStep++;
        sums.loss += r.loss;
        sums.acc += r.acc;
        sums.n++;
        if (s.globalStep % c.log_every === 0) {
          this.ctx.run.metric({ kind: 'step', phase: 'train', epoch: s.epoch, step: s.step, global_step: s.globalStep, train_loss: r.loss, train_acc: r.acc, lr: this.optimizer.lr, time_s: +this.clock.seconds().toFixed(3), rss_mb: rssMb() });
        }
        p.update({ phase: `train ${s.epoch + 1}/${s.plannedEpochs}`, done: s.epoch * this.stepsPerEpoch + s.step, total: s.plannedEpochs * this.stepsPerEpoch, rate: times.reduce((a, b) => a + b, 0) / times.length / 1000, fields: { loss: r.loss, acc: `${(100 * r.acc).toFixed(1)}%` } });
        const byTime = c.checkpoint_minutes > 0 && Date.now() - this.#lastCheckpoint >= c.checkpoint_minutes * 60_000;
        const bySteps = c.checkpoint_every_steps > 0 && s.globalStep % c.checkpoint_every_steps === 0;
        if ((byTime || bySteps) && s.step < this.stepsPerEpoch) this.checkpoint();
      }
      const test = evaluateNetwork(this.space, this.net, this.loaders.test);
      s.lastTest = test;
      const { loss, acc, n } = sums;
      this.ctx.run.metric({ kind: 'epoch', phase: 'train', epoch: s.epoch, train_loss: n ? loss / n : null, train_acc: n ? acc / n : null, test_acc: test.acc, test_loss: test.loss, lr: this.optimizer.lr, time_s: +this.clock.seconds().toFixed(3), rss_mb: rssMb() });
      p.log(`epoch ${s.epoch + 1}/${s.plannedEpochs}  train loss ${n ? (loss / n).toFixed(3) : '-'}  ${metricOf(this.space.name) === 'loss' ? `test loss ${test.loss.toFixed(3)}` : `test acc ${(100 * test.acc).toFixed(2)}%`}  (${this.clock.seconds().toFixed(0)} s)`);
      if (c.budget_fit && s.epoch === 0 && Number.isFinite(this.budgetMs)) {
        const now = this.clock.ms();
        const epochMs = Math.max(1, now - s.startMs);
        s.plannedEpochs = Math.max(1, Math.min(c.epochs, 1 + Math.floor((0.97 * this.budgetMs - now) / epochMs)));
        this.ctx.run.metric({ kind: 'plan', phase: 'train', epoch_s: epochMs / 1000, planned_epochs: s.plannedEpochs });
        p.log(`budget fit: ${(epochMs / 1000).toFixed(1)} s per epoch -> ${s.plannedEpochs} epochs in the budget`);
      }
      s.epoch++;
      s.step = 0;
      if (s.epoch >= s.plannedEpochs) s.finished = true;
      this.checkpoint();
    }
    s.finished = true;
    return 'done';
  }
}
