// PyTorch checkpoints (torch.save): the zip format (PyTorch >= 1.6) and the legacy stream format that
// older torchvision checkpoints use. Only state dicts of tensors are read; no code is ever executed.
import { readFileSync } from 'node:fs';
import { TtlError } from '../errors.js';
import { PyTuple, unpickle, type PyValue } from './pickle.js';
import type { SafeTensor } from './safetensors.js';
import { isZip, readZip } from '../fs/zip.js';

const STORAGES: Record<string, { dtype: string; bytes: number }> = {
  FloatStorage: { dtype: 'F32', bytes: 4 },
  DoubleStorage: { dtype: 'F64', bytes: 8 },
  HalfStorage: { dtype: 'F16', bytes: 2 },
  BFloat16Storage: { dtype: 'BF16', bytes: 2 },
  LongStorage: { dtype: 'I64', bytes: 8 },
  IntStorage: { dtype: 'I32', bytes: 4 },
  ShortStorage: { dtype: 'I16', bytes: 2 },
  CharStorage: { dtype: 'I8', bytes: 1 },
  ByteStorage: { dtype: 'U8', bytes: 1 },
  BoolStorage: { dtype: 'BOOL', bytes: 1 },
};
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

class StorageType {
  constructor(readonly name: string, readonly dtype: string, readonly bytes: number) {}
}

class Storage {
  constructor(readonly type: StorageType, readonly key: string, public data?: Uint8Array) {}
}

