// SGD with momentum, dampening, Nesterov momentum and L2 weight decay, with
// torch.optim.SGD's update order (PyTorch 1.13):
//   d = g + wd * p
//   buf = d (first step) | momentum * buf + (1 - dampening) * d
//   d = nesterov ? d + momentum * buf : buf
//   p -= lr * d
import type { Tensor } from '../../tensor/tensor.js';
import { Optimizer, hyperBool, hyperNumber, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';

export type SGDHyper = {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** Ascend instead of descend. */
  maximize: boolean;
};

export class SGD extends Optimizer<SGDHyper> {
  readonly kind = 'SGD';

  constructor(params: ParamsArg<SGDHyper>, opts: Partial<SGDHyper> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...opts });
  }

  protected validate(h: SGDHyper, where: string): void {
    hyperNumber(where, 'lr', h.lr, 0);
    hyperNumber(where, 'momentum', h.momentum, 0);
    hyperNumber(where, 'dampening', h.dampening, -Infinity);
    hyperNumber(where, 'weightDecay', h.weightDecay, 0);
    hyperBool(where, 'nesterov', h.nesterov);
    hyperBool(where, 'maximize', h.maximize);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new RangeError(`${where}: nesterov needs momentum > 0 and dampening 0, got momentum ${h.momentum}, dampening ${h.dampening}`);
    }
  }

  protected requiredBuffers(g: ParamGroup<SGDHyper>): string[] {
    return g.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<SGDHyper>, st: ParamState): void {
    let d = g.maximize ? grad.neg() : grad;
    // Out of place: the parameter's .grad must stay the raw gradient.
    if (g.weightDecay !== 0) d = d.clone().add_(p, g.weightDecay);
    if (g.momentum !== 0) {
      let buf = st.buffers.get('momentum_buffer');
      if (buf === undefined) buf = this.newBuffer(st, 'momentum_buffer', p, d);
      else buf.mul_(g.momentum).add_(d, 1 - g.dampening);
      d = g.nesterov ? d.clone().add_(buf, g.momentum) : buf;
    }
    p.add_(d, -g.lr);
    st.step += 1;
  }
}
