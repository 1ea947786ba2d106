// int8 serving (Model.quantizeForInference, loadPredictor's precision 'int8'): what it can quantize, checked in
// TypeScript before any native work; the native side (cpp/engine/int8_resnet.cpp) checks again.
import { TtlError } from './errors.js';
import { getModelCard, listModels, type HeadKind, type ModelCard } from './registry.js';

/** LibTorch's quantized CPU engines; 'auto' takes the fastest this build has (the addon's preference list). */
export const QUANTIZED_ENGINES = ['auto', 'onednn', 'x86', 'fbgemm', 'qnnpack'] as const;
export type QuantizedEngine = (typeof QUANTIZED_ENGINES)[number];

// The int8 copy is written against ResNet v1's structure (conv-bn-relu branches, a projection shortcut, add+ReLU).
const INT8_FAMILY = 'resnet';

/** Throws E_INT8_UNSUPPORTED, naming the model and what is supported, unless int8 serving can run it. */
export function checkInt8Supported(card: ModelCard, head: HeadKind, device: string): void {
  const supported = `int8 serving supports ResNet v1 classifiers (${listModels().filter((m) => getModelCard(m).family === INT8_FAMILY).join(', ')}) with a 'linear' or 'original' head, on the CPU`;
  if (card.family !== INT8_FAMILY) throw new TtlError('E_INT8_UNSUPPORTED', `${supported}; ${card.name} is a '${card.family}' network`);
  if (head !== 'linear' && head !== 'original') throw new TtlError('E_INT8_UNSUPPORTED', `${supported}; this ${card.name} has head '${head}'`);
  if (device !== 'cpu') throw new TtlError('E_INT8_UNSUPPORTED', `${supported}; this ${card.name} is on ${device}`);
}
