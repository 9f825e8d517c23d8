// Stage two of the two-stage search (paper Algorithm 3; reference-facts 5):
// random search (RS) or evolutionary search (ES) over architectures, each
// scored by the trained supernet's validation accuracy for that sub-network
// (eval mode; the validation split is the part of the training set the
// supernet did not train on).
// ES per generation: evaluate the new candidates; merge them into a top-k list
// kept across generations (`select`); make `mutation` mutants of top-k members
// (each gene resampled with probability m_prob; the space's structural genes,
// depth and embedding width, with s_prob; the layers a deeper mutant gains
// drawn at random) and `crossover` children (each gene from one of two top-k
// parents of equal depth, 50/50); fill up to `population` with
// random architectures. Candidates are unique among all visited ones (keyed by
// the space's canonical form: one key per distinct network); each
// mutation / crossover phase makes at most 10x its target attempts.
// With cost constraints, only architectures within every bound are candidates:
// mutants and children over a bound count as failed attempts, and a random
// architecture is redrawn (100 draws at most, then the last one is repaired).
// RS: `population` uniform architectures per generation up to rs_iters draws;
// repeats are drawn and counted but not re-evaluated.
// NSGA-II (two objectives: fitness up, pareto_metric cost down): as ES, except
// that the kept list is the first `select` of parents and offspring by
// non-dominated rank, then crowding distance, and parents are picked by binary
// tournament on that order; the visited candidates' front goes to pareto.json.
// Every evaluation is deterministic (eval mode, fixed data order), and the
// state (visited fitness table, top-k, pending population, PRNG) is written
// atomically after every generation and every checkpoint_minutes, so a resume
// re-evaluates nothing and continues the same sequence. Budget, save timer
// and records come from PhaseLoop (loop.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BatchLoader } from '../data/loader.js';
import { Rng, type RngState } from '../data/rng.js';
import type { Architecture } from '../nas/choice.js';
import { metricOf } from '../nas/registry.js';
import { architectureCostOf, checkConstraints, repairArchitecture, type Constraint } from '../nas/constraint.js';
import { dominates } from '../nas/pareto.js';
import { archValues, shortArch } from './common.js';
import { constraintsOf } from './constraints.js';
import { evaluateArchitecture, type Calibration } from './evaluate.js';
import { PhaseLoop, RateMeter, type PhaseEnv } from './loop.js';
import { readJson, writeJsonAtomic, type EndStatus } from './rundir.js';

export interface Candidate {
  key: string;
  fitness: number;
  benchmark: number | null;
  /** Order of evaluation (ties in fitness go to the earlier one). */
  order: number;
  /** NSGA-II: the architecture's pareto_metric (params or FLOPs). */
  cost?: number;
}

export interface BlackBoxState {
  format: 'tanglenas.black-box/1';
  method: 'es' | 'rs' | 'nsga2';
  generation: number;
  /** RS: architectures drawn so far (repeats included). */
  draws: number;
  visited: Record<string, Candidate>;
  topk: string[];
  /** Candidates of the current generation, as encoded architectures; null before generation 0 is drawn. */
  population: string[] | null;
  rng: RngState;
  elapsedMs: number;
  metricsBytes: number;
  finished: boolean;
}

export interface BlackBoxResult {
  status: EndStatus;
  best: Candidate;
  arch: Architecture;
  state: BlackBoxState;
}

const STREAM = 0x2b;

export class BlackBoxSearch extends PhaseLoop {
  readonly state: BlackBoxState;
  readonly rng: Rng;
  readonly statePath: string;
  readonly constraints: Constraint[];

  constructor(
    env: PhaseEnv,
    readonly fitnessLoader: BatchLoader,
    readonly calibration: Calibration | null,
  ) {
    super(env);
    const c = env.ctx.config;
    this.statePath = join(env.ctx.run.checkpointDir, 'black-box.json');
    this.rng = new Rng(c.seed, STREAM);
    this.constraints = constraintsOf(c);
    this.state = { format: 'tanglenas.black-box/1', method: c.black_box, generation: 0, draws: 0, visited: {}, topk: [], population: null, rng: this.rng.getState(), elapsedMs: 0, metricsBytes: 0, finished: false };
  }

