// The ONNX nodes of a ttl-torch network, unit by unit, in the order the native forward runs them (cpp/models/):
// every network is an ordered list of known units, so the graph is written from the model card, the cutoff and
// the state dict. Families without an emitter here are refused with E_EXPORT_UNSUPPORTED, never approximated.
import { TtlError } from '../errors.js';
import type { ModelCard } from '../registry.js';
import type { FloatTensor, OnnxGraph } from './onnx-graph.js';

/**
 * What the writer needs of a model: its card, cutoff, head, class count, float32 parameters and buffers by name,
 * and the kept units' block and reduction as the native builder recorded them (the U-Net decoder's skips).
 */
export interface ExportSource {
  card: ModelCard;
  k: number;
  head: string;
  numClasses: number;
  /** One sigmoid per label: `probabilities` is Sigmoid(logits), not Softmax. */
  multiLabel?: boolean;
  tensors: Map<string, FloatTensor>;
  units: { block: number; reduction: number }[];
}

const NORM_EPSILON = 1e-5; // torch::nn::BatchNorm's and GroupNorm's default, which every network but EfficientNetV2 uses
// PENet's GroupNorms have one group per 16 channels (cpp/models/penet.cpp, penet_bottleneck.cpp); the group count
// is no tensor, so it is taken from there.
const GROUP_NORM_CHANNELS = 16;
/** The TTL head's norm (LinearHead::kNormName). */
const HEAD_NORM = 'head_norm';
const LEAKY_RELU_SLOPE = 0.01; // torch::nn::LeakyReLU's default, as PENet uses it

/** A convolution's stride and padding (one number for every spatial dimension, or one per dimension), groups, and batch norm. */
interface ConvOptions {
  stride?: number | number[];
  pad?: number | number[];
  groups?: number;
  bn?: string;
}

class Emitter {
  /** Each emitted unit's output, in unit order (the U-Net decoder reads the block ends). */
  readonly unitOutputs: string[] = [];

  constructor(readonly g: OnnxGraph, readonly source: ExportSource, readonly foldBatchNorm: boolean) {}

  /**
   * A batch norm's epsilon: the card's arch.normEps for the backbone's own norms where the card sets one
   * (EfficientNetV2), LibTorch's default for the rest (the TTL head's norm, the U-Net decoder's).
   */
  epsilon(bn: string): number {
    const own = !bn.startsWith(`${HEAD_NORM}.`) && bn !== HEAD_NORM && !bn.startsWith('decoder.');
    return own ? this.source.card.arch.normEps ?? NORM_EPSILON : NORM_EPSILON;
  }

  /** Records `x` as the output of the next unit and returns it. */
  unitEnd(x: string): string {
    this.unitOutputs.push(x);
    return x;
  }

  has(name: string): boolean {
    return this.source.tensors.has(name);
  }

  tensor(name: string): FloatTensor {
    const t = this.source.tensors.get(name);
    if (!t) throw new TtlError('E_INTERNAL', `export: the model has no tensor ${name}`);
    return t;
  }

  /**
   * A convolution from `conv`.weight (and .bias), followed by the batch norm `bn` when given, folded into it by
   * default. Stride and padding: one number for every spatial dimension, or one per dimension.
   */
  conv(x: string, conv: string, options: ConvOptions = {}): string {
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
    const perDim = (v: number | number[] = 0) => (Array.isArray(v) ? v : new Array<number>(spatial).fill(v));
    const pads = perDim(options.pad);
    const y = this.g.node('Conv', inputs, {
      kernel_shape: w.shape.slice(2), strides: perDim(options.stride ?? 1), pads: [...pads, ...pads], group: options.groups ?? 1,
    });
    return options.bn !== undefined && !folded ? this.batchNorm(y, options.bn) : y;
  }

