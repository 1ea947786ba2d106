// ttl-torch/analysis: SVCCA between networks, linear probes per unit, Grad-CAM; and the run-level analyses that
// `ttl-torch run` writes next to its table.
export { cca, svcca, svdReduce, svccaOfReduced, sumThreshold, type Activations, type CcaResult, type SvccaOptions, type SvccaResult } from './svcca.js';
export { probeUnits, type ProbeScore, type ProbeOptions } from './probes.js';
export { gradCam, writeOverlay, writeMontage, overlayPixels } from './gradcam.js';
export { runSvcca, type RunSvcca, type UnitSvcca } from '../run/analyses/svcca.js';
export { runGradcamFigure } from '../run/analyses/gradcam.js';