  /** Continues from checkpoints/black-box.json when it exists. */
  tryRestore(): boolean {
    if (!existsSync(this.statePath)) return false;
    const s = readJson<BlackBoxState>(this.statePath, 'black-box state');
    if (s?.format !== 'tanglenas.black-box/1' || typeof s.visited !== 'object' || !Array.isArray(s.topk)) {
      throw new Error(`black-box state '${this.statePath}' is damaged or from another version; delete it to restart the black-box stage (the supernet stays)`);
    }
    if (s.method !== this.config.black_box) throw new Error(`black-box state '${this.statePath}' is from a ${s.method} search, but black_box is '${this.config.black_box}'`);
    Object.assign(this.state, s);
    this.rng.setState(s.rng);
    this.clock.base = Math.max(this.clock.base, s.elapsedMs);
    this.ctx.run.truncateMetrics(s.metricsBytes);
    return true;
  }

  save(): void {
    this.checkLock();
    this.state.rng = this.rng.getState();
    this.state.elapsedMs = this.clock.ms();
    this.state.metricsBytes = this.ctx.run.metricsBytes();
    writeJsonAtomic(this.statePath, this.state);
    this.markSaved();
  }

  #random(): Architecture {
    let a = this.space.randomArchitecture(() => this.rng.float());
    if (!this.constraints.length) return a;
    for (let i = 0; i < 100 && !this.#feasible(a); i++) a = this.space.randomArchitecture(() => this.rng.float());
    return this.#feasible(a) ? a : (repairArchitecture(this.space, a, this.constraints) ?? a);
  }

