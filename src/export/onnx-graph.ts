// An ONNX graph under construction and its encoding: nodes, float32 initializers, inputs and outputs, written as
// a ModelProto with protobufjs from the ONNX project's own onnx.proto (vendor/onnx/). Only what the exporter needs.
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { packageRoot } from '../package-root.js';

/** The opset the exporter writes (BatchNormalization-15, Softmax-13 semantics); onnxruntime >= 1.12 runs it. */
export const OPSET = 17;
/** ONNX IR version 8 is the one that goes with opset 17. */
const IR_VERSION = 8;
const ELEM_TYPE = { float: 1, int64: 7 } as const;
const ATTRIBUTE = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

const protoPath = join(packageRoot, 'vendor', 'onnx', 'onnx.proto');
let modelType: protobuf.Type | undefined;

type Attribute = number | number[] | string | { float: number };
/** A value's element type: float32 everywhere but the U-Net's class map (ArgMax gives int64). */
export type ElemType = keyof typeof ELEM_TYPE;
/** A tensor of float32 values in row-major order. */
export interface FloatTensor {
  data: Float32Array;
  shape: number[];
}
/** A dimension: a size, or a name for one the consumer chooses (the batch). */
export type Dim = number | string;

export class OnnxGraph {
  private nodes: object[] = [];
  private initializers: object[] = [];
  private count = 0;
  readonly inputs: object[] = [];
  readonly outputs: object[] = [];

  /** A fresh value name with this prefix. */
  name(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  /** Adds a float32 initializer and returns its name. */
  constant(name: string, t: FloatTensor): string {
    this.initializers.push({ name, dims: t.shape, dataType: ELEM_TYPE.float, rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) });
    return name;
  }

  /** Adds a 1-D int64 initializer (a shape for Reshape) and returns its name. */
  int64s(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], dataType: ELEM_TYPE.int64, int64Data: values });
    return name;
  }

  /** Adds a node and returns its (first) output. */
  node(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}, output = this.name(opType.toLowerCase())): string {
    const attribute = Object.entries(attributes).map(([name, v]) => {
      if (typeof v === 'number') return { name, type: ATTRIBUTE.INT, i: v };
      if (Array.isArray(v)) return { name, type: ATTRIBUTE.INTS, ints: v };
      // A bytes field: protobufjs's fromObject would read a JS string as base64, so it gets the UTF-8 bytes.
      if (typeof v === 'string') return { name, type: ATTRIBUTE.STRING, s: new TextEncoder().encode(v) };
      return { name, type: ATTRIBUTE.FLOAT, f: v.float };
    });
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute });
    return output;
  }

  input(name: string, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  output(name: string, dims: Dim[], elemType: ElemType = 'float'): void {
    this.outputs.push(valueInfo(name, dims, elemType));
  }

  /** The encoded ModelProto: this graph with the opset, the producer and string metadata. */
  encode(producerVersion: string, metadata: Record<string, string>): Uint8Array {
    modelType ??= protobuf.loadSync(protoPath).lookupType('onnx.ModelProto');
    const model = {
      irVersion: IR_VERSION, producerName: 'ttl-torch', producerVersion, opsetImport: [{ domain: '', version: OPSET }],
      graph: { name: 'ttl-torch', node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    };
    return modelType.encode(modelType.fromObject(model)).finish();
  }
}

function valueInfo(name: string, dims: Dim[], elemType: ElemType = 'float'): object {
  return { name, type: { tensorType: { elemType: ELEM_TYPE[elemType], shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } } };
}
