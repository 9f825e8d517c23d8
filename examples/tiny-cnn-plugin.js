// A tanglenas plugin: a small CNN search space (width x kernel) and a sampler.
// Use it with any command: tanglenas search --plugin examples/tiny-cnn-plugin.js --space tiny-cnn
import {
  ArchSample, Conv2d, EntangledConv2d, EntangledLinear, F, Layer, Linear, SearchSpace, Supernet,
  choice, noGrad, num, registerSampler, registerSpace, tidy,
} from 'tanglenas';

// One topology for the supernet and the standalone network: conv, ReLU, global pool, linear.
const net = (conv, fc, x) => tidy(() => fc(F.relu(conv(x)).mean([2, 3])));

class TinySupernet extends Supernet {
  constructor(width, kernel, mix) {
    super();
    this.conv = this.child('conv', new EntangledConv2d({ inChannels: 1, outChannels: width, kernel, padding: 'same', mix }));
    this.fc = this.child('fc', new EntangledLinear({ inFeatures: width, outFeatures: 10 }));
  }
  forward(x, arch) {
    return net((h) => this.conv.forward(h, arch), (h) => this.fc.forward(h, arch), x);
  }
}

class TinyNet extends Layer {
  constructor(w, k) {
    super();
    this.conv = this.child('conv', new Conv2d(1, w, k, { padding: (k - 1) / 2 }));
    this.fc = this.child('fc', new Linear(w, 10));
  }
  forward(x) {
    return net((h) => this.conv.forward(h), (h) => this.fc.forward(h), x);
  }
}

class TinyCnnSpace extends SearchSpace {
  name = 'tiny-cnn';
  inputShape = [1, 28, 28];
  numClasses = 10;
  constructor(opts = {}) {
    super(opts);
    this.width = choice('width', [8, 16]);
    this.kernel = choice('kernel', [3, 5]);
    this.choices = [this.width, this.kernel];
    this.supernet = new TinySupernet(this.width, this.kernel, this.form === 'we' ? 'weights' : 'outputs');
  }
  benchmarkKey(arch) {
    return `${this.value(arch, this.width)}-${this.value(arch, this.kernel)}`;
  }
  fromBenchmarkKey(key) {
    const [w, k] = key.split('-').map(Number);
    return { width: this.width.indexOf(w), kernel: this.kernel.indexOf(k) };
  }
  subnet(arch, { inherit }) {
    const s = new TinyNet(this.value(arch, this.width), this.value(arch, this.kernel));
    if (inherit) {
      const { conv, fc } = this.supernet;
      noGrad(() => {
        // An entangled op's slice for the chosen index of each of its factors.
        s.conv.weight.copy_(conv.sp.slice(conv.weight, conv.factors.map((f) => arch[f.name])));
        s.conv.bias.copy_(conv.bias.narrow(0, 0, s.conv.outChannels));
        s.fc.weight.copy_(fc.sp.slice(fc.weight, fc.factors.map((f) => arch[f.name])));
        s.fc.bias.copy_(fc.bias);
      });
    }
    return s;
  }
}

registerSpace({
  name: 'tiny-cnn',
  description: 'a plugin example: one conv (width {8,16} x kernel {3,5}) on Fashion-MNIST',
  task: 'classification',
  datasets: ['fashion-mnist'],
  inputShape: [1, 28, 28],
  metric: 'accuracy',
  recipes: { base: { optimizer: 'sgd', lr: 0.05, epochs: 10 }, compare: ['tanglenas', 'softmax-tau'] },
  create: (opts) => new TinyCnnSpace(opts),
});

// A sampler: DARTS's softmax with a temperature (a config key of its own).
registerSampler({
  name: 'softmax-tau',
  description: 'softmax(alpha / tau), superposition',
  stage: 'single-stage',
  options: { tau: { key: 'softmax_tau', type: num(0, undefined, { minOpen: true }), default: 1, doc: 'softmax temperature' } },
  presets: [{ name: 'softmax-tau', command: 'search', description: 'softmax(alpha / tau) with weight superposition', values: { form: 'we' } }],
  create: ({ tau = 1 } = {}) => ({
    name: 'softmax-tau',
    trainsAlpha: true,
    sample: (choices) => new ArchSample('superposition', new Map(choices.map((c) => [c, F.softmax(c.alpha.div(tau), -1)]))),
    beforeEpoch: () => {},
    regularizer: () => null,
    archWeightDecay: (wd) => wd,
    state: () => ({}),
    loadState: () => {},
  }),
});
