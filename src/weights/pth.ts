// PyTorch checkpoints (torch.save): the zip format (PyTorch >= 1.6) and the legacy stream format that
// older torchvision checkpoints use. Only state dicts of tensors are read; no code is ever executed.
import { readFile } from 'node:fs/promises';
import { TtlError } from '../errors.js';
import { PyObject, unpickle, type PyValue } from './pickle.js';
import type { SafeTensor } from './safetensors.js';
import { checkpointZip, failure, inflateEntry, isZip, listZip, type StoredEntry } from '../fs/zip.js';

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

/** A storage's bytes: in the legacy format a view of the file; in the zip format an archive entry, inflated on demand. */
class Storage {
  constructor(readonly type: StorageType, readonly key: string, public data?: Uint8Array, readonly entry?: StoredEntry) {}
}

class TensorRef {
  constructor(readonly storage: Storage, readonly offset: number, readonly shape: number[], readonly stride: number[]) {}
}

const MAX_RANK = 16;
/**
 * The largest pickle (data.pkl) read: a state dict's is about 100 bytes per tensor (ResNet-152's 1.2k tensors:
 * under 200 kB), so 16 MiB is 80x what any network here needs, while a 0.6 MB file whose pickle inflates to
 * 600 MB is refused before it is inflated.
 */
export const MAX_PICKLE_BYTES = 16 * 1024 ** 2;
const MAX_STATE_DICT_DEPTH = 4;

const isIndex = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Arguments of torch._utils._rebuild_tensor(_v2), checked before anything is allocated. */
function tensorRef(where: string, storage: PyValue, offset: PyValue, shape: PyValue, stride: PyValue): TensorRef {
  const fail = (what: string) => new TtlError('E_BAD_WEIGHTS', `${where}: a tensor in the checkpoint has ${what}`);
  if (!(storage instanceof Storage)) throw fail('no storage');
  if (!isIndex(offset)) throw fail(`storage offset ${String(offset)}, not a non-negative integer`);
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every(isIndex)) throw fail('an invalid shape (not a list of non-negative integers)');
  if (!Array.isArray(stride) || stride.length !== shape.length || !stride.every(Number.isSafeInteger))
    throw fail(`strides that do not match its shape [${shape.length} dims]`);
  if (stride.some((s) => (s as number) < 0)) throw fail(`negative strides [${stride.join(', ')}]`);
  return new TensorRef(storage, offset, [...shape], [...(stride as number[])]);
}

/**
 * The modules whose classes a whole pickled model (torch.save(model), as TorchXRayVision publishes its models) may
 * name: their instances become PyObjects holding their __dict__, and nothing of the class runs.
 */
const MODULE_CLASSES = /^(torch\.nn\.modules|torchvision\.models|torchxrayvision)(\.\w+)*$/;
/** How deep modules may nest in a pickled model (torchvision's deepest is 4). */
const MAX_MODULE_DEPTH = 32;

function resolveGlobal(where: string) {
  return (module: string, name: string): ((...args: PyValue[]) => PyValue) => {
    if (module === 'collections' && name === 'OrderedDict') return () => new Map();
    // A module's _non_persistent_buffers_set.
    if ((module === '__builtin__' || module === 'builtins') && name === 'set') return (items) => new Set(Array.isArray(items) ? items : []);
    if (MODULE_CLASSES.test(module) && /^\w+$/.test(name)) return () => new PyObject(`${module}.${name}`);
    // hasOwn, not `in`: names like __proto__ or constructor must not pass the allow-list.
    if (module === 'torch' && Object.hasOwn(STORAGES, name)) {
      const type = new StorageType(name, STORAGES[name].dtype, STORAGES[name].bytes);
      return Object.assign(() => type, { storageType: type });
    }
    if (module === 'torch._utils' && (name === '_rebuild_tensor_v2' || name === '_rebuild_tensor'))
      return (storage, offset, shape, stride) => tensorRef(where, storage, offset, shape, stride);
    if (module === 'torch._utils' && name === '_rebuild_parameter') return (data) => data;
    throw new TtlError('E_BAD_WEIGHTS', `${where}: the checkpoint refers to ${module}.${name}; only state dicts of tensors and pickled torch.nn models can be read`);
  };
}

