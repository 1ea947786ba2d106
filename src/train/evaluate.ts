// The validation pass both tasks share: native evaluation of a split's chunks, rows joined in order and the
// loss reduced over the whole split. Native code computes the loss with the trainer's own cross-entropy and
// class weights, so validation loss and training loss measure the same thing.
import type { Model } from '../model.js';
import type { NativePipelineOptions, NativeStore } from '../native/binding.js';
import { concatRows } from './chunks.js';

export interface SplitEvaluation {
  /** [N, C] class probabilities, or per image [Dice, Jaccard] for a segmentation network. */
  scores: { data: Float64Array; shape: number[] };
  /** Class-weighted cross-entropy over every target of the split (labels, or mask pixels/voxels). */
  loss: number;
}

/** Evaluates the chunks one native call each, so other calls interleave between them. */
export async function evaluateSplit(model: Model, chunks: NativeStore | NativeStore[], pipeline: NativePipelineOptions, batchSize: number): Promise<SplitEvaluation> {
  const parts = [];
  for (const chunk of Array.isArray(chunks) ? chunks : [chunks]) parts.push(await model.evaluateStore(chunk, pipeline, batchSize));
  let sum = 0, weight = 0;
  for (const { loss } of parts) {
    for (let i = 0; i < loss.data.length; i += 2) {
      sum += loss.data[i];
      weight += loss.data[i + 1];
    }
  }
  return { scores: concatRows(parts.map((p) => p.scores)), loss: sum / weight };
}
