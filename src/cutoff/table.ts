import { blockOf } from './resolve.js';
import { createModel, type Device } from '../model.js';
import { renamed } from '../deprecated.js';

export interface CutoffRow {
  k: number;
  unit: string;
  block: number;
  blockEnd: boolean;
  outShape: number[];
  /** Truncated backbone (units 1..k). */
  params: number;
  macs: number;
  /** Backbone + TTL head (global average pool + linear to numClasses; counted natively). */
  ttlParams: number;
  ttlMacs: number;
}

/** Per cutoff k: output shape, params and MACs of the truncated backbone and with a TTL head. */
export async function cutoffTable(
  name: string,
  options: { imageSize?: number; /** @deprecated since 0.2.0, removed in 0.3.0: use `imageSize` */ inputSize?: number; frames?: number; numClasses?: number; device?: Device } = {},
): Promise<CutoffRow[]> {
  const numClasses = options.numClasses ?? 2;
  const model = await createModel({ model: name, head: 'none', device: options.device ?? 'cpu' });
  const size = renamed<number>(options, 'cutoffTable options', 'imageSize', 'inputSize') ?? model.card.input.size;
  const frames = model.card.input.frames ? [options.frames ?? model.card.input.frames] : [];
  const shape = [model.card.input.channels, ...frames, size, size];
  try {
    const complexity = await model.complexity(shape, { numClasses });
    return complexity.units.map((u, i) => {
      const k = i + 1;
      return {
        k, unit: model.card.units[i], block: blockOf(model.card, k), blockEnd: model.card.blocks.includes(k),
        outShape: u.outShape, params: u.params, macs: u.macs, ttlParams: u.params + u.headParams, ttlMacs: u.macs + u.headMacs,
      };
    });
  } finally {
    model.dispose();
  }
}
