// What the transformer spaces (nanoGPT's and AutoFormer's) share: the choices
// (the embedding width for the network; heads and MLP ratio per layer up to the
// deepest network; the depth), the sub-network they name, which of them a depth
// leaves unused, and the JSON key of the reference's config listing.
import { choice, type Architecture, type Choice } from '../nas/choice.js';
import { SearchSpace } from '../nas/space.js';

/** One sub-network: embed, and heads and MLP ratio per layer (length = its depth). */
export interface TransformerArchConfig {
  embed: number;
  heads: number[];
  mlpRatio: number[];
}

export interface TransformerChoices {
  embed: Choice<number>;
  heads: Choice<number>[];
  ratios: Choice<number>[];
  layers: Choice<number>;
}

/** The choices of a space with these candidate values. */
export function transformerChoices(c: { embed: readonly number[]; heads: readonly number[]; mlpRatio: readonly number[]; layers: readonly number[] }): TransformerChoices {
  const maxL = Math.max(...c.layers);
  return {
    embed: choice('embed_dim', c.embed),
    heads: Array.from({ length: maxL }, (_, i) => choice(`num_heads_${i + 1}`, c.heads)),
    ratios: Array.from({ length: maxL }, (_, i) => choice(`mlp_ratio_${i + 1}`, c.mlpRatio)),
    layers: choice('num_layers', c.layers),
  };
}

export abstract class TransformerSpace extends SearchSpace implements TransformerChoices {
  abstract readonly embed: Choice<number>;
  abstract readonly heads: Choice<number>[];
  abstract readonly ratios: Choice<number>[];
  abstract readonly layers: Choice<number>;
  /** The depth's field in the benchmark key: nanoGPT's listing says num_layers, AutoFormer's layer_num. */
  protected abstract readonly depthKey: string;

  /** The sub-network's sizes: embed, and heads and MLP ratio of each of its layers. */
  archConfig(arch: Architecture): TransformerArchConfig {
    const depth = this.value(arch, this.layers);
    return {
      embed: this.value(arch, this.embed),
      heads: this.heads.slice(0, depth).map((c) => this.value(arch, c)),
      mlpRatio: this.ratios.slice(0, depth).map((c) => this.value(arch, c)),
    };
  }

  /** Layers beyond the chosen depth do not affect the output, nor do their choices. */
  override activeChoices(arch: Architecture): Choice[] {
    const d = this.value(arch, this.layers);
    return [this.embed, ...this.heads.slice(0, d), ...this.ratios.slice(0, d), this.layers];
  }

  override canonical(arch: Architecture): Architecture {
    return this.inactiveAtFirst(arch);
  }

  override evolution(): { structural: readonly Choice[]; depth: Choice | null } {
    return { structural: [this.embed, this.layers], depth: this.layers };
  }

  /**
   * There is no tabular benchmark; the key is the reference's config listing
   * (paper G.2) with every layer's entry, so it round-trips exactly.
   */
  benchmarkKey(arch: Architecture): string {
    return JSON.stringify({
      [this.depthKey]: this.value(arch, this.layers),
      embed_dim: this.value(arch, this.embed),
      num_heads: this.heads.map((c) => this.value(arch, c)),
      mlp_ratio: this.ratios.map((c) => this.value(arch, c)),
    });
  }

  fromBenchmarkKey(key: string): Architecture {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(key);
    } catch {
      throw new Error(`${this.name}: '${key}' is not a JSON architecture key`);
    }
    const L = this.heads.length;
    const list = (v: unknown, what: string) => {
      if (!Array.isArray(v) || v.length !== L) throw new Error(`${this.name}: key field '${what}' must list ${L} values (one per layer up to the maximum depth)`);
      return v as number[];
    };
    const arch: Architecture = { [this.layers.name]: this.layers.indexOf(o[this.depthKey] as number), [this.embed.name]: this.embed.indexOf(o.embed_dim as number) };
    list(o.num_heads, 'num_heads').forEach((h, i) => (arch[this.heads[i].name] = this.heads[i].indexOf(h)));
    list(o.mlp_ratio, 'mlp_ratio').forEach((r, i) => (arch[this.ratios[i].name] = this.ratios[i].indexOf(r)));
    return arch;
  }
}
