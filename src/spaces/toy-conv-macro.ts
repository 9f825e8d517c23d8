// The toy conv-macro space (CIFAR-10), as in the reference (reference-facts 3.5,
// 6.2): four searched convs (out channels x kernel {3,5,7}, combi-superposed
// with the previous layer's channel choice), a fixed conv5 whose input channels
// follow channels_4, and a fixed MLP head. 3^8 = 6561 architectures.
import { Conv2d } from '../nn/conv.js';
import { Layer } from '../nn/layer.js';
import { Linear } from '../nn/linear.js';
import { noGrad } from '../tensor/autograd.js';
import { relu } from '../tensor/ops/activation.js';
import { dropout2d } from '../tensor/ops/dropout.js';
import { maxPool2d } from '../tensor/ops/pool.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ArchSample } from '../nas/arch.js';
import { choice, type Architecture, type Choice } from '../nas/choice.js';
import { EntangledConv2d } from '../nas/entangled/conv2d.js';
import { EntangledLinear } from '../nas/entangled/linear.js';
import { registerSpace } from '../nas/registry.js';
import { SearchSpace, Supernet, type SpaceOptions } from '../nas/space.js';
import { IMAGE_COMPARE, TOY_SEARCH_EPOCHS } from './recipes.js';

export const CONV_MACRO_CHANNELS = [[8, 16, 32], [16, 32, 64], [32, 64, 128], [64, 128, 256]] as const;
export const CONV_MACRO_KERNELS = [3, 5, 7] as const;
const FC = [9216, 256, 128, 64, 10];

/** The network's topology, shared by the supernet and the standalone sub-network. */
function convMacroForward(x: Tensor, conv: (i: number, h: Tensor) => Tensor, fc: (i: number, h: Tensor) => Tensor, training: boolean): Tensor {
  return tidy(() => {
    let h = relu(conv(0, x));
    h = maxPool2d(relu(conv(1, h)), 2);
    h = relu(dropout2d(relu(conv(2, h)), 0.5, training));
    h = maxPool2d(h, 2);
    h = conv(4, relu(conv(3, h)));
    h = dropout2d(h, 0.5, training).flatten(1);
    for (let i = 0; i < 3; i++) h = relu(fc(i, h));
    return fc(3, h);
  });
}

class ConvMacroSupernet extends Supernet {
  readonly convs: EntangledConv2d[];
  readonly fcs: EntangledLinear[];

  constructor(ch: Choice<number>[], ks: Choice<number>[], mix: 'weights' | 'outputs') {
    super();
    this.convs = [0, 1, 2, 3].map((i) =>
      this.child(`conv${i + 1}`, new EntangledConv2d({ inChannels: i === 0 ? 3 : ch[i - 1], outChannels: ch[i], kernel: ks[i], padding: 'same', bias: 'weighted', mix })),
    );
    // conv5: input channels follow channels_4; its bias is not weighted (reference 3.12).
    this.convs.push(this.child('conv5', new EntangledConv2d({ inChannels: ch[3], outChannels: 256, kernel: 7, padding: 2, bias: 'full', mix })));
    this.fcs = [0, 1, 2, 3].map((i) => this.child(`fc${i + 1}`, new EntangledLinear({ inFeatures: FC[i], outFeatures: FC[i + 1] })));
  }

  forward(x: Tensor, arch: ArchSample): Tensor {
    return convMacroForward(x, (i, h) => this.convs[i].forward(h, arch), (i, h) => this.fcs[i].forward(h, arch), this.training);
  }
}

class ConvMacroSubnet extends Layer {
  readonly convs: Conv2d[];
  readonly fcs: Linear[];

  constructor(readonly channels: number[], readonly kernels: number[]) {
    super();
    const cin = [3, ...channels];
    this.convs = [0, 1, 2, 3].map((i) => this.child(`conv${i + 1}`, new Conv2d(cin[i], channels[i], kernels[i], { padding: (kernels[i] - 1) / 2 })));
    this.convs.push(this.child('conv5', new Conv2d(channels[3], 256, 7, { padding: 2 })));
    this.fcs = [0, 1, 2, 3].map((i) => this.child(`fc${i + 1}`, new Linear(FC[i], FC[i + 1])));
  }

  forward(x: Tensor): Tensor {
    return convMacroForward(x, (i, h) => this.convs[i].forward(h), (i, h) => this.fcs[i].forward(h), this.training);
  }
}