  #feasible(a: Architecture): boolean {
    return !this.constraints.length || checkConstraints(architectureCostOf(this.space, a), this.constraints).every((k) => k.met);
  }

  #evaluate(key: string): Candidate {
    const hit = this.state.visited[key];
    if (hit) return hit;
    const arch = this.space.decode(key);
    const r = evaluateArchitecture(this.space, arch, this.fitnessLoader, this.calibration);
    const cand: Candidate = { key, fitness: this.#lm ? -r.loss : r.acc, benchmark: this.bench?.lookup(this.space.benchmarkKey(arch))?.testAcc ?? null, order: Object.keys(this.state.visited).length };
    if (this.state.method === 'nsga2') cand.cost = architectureCostOf(this.space, arch)[this.config.pareto_metric];
    this.state.visited[key] = cand;
    if (this.saveDue()) this.save();
    return cand;
  }

  /** Loss-scored spaces (language models): fitness is minus the validation loss (nats per token). */
  get #lm(): boolean {
    return metricOf(this.space.name) === 'loss';
  }

  #showFitness(f: number): string {
    return this.#lm ? (-f).toFixed(3) : `${(100 * f).toFixed(2)}%`;
  }

  static better(a: Candidate, b: Candidate): number {
    return b.fitness - a.fitness || a.order - b.order;
  }

  best(): Candidate | null {
    const all = Object.values(this.state.visited).sort(BlackBoxSearch.better);
    return all[0] ?? null;
  }

  /** The next ES population from the top-k list (reference-facts 5, steps 2-3). */
  #nextEsPopulation(): string[] {
    const c = this.config;
    const seen = new Set([...Object.keys(this.state.visited)]);
    const out: string[] = [];
    const add = (a: Architecture): boolean => {
      const k = this.space.encode(this.space.canonical(a));
      if (seen.has(k) || !this.#feasible(a)) return false;
      seen.add(k);
      out.push(k);
      return true;
    };
    const parents = this.state.topk.map((k) => this.space.decode(k));
    // ES: a uniform pick from the top-k; NSGA-II: binary tournament on its rank-and-crowding order (best first).
    const pick = (): Architecture => parents[this.state.method === 'nsga2' ? Math.min(this.rng.int(parents.length), this.rng.int(parents.length)) : this.rng.int(parents.length)];
    const { structural, depth } = this.space.evolution();
    if (parents.length > 0) {
      for (let made = 0, tries = 0; made < c.mutation && tries < 10 * c.mutation; tries++) {
        const p = pick();
        const child: Architecture = {};
        for (const ch of this.space.choices) child[ch.name] = this.rng.float() < (structural.includes(ch) ? c.s_prob : c.m_prob) ? this.rng.int(ch.size) : p[ch.name];
        // Layers a deeper mutant gains get random choices (AutoFormer), not the parent's canonical first values.
        const had = new Set(this.space.activeChoices(p).map((ch) => ch.name));
        for (const ch of this.space.activeChoices(child)) if (!had.has(ch.name)) child[ch.name] = this.rng.int(ch.size);
        if (add(child)) made++;
      }
      for (let made = 0, tries = 0; made < c.crossover && tries < 10 * c.crossover; tries++) {
        const a = pick();
        let b = pick();
        // AutoFormer crosses parents of equal depth only (50 draws of a pair at most).
        for (let i = 0; depth && b[depth.name] !== a[depth.name] && i < 50; i++) b = pick();
        if (depth && b[depth.name] !== a[depth.name]) continue;
        const child: Architecture = {};
        for (const ch of this.space.choices) child[ch.name] = this.rng.float() < 0.5 ? a[ch.name] : b[ch.name];
        if (add(child)) made++;
      }
    }
    // Random fill; stop early when the space is nearly exhausted.
    for (let tries = 0; out.length < c.population && tries < 10 * c.population + 100; tries++) add(this.#random());
    return out;
  }

  #nextRsPopulation(): string[] {
    const c = this.config;
    const n = Math.min(c.population, c.rs_iters - this.state.draws);
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.space.encode(this.space.canonical(this.#random())));
    this.state.draws += n;
    return out;
  }

  #done(): boolean {
    const c = this.config;
    if (this.state.method === 'rs') return this.state.draws >= c.rs_iters || Object.keys(this.state.visited).length >= this.space.size();
    return this.state.generation >= c.generations || Object.keys(this.state.visited).length >= this.space.size();
  }

  /** Time and count of the scorings in this process (budget: do not start one that would not fit). */
  #scoreMs = 0;
  #scored = 0;

  run(): BlackBoxResult {
    const c = this.config;
    const s = this.state;
    const p = this.progress;
    const totalGen = s.method === 'rs' ? Math.ceil(c.rs_iters / c.population) : c.generations;
    const rate = new RateMeter();
    let status: EndStatus = 'done';
    if (s.population === null) {
      s.population = s.method === 'rs' ? this.#nextRsPopulation() : this.#nextEsPopulation();
      this.save();
    }
    while (!s.finished) {
      const t0 = Date.now();
      let stopped = false;
      for (const key of s.population!) {
        // At least one architecture is scored, so a spent budget still ends with a result;
        // after that, one that would end past the budget (at the mean time per scoring so far) is not started.
        if (this.budgetSpent(this.#scored > 0 ? this.#scoreMs / this.#scored : 0) && Object.keys(s.visited).length > 0) {
          stopped = true;
          break;
        }
        const before = this.clock.ms();
        const fresh = !s.visited[key];
        this.#evaluate(key);
        if (fresh) {
          this.#scoreMs += this.clock.ms() - before;
          this.#scored++;
        }
        const b = this.best();
        p.update({ phase: `${s.method} gen ${s.generation + 1}`, done: s.generation, total: totalGen, rate: rate.secondsPer(), fields: { evaluated: Object.keys(s.visited).length, best: b ? this.#showFitness(b.fitness) : null }, genotype: b ? shortArch(this.space, this.space.decode(b.key)) : undefined });
      }
      if (stopped) {
        status = 'stopped';
        this.save();
        this.logBudgetStop(`budget reached in generation ${s.generation + 1}`);
        break;
      }
      const gen = s.population!.map((k) => s.visited[k]);
      const pool = [...new Set([...s.topk, ...s.population!])].map((k) => s.visited[k]);
      const merged = s.method === 'nsga2' ? nsgaOrder(pool) : pool.sort(BlackBoxSearch.better);
      s.topk = merged.slice(0, c.select).map((x) => x.key);
      const best = this.best()!;
      rate.add(Date.now() - t0);
      this.record({
        kind: 'generation',
        phase: 'black-box',
        method: s.method,
        generation: s.generation,
        evaluated: Object.keys(s.visited).length,
        draws: s.method === 'rs' ? s.draws : undefined,
        population_best_fitness: gen.length ? Math.max(...gen.map((x) => x.fitness)) : null,
        population_mean_fitness: gen.length ? gen.reduce((a, x) => a + x.fitness, 0) / gen.length : null,
        // The any-time record: the incumbent's supernet accuracy and benchmark accuracy.
        best_fitness: best.fitness,
        best: archValues(this.space, this.space.decode(best.key)),
        best_benchmark_key: this.space.benchmarkKey(this.space.decode(best.key)),
        best_benchmark_test_acc: best.benchmark,
      });
      p.log(`${s.method} generation ${s.generation + 1}: ${Object.keys(s.visited).length} evaluated, best supernet ${this.#lm ? 'valid loss' : 'acc'} ${this.#showFitness(best.fitness)}  ${shortArch(this.space, this.space.decode(best.key))}${best.benchmark !== null ? `  bench ${best.benchmark.toFixed(2)}%` : ''}  (${this.clock.seconds().toFixed(0)} s)`);
      s.generation++;
      if (this.#done()) {
        s.finished = true;
        s.population = [];
      } else {
        s.population = s.method === 'rs' ? this.#nextRsPopulation() : this.#nextEsPopulation();
        if (s.population.length === 0) s.finished = true; // nothing new left to try
      }
      this.save();
    }
    const best = this.best();
    if (!best) throw new Error('the black-box search stopped before evaluating any architecture; give it a larger budget_minutes');
    return { status, best, arch: this.space.decode(best.key), state: s };
  }
}

/**
 * NSGA-II's order of candidates: by non-dominated rank (fitness up, cost
 * down), then by crowding distance within a rank (boundary points first), then
 * by evaluation order.
 */
export function nsgaOrder(pool: Candidate[]): Candidate[] {
  const pts = pool.map((c) => ({ c, cost: c.cost ?? 0, acc: c.fitness }));
  const rank = new Map<Candidate, number>();
  let rest = pts;
  for (let r = 0; rest.length; r++) {
    const front = rest.filter((p) => !rest.some((q) => dominates(q, p)));
    for (const p of front) rank.set(p.c, r);
    rest = rest.filter((p) => !front.includes(p));
  }
  const crowd = new Map<Candidate, number>();
  for (const r of new Set(rank.values())) {
    const front = pts.filter((p) => rank.get(p.c) === r);
    for (const p of front) crowd.set(p.c, 0);
    for (const key of ['cost', 'acc'] as const) {
      const sorted = [...front].sort((a, b) => a[key] - b[key] || a.c.order - b.c.order);
      const span = sorted[sorted.length - 1][key] - sorted[0][key];
      crowd.set(sorted[0].c, Infinity);
      crowd.set(sorted[sorted.length - 1].c, Infinity);
      for (let i = 1; i < sorted.length - 1; i++) {
        if (span > 0) crowd.set(sorted[i].c, crowd.get(sorted[i].c)! + (sorted[i + 1][key] - sorted[i - 1][key]) / span);
      }
    }
  }
  return [...pool].sort((a, b) => rank.get(a)! - rank.get(b)! || crowd.get(b)! - crowd.get(a)! || a.order - b.order);
}