function storageTypeOf(value: PyValue, where: string): StorageType {
  const type = (value as { storageType?: StorageType })?.storageType;
  if (!(type instanceof StorageType)) throw new TtlError('E_BAD_WEIGHTS', `${where}: unknown storage type in a persistent id`);
  return type;
}

/**
 * Checks a view against its storage before any copy: it must read inside the storage and hold no more
 * elements than the storage (a stride-0 view of a 600-byte file must not become gigabytes).
 */
/** The storage element a view reads last (strides are checked non-negative): offset + sum (size - 1) * stride. */
function lastElement(t: TensorRef): number {
  let last = t.offset;
  for (let d = 0; d < t.shape.length; d++) last += Math.max(0, t.shape[d] - 1) * t.stride[d];
  return last;
}

function checkView(name: string, t: TensorRef, where: string): Uint8Array {
  const data = t.storage.data;
  if (!data) throw new TtlError('E_BAD_WEIGHTS', `${where}: storage ${t.storage.key} of ${name} has no data`);
  const elements = Math.floor(data.length / t.storage.type.bytes);
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const last = lastElement(t);
  if (numel > elements)
    throw new TtlError('E_BAD_WEIGHTS', `${where}: tensor ${name} has shape [${t.shape}] (${numel} elements) but its storage ${t.storage.key} holds ${elements}`);
  if (numel > 0 && last >= elements)
    throw new TtlError('E_BAD_WEIGHTS', `${where}: tensor ${name} reads past its storage ${t.storage.key} (element ${last} of ${elements})`);
  return data;
}

