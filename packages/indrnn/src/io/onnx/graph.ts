/**
 * A small builder for ONNX graphs: nodes in the order they are added (which is topological, since a
 * node can only name values that exist), initializers from tensors, constants, and subgraphs (Scan
 * bodies) that share one name space with their parent so every value name in the model is unique.
 */
import type { Tensor } from '../../tensor/tensor.js';
import type { TypedArray } from '../../tensor/dtype.js';
import {
  AttributeType, OnnxDataType,
  type AttributeProto, type DimensionProto, type GraphProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './proto.js';

export type Attr = AttributeProto;

const utf8 = new TextEncoder();

export const attr = {
  int: (name: string, i: number): Attr => ({ name, type: AttributeType.INT, i }),
  ints: (name: string, ints: number[]): Attr => ({ name, type: AttributeType.INTS, ints }),
  float: (name: string, f: number): Attr => ({ name, type: AttributeType.FLOAT, f }),
  floats: (name: string, floats: number[]): Attr => ({ name, type: AttributeType.FLOATS, floats }),
  string: (name: string, s: string): Attr => ({ name, type: AttributeType.STRING, s: utf8.encode(s) }),
  strings: (name: string, strings: string[]): Attr => ({ name, type: AttributeType.STRINGS, strings: strings.map((s) => utf8.encode(s)) }),
  graph: (name: string, g: GraphProto): Attr => ({ name, type: AttributeType.GRAPH, g }),
  tensor: (name: string, t: TensorProto): Attr => ({ name, type: AttributeType.TENSOR, t }),
};

const HOST_IS_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Little-endian bytes of a typed array (raw_data must be little-endian whatever the host). */
function rawBytes(data: TypedArray | BigInt64Array | Uint8Array, itemSize: number): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  if (!HOST_IS_LE && itemSize > 1) {
    for (let i = 0; i < bytes.length; i += itemSize) bytes.subarray(i, i + itemSize).reverse();
  }
  return bytes;
}

/** A TensorProto for float32 / float64 / int32 data, or int64 given as numbers. */
export function tensorProto(name: string, dims: readonly number[], dataType: number, data: ArrayLike<number>): TensorProto {
  let raw: Uint8Array;
  switch (dataType) {
    case OnnxDataType.FLOAT:
      raw = rawBytes(Float32Array.from(data), 4);
      break;
    case OnnxDataType.DOUBLE:
      raw = rawBytes(Float64Array.from(data), 8);
      break;
    case OnnxDataType.INT32:
      raw = rawBytes(Int32Array.from(data), 4);
      break;
    case OnnxDataType.INT64:
      raw = rawBytes(BigInt64Array.from(Array.from(data, (v) => BigInt(v))), 8);
      break;
    case OnnxDataType.BOOL:
      raw = Uint8Array.from(data, (v) => (v ? 1 : 0));
      break;
    default:
      throw new Error(`tensorProto: data type ${dataType} is not written by this exporter`);
  }
  return { name, dims: [...dims], dataType, rawData: raw };
}

/** A dimension: a number is fixed, a string is a named dynamic axis, null is unknown. */
export type Dim = number | string | null;

export function valueInfo(name: string, elemType: number, dims?: readonly Dim[], docString?: string): ValueInfoProto {
  const info: ValueInfoProto = { name, type: { tensorType: { elemType } } };
  if (dims) {
    const dim: DimensionProto[] = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {}));
    info.type!.tensorType.shape = { dim };
  }
  if (docString) info.docString = docString;
  return info;
}

export class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  readonly outputs: ValueInfoProto[] = [];
  private readonly names: Set<string>;
  private readonly counters: Map<string, number>;

  constructor(readonly name: string, parent?: GraphBuilder) {
    this.names = parent ? parent.names : new Set();
    this.counters = parent ? parent.counters : new Map();
  }

  /** A value name not used anywhere in the model yet, derived from base. */
  fresh(base: string): string {
    if (!this.names.has(base)) {
      this.names.add(base);
      return base;
    }
    let n = this.counters.get(base) ?? 1;
    while (this.names.has(`${base}_${n}`)) n++;
    this.counters.set(base, n + 1);
    const name = `${base}_${n}`;
    this.names.add(name);
    return name;
  }

  /** Claims an exact name (graph inputs, outputs and initializers named after parameters). */
  claim(name: string): string {
    if (this.names.has(name)) throw new Error(`GraphBuilder: the value name '${name}' is used twice`);
    this.names.add(name);
    return name;
  }

  /** An initializer holding a model tensor under its parameter name. */
  tensor(name: string, t: Tensor): string {
    const dataType = t.dtype === 'float64' ? OnnxDataType.DOUBLE : t.dtype === 'int32' ? OnnxDataType.INT32 : OnnxDataType.FLOAT;
    this.initializers.push(tensorProto(this.claim(name), t.shape, dataType, t.data()));
    return name;
  }

  /** An initializer from raw values (reordered weights, constants). */
  constant(base: string, dims: readonly number[], dataType: number, data: ArrayLike<number>): string {
    const name = this.fresh(base);
    this.initializers.push(tensorProto(name, dims, dataType, data));
    return name;
  }

  int64(base: string, values: number[], scalar = false): string {
    return this.constant(base, scalar ? [] : [values.length], OnnxDataType.INT64, values);
  }

  float(base: string, value: number, dataType: number = OnnxDataType.FLOAT): string {
    return this.constant(base, [], dataType, [value]);
  }

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: string[], attributes: Attr[] = [], outName = opType.toLowerCase()): string {
    return this.opN(opType, inputs, 1, attributes, [outName])[0]!;
  }

  /** Adds a node with n outputs ('' inputs are omitted optional inputs). */
  opN(opType: string, inputs: string[], n: number, attributes: Attr[] = [], outNames: string[] = []): string[] {
    const outputs = Array.from({ length: n }, (_, i) => this.fresh(outNames[i] ?? `${opType.toLowerCase()}_out${i}`));
    const node: NodeProto = { input: inputs, output: outputs, name: this.fresh(`node/${outputs[0]}`), opType };
    if (attributes.length) node.attribute = attributes;
    this.nodes.push(node);
    return outputs;
  }

  /** A graph input with exactly this name. */
  input(name: string, elemType: number, dims: readonly Dim[], docString?: string): string {
    this.inputs.push(valueInfo(this.claim(name), elemType, dims, docString));
    return name;
  }

  /** A graph input named after base (subgraph inputs, whose names only need to be unique). */
  freshInput(base: string, elemType: number, dims: readonly Dim[]): string {
    const name = this.fresh(base);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares value `source` as a graph output called `name` (an Identity node when they differ). */
  output(name: string, source: string, elemType: number, dims?: readonly Dim[], docString?: string): void {
    const out = source === name ? source : this.opN('Identity', [source], 1, [], [name])[0]!;
    if (out !== name) throw new Error(`GraphBuilder: the output name '${name}' is already a value name`);
    this.outputs.push(valueInfo(name, elemType, dims, docString));
  }

  /** The finished graph. */
  build(docString?: string): GraphProto {
    const g: GraphProto = { node: this.nodes, name: this.name, input: this.inputs, output: this.outputs };
    if (this.initializers.length) g.initializer = this.initializers;
    if (docString) g.docString = docString;
    return g;
  }
}
