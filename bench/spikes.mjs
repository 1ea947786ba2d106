// What the defaults study calls a loss spike, so the bench checks "no default run spikes" instead of an eye.
// A training batch after the first epoch spikes when its loss is both
//   - a jump: above RATIO x the median of the WINDOW batch losses before it (its recent level of training), and
//   - bad in absolute terms: above ln(C) x MARGIN, where ln(C) is the loss of a uniform guess over C classes
//     (what a zero-initialised head starts at), i.e. the batch is predicted worse than by not knowing at all.
// The first epoch is left out: a new head starts near ln(C) and warm-up is still raising the LR.
// The relative test keeps ordinary late-training noise on a near-zero median from counting (0.05 -> 0.4 is a
// jump, but a batch that still beats a guess); the absolute one keeps a uniformly slow start from counting.
export const SPIKE = { window: 18, ratio: 3, margin: 2 };

/**
 * losses: [{ epoch, loss }] in training order; classes: C. Returns the worst batch after epoch 1
 * (largest loss / threshold) and whether it crossed the threshold.
 */
export function lossSpike(losses, classes, { window, ratio, margin } = SPIKE) {
  const floor = Math.log(classes) * margin;
  let worst = { spike: false, loss: 0, threshold: NaN, score: 0, epoch: 0, index: -1 };
  for (let i = 0; i < losses.length; i++) {
    if (losses[i].epoch <= 1 || i < window) continue;
    const threshold = Math.max(floor, ratio * median(losses.slice(i - window, i).map((b) => b.loss)));
    const score = losses[i].loss / threshold;
    if (score > worst.score) worst = { spike: score > 1, loss: losses[i].loss, threshold, score, epoch: losses[i].epoch, index: i };
  }
  return worst;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