/** Copies a (possibly strided) view out of its storage into a contiguous buffer. */
function materialise(name: string, t: TensorRef, where: string, data: Uint8Array): SafeTensor {
  const { bytes } = t.storage.type;
  const numel = t.shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(numel * bytes);
  const index = new Array(t.shape.length).fill(0);
  for (let i = 0; i < numel; i++) {
    let element = t.offset;
    for (let d = 0; d < index.length; d++) element += index[d] * t.stride[d];
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
  const data = checkView(name, t, where);
  if (!isContiguous(t)) return materialise(name, t, where, data);
  const { bytes } = t.storage.type;
  const begin = t.offset * bytes;
  const numel = t.shape.reduce((a, b) => a * b, 1);
  return { name, dtype: t.storage.type.dtype, shape: t.shape, data: data.subarray(begin, begin + numel * bytes) };
}

/**
 * The state dict inside a checkpoint: the top-level dict, or one under 'state_dict' / 'model', a few
 * levels at most (a loop, not recursion: a pickle can make a dict that contains itself).
 */
function stateDictOf(value: PyValue, where: string): Map<PyValue, PyValue> {
  if (value instanceof PyObject) return moduleStateDict(value, where);
  let dict = value;
  for (let depth = 0; depth < MAX_STATE_DICT_DEPTH; depth++) {
    if (!(dict instanceof Map)) break;
    for (const v of dict.values()) if (v instanceof TensorRef) return dict;
    const inner: PyValue = ['state_dict', 'model'].map((k) => (dict as Map<PyValue, PyValue>).get(k)).find((v) => v instanceof Map);
    if (!inner || inner === dict) break;
    dict = inner;
  }
  if (!(value instanceof Map)) throw new TtlError('E_BAD_WEIGHTS', `${where}: expected a state dict (a dict of tensors)`);
  throw new TtlError('E_BAD_WEIGHTS', `${where}: the checkpoint holds no tensors`);
}

/**
 * A whole pickled nn.Module's tensors under the names its state_dict() gives them: parameters and persistent
 * buffers of each module, children joined with dots. Plain tensor attributes (TorchXRayVision's op_threshs) are no
 * part of a state dict and are left out, as PyTorch leaves them out.
 */
function moduleStateDict(root: PyObject, where: string): Map<PyValue, PyValue> {
  const out = new Map<PyValue, PyValue>();
  const seen = new Set<PyObject>();
  const walk = (module: PyObject, prefix: string, depth: number) => {
    if (seen.has(module))
      throw new TtlError('E_BAD_WEIGHTS', `${where}: the pickled model reaches a module a second time at '${prefix.slice(0, -1)}' (a cycle, or one module under two names)`);
    if (depth > MAX_MODULE_DEPTH) throw new TtlError('E_BAD_WEIGHTS', `${where}: the pickled model nests modules more than ${MAX_MODULE_DEPTH} deep`);
    seen.add(module);
    const state = module.state;
    if (!(state instanceof Map)) return;
    const nonPersistent = state.get('_non_persistent_buffers_set');
    for (const field of ['_parameters', '_buffers']) {
      const tensors = state.get(field);
      if (!(tensors instanceof Map)) continue;
      for (const [name, t] of tensors)
        if (t instanceof TensorRef && !(field === '_buffers' && nonPersistent instanceof Set && nonPersistent.has(name))) out.set(`${prefix}${String(name)}`, t);
    }
    const children = state.get('_modules');
    if (children instanceof Map) for (const [name, child] of children) if (child instanceof PyObject) walk(child, `${prefix}${String(name)}.`, depth + 1);
  };
  walk(root, '', 0);
  if (!out.size) throw new TtlError('E_BAD_WEIGHTS', `${where}: the pickled model (${root.className}) holds no tensors`);
  return out;
}

function tensorRefs(value: PyValue, where: string): Map<string, TensorRef> {
  const refs = new Map<string, TensorRef>();
  for (const [k, v] of stateDictOf(value, where)) {
    if (!(v instanceof TensorRef)) continue;
    if (typeof k !== 'string') throw new TtlError('E_BAD_WEIGHTS', `${where}: a state dict key is a ${k === null ? 'None' : typeof k}, not a string`);
    refs.set(k, v);
  }
  return refs;
}

/** Bytes of `storage` that the views in `refs` read: a deflated entry may inflate to no more than this. */
function extentOf(storage: Storage, refs: TensorRef[]): number {
  let elements = 0;
  for (const t of refs) if (t.storage === storage && !t.shape.includes(0)) elements = Math.max(elements, lastElement(t) + 1);
  return elements * storage.type.bytes;
}

/** A checkpoint's state dict as its pickle declares it; tensor data is read only for the tensors asked for. */
export interface PthCheckpoint {
  /** Every tensor of the state dict, by name, dtype and shape: nothing is inflated or copied yet. */
  tensors: { name: string; dtype: string; shape: number[] }[];
  /**
   * The named tensors' data. Only their storages are inflated, and a deflated storage only if it holds no more
   * than its tensors read: what a hostile file can make this allocate is what the model takes.
   */
  read(names: Iterable<string>): Promise<SafeTensor[]>;
}

function checkpointOf(refs: Map<string, TensorRef>, where: string): PthCheckpoint {
  const fail = failure(where, checkpointZip);
  return {
    tensors: [...refs].map(([name, t]) => ({ name, dtype: t.storage.type.dtype, shape: t.shape })),
    async read(names) {
      const wanted = [...names].map((name) => {
        const t = refs.get(name);
        if (!t) throw new TtlError('E_BAD_ARGUMENT', `${where}: tensor ${name} is not in the checkpoint`);
        return [name, t] as const;
      });
      const views = wanted.map(([, t]) => t);
      for (const storage of new Set(views.map((t) => t.storage))) {
        if (storage.data || !storage.entry) continue;
        const extent = extentOf(storage, views);
        if (storage.entry.deflated && storage.entry.uncompressed > extent)
          throw fail(`storage ${storage.key} inflates to ${storage.entry.uncompressed} bytes but the tensors loaded from it read ${extent}`);
        storage.data = await inflateEntry(storage.entry, fail);
      }
      return wanted.map(([name, t]) => tensorEntry(name, t, where));
    },
  };
}

/** A persistent id ('storage', type, key, ...) from the pickle, checked. */
function storageId(pid: PyValue, where: string): { type: StorageType; key: string } {
  if (!Array.isArray(pid) || pid.length < 3) throw new TtlError('E_BAD_WEIGHTS', `${where}: a persistent id is not a tuple ('storage', type, key, ...)`);
  const [kind, type, key] = pid;
  if (kind !== 'storage') throw new TtlError('E_BAD_WEIGHTS', `${where}: unknown persistent id ${typeof kind === 'string' ? kind : typeof kind}`);
  if (typeof key !== 'string' && !Number.isSafeInteger(key)) throw new TtlError('E_BAD_WEIGHTS', `${where}: a storage key is not a string`);
  return { type: storageTypeOf(type, where), key: String(key) };
}

async function openZipCheckpoint(bytes: Uint8Array, where: string): Promise<PthCheckpoint> {
  const fail = failure(where, checkpointZip);
  const entries = new Map(listZip(bytes, fail).map((e) => [e.name, e]));
  const pkl = [...entries.values()].find((e) => e.name.endsWith('/data.pkl'));
  if (!pkl) throw fail('no data.pkl in the archive');
  if (pkl.uncompressed > MAX_PICKLE_BYTES)
    throw fail(`its pickle ${pkl.name} declares ${pkl.uncompressed} bytes; a state dict needs far less than the ${MAX_PICKLE_BYTES / 1024 ** 2} MiB read`);
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: PyValue) => {
    const { type, key: k } = storageId(pid, where);
    if (!storages.has(k)) {
      const entry = entries.get(`${prefix}data/${k}`);
      if (!entry) throw new TtlError('E_BAD_WEIGHTS', `${where}: storage ${k} is missing from the archive`);
      storages.set(k, new Storage(type, k, undefined, entry));
    }
    return storages.get(k);
  };
  const { value } = unpickle(await inflateEntry(pkl, fail), 0, resolveGlobal(where), persistentLoad, where);
  return checkpointOf(tensorRefs(value, where), where);
}

