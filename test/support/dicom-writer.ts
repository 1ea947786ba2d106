// Writes small explicit-VR little-endian DICOM files for tests (real files for the real parser).
import { element, us } from './dicom-element.mjs';

export interface DicomSpec {
  rows: number;
  columns: number;
  pixels: Int16Array | Uint16Array;
  photometric?: 'MONOCHROME1' | 'MONOCHROME2';
  slope?: number;
  intercept?: number;
  window?: [number, number];
  transferSyntax?: string;
  position?: number[];
  orientation?: number[];
  pixelSpacing?: number[];
}

export function dicomBytes(spec: DicomSpec): Buffer {
  const syntax = spec.transferSyntax ?? '1.2.840.10008.1.2.1';
  const metaBody = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', Buffer.from('1.2.840.10008.5.1.4.1.1.7')),
    element(0x0002, 0x0003, 'UI', Buffer.from('1.2.3.4.5.6.7')),
    element(0x0002, 0x0010, 'UI', Buffer.from(syntax)),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(metaBody.length);
  const signed = spec.pixels instanceof Int16Array;
  const ds = (v: number[]) => Buffer.from(v.join('\\'));
  const parts = [
    ...(spec.position ? [element(0x0020, 0x0032, 'DS', ds(spec.position))] : []),
    ...(spec.orientation ? [element(0x0020, 0x0037, 'DS', ds(spec.orientation))] : []),
    element(0x0028, 0x0002, 'US', us(1)),
    element(0x0028, 0x0004, 'CS', Buffer.from(spec.photometric ?? 'MONOCHROME2')),
    element(0x0028, 0x0010, 'US', us(spec.rows)),
    element(0x0028, 0x0011, 'US', us(spec.columns)),
    ...(spec.pixelSpacing ? [element(0x0028, 0x0030, 'DS', ds(spec.pixelSpacing))] : []),
    element(0x0028, 0x0100, 'US', us(16)),
    element(0x0028, 0x0101, 'US', us(16)),
    element(0x0028, 0x0102, 'US', us(15)),
    element(0x0028, 0x0103, 'US', us(signed ? 1 : 0)),
  ];
  if (spec.window) {
    parts.push(element(0x0028, 0x1050, 'DS', Buffer.from(String(spec.window[0]))));
    parts.push(element(0x0028, 0x1051, 'DS', Buffer.from(String(spec.window[1]))));
  }
  if (spec.intercept !== undefined) parts.push(element(0x0028, 0x1052, 'DS', Buffer.from(String(spec.intercept))));
  if (spec.slope !== undefined) parts.push(element(0x0028, 0x1053, 'DS', Buffer.from(String(spec.slope))));
  parts.push(element(0x7fe0, 0x0010, 'OW', Buffer.from(spec.pixels.buffer, spec.pixels.byteOffset, spec.pixels.byteLength)));
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), element(0x0002, 0x0000, 'UL', groupLength), metaBody, ...parts]);
}
