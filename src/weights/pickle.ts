// A safe subset of Python's unpickler: enough for torch.save'd state dicts, nothing that runs code.
// Globals are resolved only from an allow-list given by the caller.
import { TtlError } from '../errors.js';

export type PyValue = unknown;
export type GlobalResolver = (module: string, name: string) => (...args: PyValue[]) => PyValue;
export type PersistentLoader = (pid: PyValue) => PyValue;

const MARK = Symbol('mark');
const MAX_CALL_ARGS = 16;

export class PyTuple extends Array<PyValue> {}

/**
 * An instance of an allowed class (a torch.nn module of a whole pickled model) as data: its class name and the
 * state BUILD gives it (the module's __dict__). Nothing of the class runs.
 */
export class PyObject {
  state: PyValue = undefined;
  constructor(readonly className: string) {}
}

/** Unpickles one object starting at `offset`; returns it and the offset after its STOP opcode. */
export function unpickle(
  bytes: Uint8Array,
  offset: number,
  resolveGlobal: GlobalResolver,
  persistentLoad: PersistentLoader,
  where: string,
): { value: PyValue; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: PyValue[] = [];
  const memo = new Map<number, PyValue>();
  const decoder = new TextDecoder();
  let pos = offset;
  const fail = (what: string) => new TtlError('E_BAD_WEIGHTS', `${where}: not a readable PyTorch checkpoint (${what})`);
  const need = (n: number) => {
    if (pos + n > bytes.length) throw fail('the pickle stream ends early: the file is truncated');
  };
  const u8 = () => (need(1), bytes[pos++]);
  const u16 = () => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = () => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const take = (n: number) => (need(n), (pos += n), bytes.subarray(pos - n, pos));
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw fail('unterminated text opcode');
    const text = decoder.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const popMark = () => {
    const index = stack.lastIndexOf(MARK);
    if (index < 0) throw fail('MARK missing');
    const items = stack.splice(index);
    items.shift();
    return items;
  };
  const top = () => {
    if (!stack.length) throw fail('stack underflow');
    return stack[stack.length - 1];
  };
  const pop = () => {
    if (!stack.length) throw fail('stack underflow');
    return stack.pop();
  };
  const tuple = (items: PyValue[]) => PyTuple.from(items) as PyTuple;
  const setItems = (dict: PyValue, items: PyValue[]) => {
    if (!(dict instanceof Map)) throw fail('SETITEMS on a non-dict');
    for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i], items[i + 1]);
  };
  const call = (fn: PyValue, args: PyValue) => {
    if (typeof fn !== 'function' || !Array.isArray(args)) throw fail('REDUCE needs a callable and a tuple');
    // The allowed callables take a handful of arguments; spreading a huge tuple would overflow the stack.
    if (args.length > MAX_CALL_ARGS) throw fail(`a call with ${args.length} arguments`);
    return (fn as (...a: PyValue[]) => PyValue)(...args);
  };
  const list = () => {
    const target = top();
    if (!Array.isArray(target) || target instanceof PyTuple) throw fail('APPEND on a non-list');
    return target;
  };
  const text = () => {
    const value = pop();
    if (typeof value !== 'string') throw fail('STACK_GLOBAL needs a module and a name as strings');
    return value;
  };

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: take(8); break; // FRAME
      case 0x2e: return { value: pop(), end: pos }; // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x29: stack.push(tuple([])); break; // EMPTY_TUPLE
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x8a: { // LONG1
        const b = take(u8());
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (b.length && b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
        stack.push(Number.isSafeInteger(Number(v)) ? Number(v) : v);
        break;
      }
      case 0x47: need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; // BINFLOAT
      case 0x58: stack.push(decoder.decode(take(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(decoder.decode(take(u8()))); break; // SHORT_BINUNICODE
      case 0x54: stack.push(decoder.decode(take(u32()))); break; // BINSTRING
      case 0x55: stack.push(decoder.decode(take(u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(take(u32())); break; // BINBYTES
      case 0x43: stack.push(take(u8())); break; // SHORT_BINBYTES
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const key = op === 0x68 ? u8() : u32();
        if (!memo.has(key)) throw fail(`memo key ${key} missing`);
        stack.push(memo.get(key));
        break;
      }
      case 0x74: stack.push(tuple(popMark())); break; // TUPLE
      case 0x85: stack.push(tuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push(tuple([a, b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push(tuple([a, b, c])); break; } // TUPLE3
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x64: { const m = new Map(); setItems(m, popMark()); stack.push(m); break; } // DICT
      case 0x61: { const v = pop(); list().push(v); break; } // APPEND
      case 0x65: { const items = popMark(); const target = list(); for (const item of items) target.push(item); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x63: { const module = line(); const name = line(); stack.push(resolveGlobal(module, name)); break; } // GLOBAL
      case 0x93: { const name = text(); const module = text(); stack.push(resolveGlobal(module, name)); break; } // STACK_GLOBAL
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, args)); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, args)); break; } // NEWOBJ
      case 0x62: { // BUILD: a module's __dict__ is kept; the state of an OrderedDict (_metadata) or a parameter is not needed
        const state = pop();
        const target = top();
        if (target instanceof PyObject) target.state = state;
        break;
      }
      case 0x51: stack.push(persistentLoad(pop())); break; // BINPERSID
      default:
        throw fail(`unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}
