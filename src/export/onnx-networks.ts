// The ONNX nodes of a ttl-torch network, unit by unit, in the order the native forward runs them (cpp/models/):
// every network is an ordered list of known units, so the graph is written from the model card, the cutoff and
// the state dict. Families without an emitter here are refused with E_EXPORT_UNSUPPORTED, never approximated.
import { TtlError } from '../errors.js';
import type { ModelCard } from '../registry.js';
import type { FloatTensor, OnnxGraph } from './onnx-graph.js';

/** What the writer needs of a model: its card, cutoff, head and float32 parameters and buffers by name. */
export interface ExportSource {
  card: ModelCard;
  k: number;
  head: string;
  tensors: Map<string, FloatTensor>;
}

const BN_EPSILON = 1e-5; // torch::nn::BatchNorm's default, which every network here uses

class Emitter {
  constructor(readonly g: OnnxGraph, readonly source: ExportSource, readonly foldBatchNorm: boolean) {}

  has(name: string): boolean {
    return this.source.tensors.has(name);
  }

  tensor(name: string): FloatTensor {
    const t = this.source.tensors.get(name);
    if (!t) throw new TtlError('E_INTERNAL', `export: the model has no tensor ${name}`);
    return t;
  }

  /** A convolution from `conv`.weight (and .bias), followed by the batch norm `bn` when given, folded into it by default. */
  conv(x: string, conv: string, options: { stride?: number; pad?: number; bn?: string } = {}): string {
    const w = this.tensor(`${conv}.weight`);
    const outChannels = w.shape[0];
    let weight = w.data;
    let bias = this.has(`${conv}.bias`) ? this.tensor(`${conv}.bias`).data : undefined;
    const folded = options.bn !== undefined && this.foldBatchNorm;
    if (folded) {
      // y = gamma (conv(x) + b - mean) / sqrt(var + eps) + beta: one convolution with scaled weights and a new bias.
      const { scale, shift } = this.normAffine(options.bn!);
      const perChannel = weight.length / outChannels;
      weight = weight.map((v, i) => v * scale[Math.floor(i / perChannel)]);
      bias = Float32Array.from(scale, (s, c) => s * (bias?.[c] ?? 0) + shift[c]);
    }
    const inputs = [x, this.g.constant(`${conv}.weight`, { data: weight, shape: w.shape })];
    if (bias) inputs.push(this.g.constant(`${conv}.bias`, { data: bias, shape: [outChannels] }));
    const spatial = w.shape.length - 2;
    const stride = options.stride ?? 1;
    const pad = options.pad ?? 0;
    const y = this.g.node('Conv', inputs, {
      kernel_shape: w.shape.slice(2), strides: new Array(spatial).fill(stride), pads: new Array(2 * spatial).fill(pad),
    });
    return options.bn !== undefined && !folded ? this.batchNorm(y, options.bn) : y;
  }

  /** A batch norm in eval mode as per-channel scale and shift. */
  normAffine(bn: string): { scale: Float32Array; shift: Float32Array } {
    const [gamma, beta, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => this.tensor(`${bn}.${p}`).data);
    const scale = Float32Array.from(gamma, (g, c) => g / Math.sqrt(variance[c] + BN_EPSILON));
    return { scale, shift: Float32Array.from(beta, (b, c) => b - mean[c] * scale[c]) };
  }

  batchNorm(x: string, bn: string): string {
    const inputs = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => this.g.constant(`${bn}.${p}`, this.tensor(`${bn}.${p}`)));
    return this.g.node('BatchNormalization', [x, ...inputs], { epsilon: { float: BN_EPSILON } });
  }

  relu(x: string): string {
    return this.g.node('Relu', [x]);
  }

  maxPool(x: string, options: { pad: number; ceil: boolean }): string {
    return this.g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: new Array(4).fill(options.pad), ceil_mode: options.ceil ? 1 : 0 });
  }

  /**
   * A linear layer on globally pooled features, after the head's batch norm where it has one. That norm is a
   * per-channel affine map and pooling is linear, so folding moves it into the Gemm: W (a p + b) + c.
   */
  pooledLinear(x: string, linear: string, norm?: string): string {
    let pooled: string;
    const w = this.tensor(`${linear}.weight`);
    let weight = w.data;
    let bias = this.tensor(`${linear}.bias`).data;
    if (norm && this.foldBatchNorm) {
      const { scale, shift } = this.normAffine(norm);
      const inFeatures = w.shape[1];
      weight = weight.map((v, i) => v * scale[i % inFeatures]);
      bias = bias.map((b, o) => b + w.data.subarray(o * inFeatures, (o + 1) * inFeatures).reduce((a, v, j) => a + v * shift[j], 0));
      pooled = this.g.node('GlobalAveragePool', [x]);
    } else {
      pooled = this.g.node('GlobalAveragePool', [norm ? this.batchNorm(x, norm) : x]);
    }
    const flat = this.g.node('Flatten', [pooled], { axis: 1 });
    return this.g.node('Gemm', [flat, this.g.constant(`${linear}.weight`, { data: weight, shape: w.shape }), this.g.constant(`${linear}.bias`, { data: bias, shape: [w.shape[0]] })], { transB: 1 });
  }
}

