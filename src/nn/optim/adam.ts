// Adam (Kingma & Ba) with torch.optim.Adam's single-tensor update (PyTorch 1.13):
//   g += wd * p                      (L2 penalty; AdamW decays p instead)
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// with optional AMSGrad (running max of v).
import type { Tensor } from '../../tensor/tensor.js';
import { Optimizer, hyperBool, hyperNumber, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';

export type AdamHyper = {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
};

export class Adam extends Optimizer<AdamHyper> {
  readonly kind: string = 'Adam';
  /** AdamW: weight decay shrinks the parameter instead of entering the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: ParamsArg<AdamHyper>, opts: Partial<AdamHyper> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...opts });
  }

  protected validate(h: AdamHyper, where: string): void {
    hyperNumber(where, 'lr', h.lr, 0);
    if (!Array.isArray(h.betas) || h.betas.length !== 2) throw new TypeError(`${where}: betas must be a pair [beta1, beta2], got ${JSON.stringify(h.betas)}`);
    hyperNumber(where, 'betas[0]', h.betas[0], 0, 1, true);
    hyperNumber(where, 'betas[1]', h.betas[1], 0, 1, true);
    hyperNumber(where, 'eps', h.eps, 0);
    hyperNumber(where, 'weightDecay', h.weightDecay, 0);
    hyperBool(where, 'amsgrad', h.amsgrad);
    hyperBool(where, 'maximize', h.maximize);
  }

  protected requiredBuffers(g: ParamGroup<AdamHyper>): string[] {
    return g.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'];
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdamHyper>, st: ParamState): void {
    const [b1, b2] = g.betas;
    let d = g.maximize ? grad.neg() : grad;
    const expAvg = st.buffers.get('exp_avg') ?? this.newBuffer(st, 'exp_avg', p);
    const expAvgSq = st.buffers.get('exp_avg_sq') ?? this.newBuffer(st, 'exp_avg_sq', p);
    st.step += 1;
    if (g.weightDecay !== 0) {
      if (this.decoupled) p.mul_(1 - g.lr * g.weightDecay);
      else d = d.clone().add_(p, g.weightDecay);
    }
    expAvg.mul_(b1).add_(d, 1 - b1);
    expAvgSq.mul_(b2).addcmul_(d, d, 1 - b2);
    const bc1 = 1 - b1 ** st.step;
    const bc2Sqrt = Math.sqrt(1 - b2 ** st.step);
    let v = expAvgSq;
    if (g.amsgrad) {
      const vmax = st.buffers.get('max_exp_avg_sq') ?? this.newBuffer(st, 'max_exp_avg_sq', p);
      vmax.copy_(vmax.maximum(expAvgSq));
      v = vmax;
    }
    const denom = v.sqrt().div_(bc2Sqrt).add_(g.eps);
    p.addcdiv_(expAvg, denom, -(g.lr / bc1));
  }
}
