// A declared minimum input size is tight: the full network runs at minSize and LibTorch refuses
// minSize - 1; the run configuration refuses smaller sizes itself, naming the minimum.
import { describe, expect, it } from 'vitest';
import { createModel, getModelCard, listModels } from '../../src/index.js';
import { checkConfig } from '../../src/run/index.js';

const declared = listModels().filter((name) => getModelCard(name).input.minSize);

describe('minimum image size per model', () => {
  it('is declared where the full network needs more than 1 px', () => {
    expect(declared).toEqual(['densenet121', 'densenet169', 'densenet201', 'squeezenet1_1']);
  });

  it.each(declared)('%s runs at minSize and not below', async (name) => {
    const min = getModelCard(name).input.minSize!;
    const model = await createModel({ model: name, numClasses: 2, device: 'cpu' });
    try {
      const at = (s: number) => model.forward(new Float32Array(2 * 3 * s * s), [2, 3, s, s]);
      await expect(at(min)).resolves.toBeDefined();
      await expect(at(min - 1)).rejects.toThrow();
    } finally {
      model.dispose();
    }
  });

  it('a run below the minimum is refused before anything runs, naming the minimum', () => {
    expect(() => checkConfig({ model: 'squeezenet1_1', imageSize: 16 })).toThrow(
      expect.objectContaining({ code: 'E_BAD_ARGUMENT', message: 'imageSize 16 is too small for squeezenet1_1: its layers need at least 17 px' }));
    expect(checkConfig({ model: 'squeezenet1_1', imageSize: 17 }).imageSize).toBe(17);
  });
});
