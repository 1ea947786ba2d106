// The shared real sets that the training studies (npm run bench -- defaults, bf16) train on, each with its models
// and an epoch budget that keeps a float32 study to about an hour on 2 cores.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getModelCard } from '../dist/index.js';
import { loadDataset } from '../dist/data/index.js';

export const shared = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared');

export const STUDY_SETS = {
  breastmnist: { path: join(shared, 'data', 'breastmnist', 'breastmnist.npz'), models: ['squeezenet1_1', 'resnet50_v2'], epochs: 10 },
  pneumoniamnist: { path: join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz'), models: ['squeezenet1_1'], epochs: 3 },
  bccd: { path: join(shared, 'data', 'bccd-cells', 'crops64_labels.csv'), models: ['squeezenet1_1'], epochs: 3, options: { columns: { label: 'label_name' } } },
  adrenal: { path: join(shared, 'data', 'adrenalmnist3d', 'adrenalmnist3d.npz'), models: ['resnet3d_18'], epochs: 4, size: 28 },
};

/**
 * Each (set, model) of `sets` (comma-separated names) whose model `models` (comma-separated, or undefined for all)
 * keeps, with the set decoded at its size (`size` for 2D sets without their own) and the model's card.
 */
export async function* studyCases(sets, models, size) {
  for (const name of sets.split(',')) {
    const set = STUDY_SETS[name];
    if (!set) throw new Error(`unknown set ${name}: ${Object.keys(STUDY_SETS).join(', ')}`);
    const side = set.size ?? size;
    for (const model of set.models.filter((m) => !models || models.split(',').includes(m))) {
      const card = getModelCard(model);
      const volumetric = Boolean(card.input.frames);
      const { dataset } = await loadDataset(set.path, { size: side, seed: 0, ...set.options, ...(volumetric ? { volumeShape: [side, side, side] } : {}) });
      yield { name, set, model, card, dataset, size: side, weights: card.weights.imagenet ? 'imagenet' : undefined };
    }
  }
}