/** torchvision ResNet v1 (basic and bottleneck blocks): stem, then one unit per residual block. */
function resnet(e: Emitter, x: string): string {
  x = e.maxPool(e.relu(e.conv(x, 'conv1', { stride: 2, pad: 3, bn: 'bn1' })), { pad: 1, ceil: false });
  const bottleneck = e.source.card.arch.block === 'bottleneck';
  for (const unit of e.source.card.units.slice(1, e.source.k)) {
    // The first block of stages 2-4 halves the resolution (torchvision: layerS.0, S > 1).
    const stride = /^layer[2-9]\.0$/.test(unit) ? 2 : 1;
    let out: string;
    if (bottleneck) {
      out = e.relu(e.conv(x, `${unit}.conv1`, { bn: `${unit}.bn1` }));
      out = e.relu(e.conv(out, `${unit}.conv2`, { stride, pad: 1, bn: `${unit}.bn2` }));
      out = e.conv(out, `${unit}.conv3`, { bn: `${unit}.bn3` });
    } else {
      out = e.relu(e.conv(x, `${unit}.conv1`, { stride, pad: 1, bn: `${unit}.bn1` }));
      out = e.conv(out, `${unit}.conv2`, { pad: 1, bn: `${unit}.bn2` });
    }
    const identity = e.has(`${unit}.downsample.0.weight`) ? e.conv(x, `${unit}.downsample.0`, { stride, bn: `${unit}.downsample.1` }) : x;
    x = e.relu(e.g.node('Add', [out, identity]));
  }
  return x;
}

/** SqueezeNet 1.1: stem (conv, ReLU, max-pool), then Fire modules; max-pools ride with features.6 and features.9. */
function squeezenet(e: Emitter, x: string): string {
  const ceilPool = (v: string) => e.maxPool(v, { pad: 0, ceil: true });
  x = ceilPool(e.relu(e.conv(x, 'features.0', { stride: 2 })));
  for (const unit of e.source.card.units.slice(1, e.source.k)) {
    if (unit === 'features.6' || unit === 'features.9') x = ceilPool(x);
    const squeezed = e.relu(e.conv(x, `${unit}.squeeze`));
    x = e.g.node('Concat', [e.relu(e.conv(squeezed, `${unit}.expand1x1`)), e.relu(e.conv(squeezed, `${unit}.expand3x3`, { pad: 1 }))], { axis: 1 });
  }
  return x;
}

const BACKBONES: Record<string, (e: Emitter, x: string) => string> = { resnet, squeezenet };

/** The backbone families the exporter writes (the others are refused by name). */
export const EXPORTABLE_FAMILIES = Object.keys(BACKBONES);

/**
 * Writes `source`'s network into `g` from input `image` [batch, C, height, width]: outputs `logits` and
 * `probabilities` (classification heads) or `features` (head 'none').
 */
export function emitNetwork(g: OnnxGraph, source: ExportSource, options: { foldBatchNorm: boolean }): void {
  const { card, head } = source;
  const backbone = BACKBONES[card.family];
  if (!backbone) throw new TtlError('E_EXPORT_UNSUPPORTED', `ONNX export of ${card.name} (${card.family}) is not written yet; exportable families: ${EXPORTABLE_FAMILIES.join(', ')}`);
  if (head === 'unet') throw new TtlError('E_EXPORT_UNSUPPORTED', `ONNX export of the U-Net decoder (head 'unet' on ${card.name}) is not written yet`);
  const e = new Emitter(g, source, options.foldBatchNorm);
  const features = backbone(e, g.input('image', ['batch', card.input.channels, 'height', 'width']));
  if (head === 'none') {
    g.node('Identity', [features], {}, 'features');
    g.output('features', ['batch', 'channels', 'out_height', 'out_width']);
    return;
  }
  let logits: string;
  if (head === 'original' && card.family === 'squeezenet') {
    // SqueezeNet's own classifier: dropout (identity in eval), a 1x1 convolution, ReLU, global average pool.
    logits = g.node('Flatten', [g.node('GlobalAveragePool', [e.relu(e.conv(features, 'classifier.1'))])], { axis: 1 });
  } else {
    const linear = e.has('fc.weight') ? 'fc' : 'classifier';
    logits = e.pooledLinear(features, linear, e.has('head_norm.weight') ? 'head_norm' : undefined);
  }
  const classes = [...source.tensors].find(([n]) => n === 'fc.bias' || n === 'classifier.bias' || n === 'classifier.1.bias')![1].shape[0];
  g.node('Identity', [logits], {}, 'logits');
  g.node('Softmax', ['logits'], { axis: 1 }, 'probabilities');
  g.output('logits', ['batch', classes]);
  g.output('probabilities', ['batch', classes]);
}