  /** A batch norm in eval mode as per-channel scale and shift. */
  normAffine(bn: string): { scale: Float32Array; shift: Float32Array } {
    const [gamma, beta, mean, variance] = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => this.tensor(`${bn}.${p}`).data);
    const eps = this.epsilon(bn);
    const scale = Float32Array.from(gamma, (g, c) => g / Math.sqrt(variance[c] + eps));
    return { scale, shift: Float32Array.from(beta, (b, c) => b - mean[c] * scale[c]) };
  }

  batchNorm(x: string, bn: string): string {
    const inputs = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => this.g.constant(`${bn}.${p}`, this.tensor(`${bn}.${p}`)));
    return this.g.node('BatchNormalization', [x, ...inputs], { epsilon: { float: this.epsilon(bn) } });
  }

  relu(x: string): string {
    return this.g.node('Relu', [x]);
  }

  /** SiLU as x * Sigmoid(x): opset 17 has no SiLU operator. */
  silu(x: string): string {
    return this.g.node('Mul', [x, this.g.node('Sigmoid', [x])]);
  }

  leakyRelu(x: string): string {
    return this.g.node('LeakyRelu', [x], { alpha: { float: LEAKY_RELU_SLOPE } });
  }

  /**
   * GroupNorm (GroupNormalization is opset 18): the channels reshaped to [N, groups, rest], each group
   * standardised by InstanceNormalization (biased variance, same epsilon), the shape restored, then the
   * per-channel affine. Statistics come from the input, so nothing folds into the convolution before it.
   */
  groupNorm(x: string, norm: string): string {
    const gamma = this.tensor(`${norm}.weight`);
    const channels = gamma.shape[0];
    const groups = channels / GROUP_NORM_CHANNELS;
    const perChannel = [channels, ...new Array<number>(this.spatialDims).fill(1)];
    const grouped = this.g.node('Reshape', [x, this.g.int64s(`${norm}.groups`, [0, groups, -1])]);
    const standardised = this.g.node('InstanceNormalization', [
      grouped, this.g.constant(`${norm}.unit_scale`, { data: new Float32Array(groups).fill(1), shape: [groups] }),
      this.g.constant(`${norm}.zero_shift`, { data: new Float32Array(groups), shape: [groups] }),
    ], { epsilon: { float: NORM_EPSILON } });
    const restored = this.g.node('Reshape', [standardised, this.g.node('Shape', [x])]);
    const scaled = this.g.node('Mul', [restored, this.g.constant(`${norm}.weight`, { data: gamma.data, shape: perChannel })]);
    return this.g.node('Add', [scaled, this.g.constant(`${norm}.bias`, { data: this.tensor(`${norm}.bias`).data, shape: perChannel })]);
  }

  /** A linear layer applied to a pooled [N, C, 1...] map as a 1x1 convolution: its output stays broadcastable. */
  pointwiseLinear(x: string, linear: string): string {
    const w = this.tensor(`${linear}.weight`);
    const ones = new Array<number>(this.spatialDims).fill(1);
    return this.g.node('Conv', [x, this.g.constant(`${linear}.weight`, { data: w.data, shape: [...w.shape, ...ones] }), this.g.constant(`${linear}.bias`, this.tensor(`${linear}.bias`))], { kernel_shape: ones });
  }

  /**
   * `x` resized to the spatial size of `like`: resize_to (cpp/core/macs.cpp), bilinear or trilinear with
   * align_corners false, which is ONNX's half_pixel mapping; the size is read at run time, so it stays dynamic.
   */
  resizeLike(x: string, like: string): string {
    const sizes = this.g.node('Concat', [this.g.node('Shape', [x], { end: 2 }), this.g.node('Shape', [like], { start: 2 })], { axis: 0 });
    return this.g.node('Resize', [x, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  }

  get spatialDims(): number {
    return this.source.card.input.frames ? 3 : 2;
  }

  /** A 3x3 (3x3x3) max-pool with stride 2, as every stem here has. */
  maxPool(x: string, options: { pad: number; ceil: boolean; dims?: 2 | 3 }): string {
    const dims = options.dims ?? 2;
    return this.g.node('MaxPool', [x], {
      kernel_shape: new Array(dims).fill(3), strides: new Array(dims).fill(2), pads: new Array(2 * dims).fill(options.pad), ceil_mode: options.ceil ? 1 : 0,
    });
  }

  /**
   * A linear layer on globally pooled features, after the head's batch norm where it has one. That norm is a
   * per-channel affine map and pooling is linear, so folding moves it into the Gemm: W (a p + b) + c.
   */
  pooledLinear(x: string, linear: string, norm?: string, reluAfterNorm = false): string {
    let pooled: string;
    const w = this.tensor(`${linear}.weight`);
    let weight = w.data;
    let bias = this.tensor(`${linear}.bias`).data;
    if (norm && reluAfterNorm) {
      // A ReLU between the norm and the pool: nothing to fold across.
      pooled = this.g.node('GlobalAveragePool', [this.relu(this.batchNorm(x, norm))]);
    } else if (norm && this.foldBatchNorm) {
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
  x = e.unitEnd(e.maxPool(e.relu(e.conv(x, 'conv1', { stride: 2, pad: 3, bn: 'bn1' })), { pad: 1, ceil: false }));
  const bottleneck = e.source.card.arch.block === 'bottleneck';
  for (const unit of e.source.card.units.slice(1, e.source.k)) {
    const stride = strideOf(unit);
    let out: string;
    if (bottleneck) {
      out = e.relu(e.conv(x, `${unit}.conv1`, { bn: `${unit}.bn1` }));
      out = e.relu(e.conv(out, `${unit}.conv2`, { stride, pad: 1, groups: e.source.card.arch.cardinality, bn: `${unit}.bn2` }));
      out = e.conv(out, `${unit}.conv3`, { bn: `${unit}.bn3` });
    } else {
      out = e.relu(e.conv(x, `${unit}.conv1`, { stride, pad: 1, bn: `${unit}.bn1` }));
      out = e.conv(out, `${unit}.conv2`, { pad: 1, bn: `${unit}.bn2` });
    }
    x = e.unitEnd(residual(e, x, out, `${unit}.downsample`, stride));
  }
  return x;
}

/** SqueezeNet 1.1: stem (conv, ReLU, max-pool), then Fire modules; max-pools ride with features.6 and features.9. */
function squeezenet(e: Emitter, x: string): string {
  const ceilPool = (v: string) => e.maxPool(v, { pad: 0, ceil: true });
  x = e.unitEnd(ceilPool(e.relu(e.conv(x, 'features.0', { stride: 2 }))));
  for (const unit of e.source.card.units.slice(1, e.source.k)) {
    if (unit === 'features.6' || unit === 'features.9') x = ceilPool(x);
    const squeezed = e.relu(e.conv(x, `${unit}.squeeze`));
    x = e.unitEnd(e.g.node('Concat', [e.relu(e.conv(squeezed, `${unit}.expand1x1`)), e.relu(e.conv(squeezed, `${unit}.expand3x3`, { pad: 1 }))], { axis: 1 }));
  }
  return x;
}

/**
 * Pre-activation ResNet v2 (GluonCV layout): a batch norm on the input, the stem, then bottlenecks that normalise
 * what they take (bn1 + ReLU), so only bn2 and bn3 fold into the convolutions before them; bn_final + ReLU end
 * the last one. Cut earlier, units output un-normalised sums (the head normalises: head_norm + ReLU).
 */
function resnetV2(e: Emitter, x: string): string {
  x = e.unitEnd(e.maxPool(e.relu(e.conv(e.batchNorm(x, 'bn_data'), 'conv0', { stride: 2, pad: 3, bn: 'bn0' })), { pad: 1, ceil: false }));
  const units = e.source.card.units;
  for (const unit of units.slice(1, e.source.k)) {
    const stride = /^stage[2-9]\.0$/.test(unit) ? 2 : 1;
    const pre = e.relu(e.batchNorm(x, `${unit}.bn1`));
    const shortcut = e.has(`${unit}.downsample.weight`) ? e.conv(pre, `${unit}.downsample`, { stride }) : x;
    let h = e.relu(e.conv(pre, `${unit}.conv1`, { bn: `${unit}.bn2` }));
    h = e.relu(e.conv(h, `${unit}.conv2`, { stride, pad: 1, bn: `${unit}.bn3` }));
    x = e.g.node('Add', [e.conv(h, `${unit}.conv3`), shortcut]);
    if (unit === units.at(-1)) x = e.relu(e.batchNorm(x, 'bn_final'));
    e.unitEnd(x);
  }
  return x;
}

/**
 * torchvision DenseNet: stem, dense layers (norm1 + ReLU + 1x1 conv, norm2 folded into it, ReLU + 3x3 conv,
 * concatenated to the input), transitions (norm + ReLU + 1x1 conv + 2x2 average pool) and norm5 + ReLU.
 */
function densenet(e: Emitter, x: string): string {
  x = e.unitEnd(e.maxPool(e.relu(e.conv(x, 'features.conv0', { stride: 2, pad: 3, bn: 'features.norm0' })), { pad: 1, ceil: false }));
  for (const unit of e.source.card.units.slice(1, e.source.k)) {
    const p = `features.${unit}`;
    if (unit === 'norm5') {
      x = e.relu(e.batchNorm(x, p));
    } else if (unit.startsWith('transition')) {
      const conv = e.conv(e.relu(e.batchNorm(x, `${p}.norm`)), `${p}.conv`);
      x = e.g.node('AveragePool', [conv], { kernel_shape: [2, 2], strides: [2, 2] });
    } else {
      const h = e.relu(e.conv(e.relu(e.batchNorm(x, `${p}.norm1`)), `${p}.conv1`, { bn: `${p}.norm2` }));
      x = e.g.node('Concat', [x, e.conv(h, `${p}.conv2`, { pad: 1 })], { axis: 1 });
    }
    e.unitEnd(x);
  }
  return x;
}

/**
 * torchvision EfficientNet (B0-B4, V2-S): the stem, MBConv / FusedMBConv blocks, the last 1x1 convolution; every
 * convolution is Conv2dNormActivation (batch norm folded, SiLU) but a block's last when it projects (more than one
 * convolution: no activation). Squeeze-excitation (MBConv): pool, fc1, SiLU, fc2, Sigmoid, a scale per channel.
 * Strides come from the recorded reductions, groups from each weight's shape.
 */
function efficientnet(e: Emitter, x: string): string {
  const { units } = e.source;
  let channels = e.tensor('features.0.0.weight').shape[0];
  x = e.unitEnd(e.silu(e.conv(x, 'features.0.0', { stride: 2, pad: 1, bn: 'features.0.1' })));
  for (const [i, unit] of e.source.card.units.slice(1, e.source.k).entries()) {
    const stride = units[i + 1].reduction / units[i].reduction;
    // A block's children (block.0, block.1, ...); the last convolution is one Conv2dNormActivation itself.
    const children = [0, 1, 2, 3].map((c) => `${unit}.block.${c}`).filter((c) => e.has(`${c}.0.weight`) || e.has(`${c}.fc1.weight`));
    const convs = children.length ? children.filter((c) => e.has(`${c}.0.weight`)) : [unit];
    let h = x;
    let width = channels;
    for (const child of children.length ? children : [unit]) {
      if (e.has(`${child}.fc1.weight`)) {
        const scale = e.g.node('Sigmoid', [e.conv(e.silu(e.conv(e.g.node('GlobalAveragePool', [h]), `${child}.fc1`)), `${child}.fc2`)]);
        h = e.g.node('Mul', [h, scale]);
        continue;
      }
      const w = e.tensor(`${child}.0.weight`);
      const kernel = w.shape[2];
      const y = e.conv(h, `${child}.0`, { stride: kernel > 1 ? stride : 1, pad: (kernel - 1) / 2, groups: width / w.shape[1], bn: `${child}.1` });
      h = convs.length > 1 && child === convs.at(-1) ? y : e.silu(y);
      width = w.shape[0];
    }
    x = e.unitEnd(children.length && stride === 1 && width === channels ? e.g.node('Add', [h, x]) : h);
    channels = width;
  }
  return x;
}

/** The first block of stages 2-4 halves the resolution (torchvision and kenshohara: layerS.0, S > 1). */
const strideOf = (unit: string) => (/^layer[2-9]\.0$/.test(unit) ? 2 : 1);

/** A residual block's output: relu(branch + identity), the identity projected where the block has a downsample. */
function residual(e: Emitter, x: string, branch: string, downsample: string, stride: number): string {
  const identity = e.has(`${downsample}.0.weight`) ? e.conv(x, `${downsample}.0`, { stride, bn: `${downsample}.1` }) : x;
  return e.relu(e.g.node('Add', [branch, identity]));
}

/** torchvision's video ResNet (R3D-18): a (3,7,7) stem with stride (1,2,2) and no pool, then 3D basic blocks. */
function r3d(e: Emitter, x: string): string {
  x = e.unitEnd(e.relu(e.conv(x, 'stem.0', { stride: [1, 2, 2], pad: [1, 3, 3], bn: 'stem.1' })));
  for (const unit of e.source.card.units.slice(1, e.source.k)) {
    const stride = strideOf(unit);
    const h = e.relu(e.conv(x, `${unit}.conv1.0`, { stride, pad: 1, bn: `${unit}.conv1.1` }));
    x = e.unitEnd(residual(e, x, e.conv(h, `${unit}.conv2.0`, { pad: 1, bn: `${unit}.conv2.1` }), `${unit}.downsample`, stride));
  }
  return x;
}

/** kenshohara/3D-ResNets (basic, bottleneck, ResNeXt): a 7^3 stem with stride (1,2,2), a 3^3 max-pool, then blocks. */
function resnet3d(e: Emitter, x: string): string {
  x = e.unitEnd(e.maxPool(e.relu(e.conv(x, 'conv1', { stride: [1, 2, 2], pad: 3, bn: 'bn1' })), { pad: 1, ceil: false, dims: 3 }));
  const { block, cardinality } = e.source.card.arch;
  for (const unit of e.source.card.units.slice(1, e.source.k)) {
    const stride = strideOf(unit);
    let h: string;
    if (block === 'basic') {
      h = e.relu(e.conv(x, `${unit}.conv1`, { stride, pad: 1, bn: `${unit}.bn1` }));
      h = e.conv(h, `${unit}.conv2`, { pad: 1, bn: `${unit}.bn2` });
    } else {
      h = e.relu(e.conv(x, `${unit}.conv1`, { bn: `${unit}.bn1` }));
      h = e.relu(e.conv(h, `${unit}.conv2`, { stride, pad: 1, groups: block === 'resnext' ? cardinality : 1, bn: `${unit}.bn2` }));
      h = e.conv(h, `${unit}.conv3`, { bn: `${unit}.bn3` });
    }
    x = e.unitEnd(residual(e, x, h, `${unit}.downsample`, stride));
  }
  return x;
}

/**
 * PENet (cpp/models/penet.cpp): a 7^3 stem (GroupNorm, LeakyReLU) with stride (1,2,2) and a 3^3 max-pool, then
 * ResNeXt bottlenecks with GroupNorm whose last norm's output is gated by squeeze-excitation before the sum
 * (penet_bottleneck.cpp). Stochastic depth drops blocks only in training, so eval always adds the branch.
 */
function penet(e: Emitter, x: string): string {
  const normed = (v: string, conv: string, norm: string, options: ConvOptions = {}) => e.groupNorm(e.conv(v, conv, options), norm);
  x = e.unitEnd(e.maxPool(e.leakyRelu(normed(x, 'in_conv.0', 'in_conv.1', { stride: [1, 2, 2], pad: 3 })), { pad: 1, ceil: false, dims: 3 }));
  for (const unit of e.source.card.units.slice(1, e.source.k)) {
    const stride = /^encoders\.[1-9]\.penet_blocks\.0$/.test(unit) ? 2 : 1;
    const skip = e.has(`${unit}.down_sample.0.weight`) ? normed(x, `${unit}.down_sample.0`, `${unit}.down_sample.1`, { stride }) : x;
    let h = e.leakyRelu(normed(x, `${unit}.conv1`, `${unit}.norm1`));
    h = e.leakyRelu(normed(h, `${unit}.conv2`, `${unit}.norm2`, { stride, pad: 1, groups: e.source.card.arch.cardinality }));
    h = squeezeExcite(e, normed(h, `${unit}.conv3`, `${unit}.norm3`), `${unit}.se_block`);
    x = e.unitEnd(e.leakyRelu(e.g.node('Add', [h, skip])));
  }
  return x;
}

/** Squeeze-excitation (cpp/models/se_block.cpp): x times a per-channel gate from its global average. */
function squeezeExcite(e: Emitter, x: string, block: string): string {
  const hidden = e.leakyRelu(e.pointwiseLinear(e.g.node('GlobalAveragePool', [x]), `${block}.excite.0`));
  return e.g.node('Mul', [x, e.g.node('Sigmoid', [e.pointwiseLinear(hidden, `${block}.excite.2`)])]);
}

const BACKBONES: Record<string, (e: Emitter, x: string) => string> = { resnet, resnet_v2: resnetV2, squeezenet, densenet, r3d, resnet3d, penet, efficientnet };
// Families whose cut units output un-normalised features: the head's norm is followed by a ReLU.
const PRE_ACTIVATION = new Set(['resnet_v2', 'densenet', 'efficientnet']);

/**
 * The units whose outputs feed the U-Net decoder, shallowest first (BackboneImpl::build_decoder): the last kept
 * unit of each block, where two block ends share a resolution (ResNet's stem and layer1) the deeper one.
 */
function skipUnits(units: ExportSource['units']): number[] {
  const skips: number[] = [];
  units.forEach((unit, i) => {
    if (i + 1 < units.length && units[i + 1].block === unit.block) return;
    if (skips.length && units[skips.at(-1)!].reduction === unit.reduction) skips.pop();
    skips.push(i);
  });
  return skips;
}

/** One decoder stage (cpp/models/decoder_block.cpp): upsampled to the skip and joined with it, then two conv + BN + ReLU. */
function decoderBlock(e: Emitter, x: string, block: string, skip?: string): string {
  if (skip) x = e.g.node('Concat', [e.resizeLike(x, skip), skip], { axis: 1 });
  x = e.relu(e.conv(x, `${block}.conv1.0`, { pad: 1, bn: `${block}.conv1.1` }));
  return e.relu(e.conv(x, `${block}.conv2.0`, { pad: 1, bn: `${block}.conv2.1` }));
}

/**
 * The U-Net decoder (cpp/models/unet_decoder.cpp): from the deepest kept block end, one stage per shallower
 * block end, a refining stage without a skip, a 1x1 classifier, and the logits resized to the input's size.
 */
function unetDecoder(e: Emitter, image: string): string {
  const skips = skipUnits(e.source.units).map((i) => e.unitOutputs[i]);
  let x = skips.at(-1)!;
  for (let j = 0; j < skips.length - 1; j++) x = decoderBlock(e, x, `decoder.blocks.${j}`, skips[skips.length - 2 - j]);
  if (e.has(`decoder.blocks.${skips.length - 1}.conv1.0.weight`)) throw new TtlError('E_INTERNAL', `export: the U-Net decoder has more stages than the ${skips.length} kept block ends need`);
  return e.resizeLike(e.conv(decoderBlock(e, x, 'decoder.final'), 'decoder.classifier'), image);
}

/** The backbone families the exporter writes (the others are refused by name). */
export const EXPORTABLE_FAMILIES = Object.keys(BACKBONES);

/**
 * Writes `source`'s network into `g` from input `image` [batch, C, (depth,) height, width]: outputs `logits` and
 * `probabilities` [batch, classes] (classification heads; a sigmoid per label for a multi-label network); `logits` and `probabilities` [batch, classes, (depth,)
 * height, width] and `mask` [batch, (depth,) height, width] (int64, the most probable class per pixel or voxel) for
 * the U-Net head; or `features` (head 'none').
 */
export function emitNetwork(g: OnnxGraph, source: ExportSource, options: { foldBatchNorm: boolean }): void {
  const { card, head } = source;
  const backbone = BACKBONES[card.family];
  if (!backbone) throw new TtlError('E_EXPORT_UNSUPPORTED', `ONNX export of ${card.name} (${card.family}) is not written yet; exportable families: ${EXPORTABLE_FAMILIES.join(', ')}`);
  const e = new Emitter(g, source, options.foldBatchNorm);
  const spatial = card.input.frames ? ['depth', 'height', 'width'] : ['height', 'width'];
  const image = g.input('image', ['batch', card.input.channels, ...spatial]);
  const features = backbone(e, image);
  if (head === 'unet') {
    g.node('Identity', [unetDecoder(e, image)], {}, 'logits');
    g.node('Softmax', ['logits'], { axis: 1 }, 'probabilities');
    // The predictor's mask: the first most probable class (ArgMax keeps the first of equal values too).
    g.node('ArgMax', ['probabilities'], { axis: 1, keepdims: 0 }, 'mask');
    g.output('logits', ['batch', source.numClasses, ...spatial]);
    g.output('probabilities', ['batch', source.numClasses, ...spatial]);
    g.output('mask', ['batch', ...spatial], 'int64');
    return;
  }
  if (head === 'none') {
    g.node('Identity', [features], {}, 'features');
    g.output('features', ['batch', 'channels', ...spatial.map((d) => `out_${d}`)]);
    return;
  }
  let logits: string;
  if (head === 'original' && card.family === 'squeezenet') {
    // SqueezeNet's own classifier: dropout (identity in eval), a 1x1 convolution, ReLU, global average pool.
    logits = g.node('Flatten', [g.node('GlobalAveragePool', [e.relu(e.conv(features, 'classifier.1'))])], { axis: 1 });
  } else {
    // EfficientNet's own classifier is classifier.1 (after a dropout, identity in eval).
    const linear = e.has('fc.weight') ? 'fc' : e.has('classifier.1.weight') ? 'classifier.1' : 'classifier';
    logits = e.pooledLinear(features, linear, e.has(`${HEAD_NORM}.weight`) ? HEAD_NORM : undefined, PRE_ACTIVATION.has(card.family));
  }
  g.node('Identity', [logits], {}, 'logits');
  // A multi-label network's labels are independent: a sigmoid each, as the native predict and evaluation.
  if (source.multiLabel) g.node('Sigmoid', ['logits'], {}, 'probabilities');
  else g.node('Softmax', ['logits'], { axis: 1 }, 'probabilities');
  g.output('logits', ['batch', source.numClasses]);
  g.output('probabilities', ['batch', source.numClasses]);
}
