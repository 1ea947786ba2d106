// Enhanced multi-frame objects (enhanced CT/MR/XA, PS3.3 C.7.6.16) keep per-frame attributes in functional groups:
// a macro is looked up in the frame's item of the Per-frame Functional Groups Sequence (5200,9230), else in the
// Shared Functional Groups Sequence (5200,9229). Reading the top level only leaves such a CT without its rescale.
import type dicomParser from 'dicom-parser';

/** The data set of `macro` (a sequence tag, e.g. x00289145 Pixel Value Transformation) that applies to `frame`. */
export function frameMacro(data: dicomParser.DataSet, frame: number, macro: string): dicomParser.DataSet | undefined {
  const own = data.elements.x52009230?.items?.[frame]?.dataSet?.elements[macro]?.items?.[0]?.dataSet;
  return own ?? data.elements.x52009229?.items?.[0]?.dataSet?.elements[macro]?.items?.[0]?.dataSet;
}

export const MACRO = {
  pixelMeasures: 'x00289110',
  planePosition: 'x00209113',
  planeOrientation: 'x00209116',
  pixelValueTransformation: 'x00289145',
} as const;