export class ToyConvMacroSpace extends SearchSpace {
  readonly name = 'toy-conv-macro';
  readonly inputShape = [3, 32, 32];
  readonly numClasses = 10;
  readonly channels: Choice<number>[];
  readonly kernels: Choice<number>[];
  readonly choices: readonly Choice[];
  readonly supernet: ConvMacroSupernet;

  constructor(opts: SpaceOptions = {}) {
    super(opts);
    this.channels = CONV_MACRO_CHANNELS.map((v, i) => choice(`channels_${i + 1}`, v));
    this.kernels = [0, 1, 2, 3].map((i) => choice(`kernel_${i + 1}`, CONV_MACRO_KERNELS));
    this.choices = [...this.channels, ...this.kernels];
    this.supernet = new ConvMacroSupernet(this.channels, this.kernels, this.form === 'we' ? 'weights' : 'outputs');
  }

  #values(arch: Architecture): { channels: number[]; kernels: number[] } {
    return { channels: this.channels.map((c) => this.value(arch, c)), kernels: this.kernels.map((c) => this.value(arch, c)) };
  }

  /** `[[c1, c2, c3, c4], [k1, k2, k3, k4]]`, Python's list repr, as the benchmark keys. */
  benchmarkKey(arch: Architecture): string {
    const { channels, kernels } = this.#values(arch);
    return `[[${channels.join(', ')}], [${kernels.join(', ')}]]`;
  }

  fromBenchmarkKey(key: string): Architecture {
    const m = /^\[\[(\d+), (\d+), (\d+), (\d+)\], \[(\d+), (\d+), (\d+), (\d+)\]\]$/.exec(key.trim());
    if (!m) throw new Error(`toy-conv-macro: '${key}' is not a key of the form [[c1, c2, c3, c4], [k1, k2, k3, k4]]`);
    const v = m.slice(1).map(Number);
    return Object.fromEntries(this.choices.map((c, i) => [c.name, (c as Choice<number>).indexOf(v[i])]));
  }

  subnet(arch: Architecture, opts: { inherit: boolean }): ConvMacroSubnet {
    const { channels, kernels } = this.#values(arch);
    const net = new ConvMacroSubnet(channels, kernels);
    if (opts.inherit) {
      const idx = this.choices.map((c) => arch[c.name]);
      noGrad(() => {
        this.supernet.convs.forEach((op, i) => {
          // The op's factors are a subset of the space's choices, in its own order.
          const t = op.factors.map((f) => idx[this.choices.indexOf(f as Choice)]);
          net.convs[i].weight.copy_(op.sp.slice(op.weight, t));
          net.convs[i].bias!.copy_(op.bias!.narrow(0, 0, net.convs[i].outChannels));
        });
        this.supernet.fcs.forEach((op, i) => {
          net.fcs[i].weight.copy_(op.weight);
          net.fcs[i].bias!.copy_(op.bias!);
        });
      });
    }
    return net;
  }
}

// reference-facts 6.2 / 7: Adam 3e-4 betas (0.9, 0.995) wd 5e-4, cosine to 1e-4, batch 64, split 0.5;
// ES 30/10/10/10; SPOS with an 80/20 split; retraining as the benchmark was made (8.5).
const RETRAIN = { optimizer: 'adam', lr: 3e-4, adam_betas: [0.9, 0.995], weight_decay: 5e-4, lr_schedule: 'cosine', cosine_t_max: 2000, lr_min: 0, batch_size: 64 } as const;

registerSpace({
  name: 'toy-conv-macro',
  description: 'Toy conv-macro (CIFAR-10): 4 convs x {channels, kernel 3/5/7}, 6561 architectures',
  task: 'classification',
  datasets: ['cifar10'],
  inputShape: [3, 32, 32],
  benchmark: { file: 'conv_macro_bench.json', id: 'toy_conv_macro', metric: 'accuracy', columns: ['test_acc', 'train_acc'] },
  metric: 'accuracy',
  recipes: {
    base: { optimizer: 'adam', lr: 3e-4, lr_min: 1e-4, nesterov: false, adam_betas: [0.9, 0.995], population: 30, select: 10, mutation: 10, crossover: 10 },
    presets: {
      ...TOY_SEARCH_EPOCHS,
      'spos-es': { ...TOY_SEARCH_EPOCHS['spos-es'], train_portion: 0.8 },
      'spos-rs': { ...TOY_SEARCH_EPOCHS['spos-rs'], train_portion: 0.8 },
      retrain: { ...RETRAIN, epochs: 100 },
      finetune: { ...RETRAIN, epochs: 10 },
    },
    compare: IMAGE_COMPARE,
  },
  create: (o) => new ToyConvMacroSpace(o),
});