class TensorRef {
  constructor(readonly storage: Storage, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}

function resolveGlobal(where: string) {
  return (module: string, name: string): ((...args: PyValue[]) => PyValue) => {
    if (module === 'collections' && name === 'OrderedDict') return () => new Map();
    if (module === 'torch' && name in STORAGES) {
      const type = new StorageType(name, STORAGES[name].dtype, STORAGES[name].bytes);
      return Object.assign(() => type, { storageType: type });
    }
    if (module === 'torch._utils' && (name === '_rebuild_tensor_v2' || name === '_rebuild_tensor'))
      return (storage, offset, shape, stride) =>
        new TensorRef(storage as Storage, offset as number, [...(shape as number[])], [...(stride as number[])]);
    if (module === 'torch._utils' && name === '_rebuild_parameter') return (data) => data;
    throw new TtlError('E_BAD_WEIGHTS', `${where}: the checkpoint refers to ${module}.${name}; only state dicts of tensors can be read`);
  };
}

function storageTypeOf(value: PyValue, where: string): StorageType {
  const type = (value as { storageType?: StorageType })?.storageType;
  if (!type) throw new TtlError('E_BAD_WEIGHTS', `${where}: unknown storage type in a persistent id`);
  return type;
}

/** Copies a (possibly strided) view out of its storage into a contiguous buffer. */
function materialise(name: string, t: TensorRef, where: string): SafeTensor {
  const { bytes } = t.storage.type;
  const data = t.storage.data;
  if (!data) throw new TtlError('E_BAD_WEIGHTS', `${where}: storage ${t.storage.key} of ${name} has no data`);
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(numel * bytes);
  const index = new Array(t.shape.length).fill(0);
  for (let i = 0; i < numel; i++) {
    let element = t.offset;
    for (let d = 0; d < index.length; d++) element += index[d] * t.stride[d];
    if ((element + 1) * bytes > data.length) throw new TtlError('E_BAD_WEIGHTS', `${where}: tensor ${name} reads past its storage`);
    out.set(data.subarray(element * bytes, (element + 1) * bytes), i * bytes);
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  return { name, dtype: t.storage.type.dtype, shape: t.shape, data: out };
}

function isContiguous(t: TensorRef): boolean {
  let expected = 1;
  for (let d = t.shape.length - 1; d >= 0; d--) {
    if (t.shape[d] !== 1 && t.stride[d] !== expected) return false;
    expected *= t.shape[d];
  }
  return true;
}

function tensorEntry(name: string, t: TensorRef, where: string): SafeTensor {
  if (!isContiguous(t) || !t.storage.data) return materialise(name, t, where);
  const { bytes } = t.storage.type;
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const begin = t.offset * bytes;
  if (begin + numel * bytes > t.storage.data.length)
    throw new TtlError('E_BAD_WEIGHTS', `${where}: tensor ${name} reads past its storage`);
  return { name, dtype: t.storage.type.dtype, shape: t.shape, data: t.storage.data.subarray(begin, begin + numel * bytes) };
}

/** The state dict inside a checkpoint: the top-level dict, or one under 'state_dict' / 'model'. */
function stateDictOf(value: PyValue, where: string): Map<PyValue, PyValue> {
  if (!(value instanceof Map)) throw new TtlError('E_BAD_WEIGHTS', `${where}: expected a state dict (a dict of tensors)`);
  if ([...value.values()].some((v) => v instanceof TensorRef)) return value;
  for (const key of ['state_dict', 'model']) if (value.get(key) instanceof Map) return stateDictOf(value.get(key), where);
  throw new TtlError('E_BAD_WEIGHTS', `${where}: the checkpoint holds no tensors`);
}

function toEntries(value: PyValue, where: string): SafeTensor[] {
  return [...stateDictOf(value, where)]
    .filter(([, v]) => v instanceof TensorRef)
    .map(([k, v]) => tensorEntry(String(k), v as TensorRef, where));
}

function readZipCheckpoint(bytes: Uint8Array, where: string): SafeTensor[] {
  const entries = readZip(bytes, where);
  const pkl = [...entries.keys()].find((n) => n.endsWith('/data.pkl'));
  if (!pkl) throw new TtlError('E_BAD_WEIGHTS', `${where}: not a readable PyTorch checkpoint (no data.pkl in the archive)`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: PyValue) => {
    const [kind, type, key] = pid as PyTuple;
    if (kind !== 'storage') throw new TtlError('E_BAD_WEIGHTS', `${where}: unknown persistent id ${String(kind)}`);
    const k = String(key);
    if (!storages.has(k)) {
      const entry = entries.get(`${prefix}data/${k}`);
      if (!entry) throw new TtlError('E_BAD_WEIGHTS', `${where}: storage ${k} is missing from the archive`);
      storages.set(k, new Storage(storageTypeOf(type, where), k, entry.data));
    }
    return storages.get(k);
  };
  const { value } = unpickle(entries.get(pkl)!.data, 0, resolveGlobal(where), persistentLoad, where);
  return toEntries(value, where);
}

function readLegacyCheckpoint(bytes: Uint8Array, where: string): SafeTensor[] {
  const noGlobals = resolveGlobal(where);
  const none = () => {
    throw new TtlError('E_BAD_WEIGHTS', `${where}: unexpected persistent id in the header`);
  };
  let pos = 0;
  const next = (persistentLoad: (pid: PyValue) => PyValue = none) => {
    const r = unpickle(bytes, pos, noGlobals, persistentLoad, where);
    pos = r.end;
    return r.value;
  };
  if (next() !== LEGACY_MAGIC)
    throw new TtlError('E_BAD_WEIGHTS', `${where}: not a readable PyTorch checkpoint (neither a zip archive nor the legacy format)`);
  next(); // protocol version
  next(); // sys info
  const storages = new Map<string, Storage>();
  const value = next((pid) => {
    const [kind, type, key] = pid as PyTuple;
    if (kind !== 'storage') throw new TtlError('E_BAD_WEIGHTS', `${where}: unknown persistent id ${String(kind)}`);
    if (!storages.has(String(key))) storages.set(String(key), new Storage(storageTypeOf(type, where), String(key)));
    return storages.get(String(key));
  });
  const keys = next() as string[];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys) {
    const storage = storages.get(String(key));
    if (!storage || pos + 8 > bytes.length) throw new TtlError('E_BAD_WEIGHTS', `${where}: storage ${key} is missing or truncated`);
    const numel = Number(view.getBigInt64(pos, true));
    pos += 8;
    const length = numel * storage.type.bytes;
    if (pos + length > bytes.length) throw new TtlError('E_BAD_WEIGHTS', `${where}: storage ${key} is truncated`);
    storage.data = bytes.subarray(pos, pos + length);
    pos += length;
  }
  return toEntries(value, where);
}

/** Reads the tensors of a torch.save'd state dict (zip or legacy format). */
export function readPth(path: string): SafeTensor[] {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new TtlError('E_NO_FILE', `cannot open weights file ${path}: ${(e as Error).message}`);
  }
  return isZip(bytes) ? readZipCheckpoint(bytes, path) : readLegacyCheckpoint(bytes, path);
}