function openLegacyCheckpoint(bytes: Uint8Array, where: string): PthCheckpoint {
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
    const { type, key } = storageId(pid, where);
    if (!storages.has(key)) storages.set(key, new Storage(type, key));
    return storages.get(key);
  });
  const keys = next();
  if (!Array.isArray(keys)) throw new TtlError('E_BAD_WEIGHTS', `${where}: not a readable PyTorch checkpoint (the storage key list is missing)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const key of keys) {
    const storage = typeof key === 'string' || Number.isSafeInteger(key) ? storages.get(String(key)) : undefined;
    if (!storage || pos + 8 > bytes.length) throw new TtlError('E_BAD_WEIGHTS', `${where}: storage ${String(key)} is missing or truncated`);
    const numel = view.getBigInt64(pos, true);
    pos += 8;
    const room = BigInt(Math.floor((bytes.length - pos) / storage.type.bytes));
    if (numel < 0n || numel > room)
      throw new TtlError('E_BAD_WEIGHTS', `${where}: storage ${key} declares ${numel} elements, the file has room for ${room}`);
    const length = Number(numel) * storage.type.bytes;
    storage.data = bytes.subarray(pos, pos + length);
    pos += length;
  }
  return checkpointOf(tensorRefs(value, where), where);
}

/**
 * Opens a torch.save'd state dict (zip or legacy format): the file is read and its pickle parsed; tensor data
 * waits for `read`. Inflating runs on libuv's thread pool: a service answering requests meanwhile waits only
 * for the (small) pickle's parse.
 */
export async function openPth(path: string): Promise<PthCheckpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new TtlError('E_NO_FILE', `cannot open weights file ${path}: ${(e as Error).message}`);
  }
  return isZip(bytes) ? openZipCheckpoint(bytes, path) : openLegacyCheckpoint(bytes, path);
}

/** Every tensor of a checkpoint, for tools and tests; a model's loadWeights reads only what it takes. */
export async function readPth(path: string): Promise<SafeTensor[]> {
  const checkpoint = await openPth(path);
  return checkpoint.read(checkpoint.tensors.map((t) => t.name));
}
