import protobuf from 'protobufjs';
import { NetlensError } from '../../core/errors.js';
import { ONNX_DATA_TYPE, ONNX_SCHEMA, type OnnxDataType } from './schema.js';

/** IR version 8 pairs with opsets 17–18; onnxruntime 1.30 (node and web) reads it. */
export const ONNX_IR_VERSION = 8;
export const DEFAULT_OPSET = 17;

/** A dimension: a fixed size, or a symbolic name such as 'batch' (null = unnamed dynamic). */
export type OnnxDim = number | string | null;

/** Forces a FLOAT attribute for a value that happens to be an integer (`alpha: floatAttr(1)`). */
export interface FloatAttribute {
  readonly kind: 'float';
  readonly value: number;
}
export interface FloatsAttribute {
  readonly kind: 'floats';
  readonly value: readonly number[];
}
/**
 * Attribute values: an integer number → INT, a non-integer number → FLOAT, number[] → INTS when all
 * are integers else FLOATS, string → STRING; wrap with floatAttr/floatsAttr to force floats.
 */
export type OnnxAttributeValue = number | string | readonly number[] | FloatAttribute | FloatsAttribute;
export type OnnxAttributes = Record<string, OnnxAttributeValue>;

export function floatAttr(value: number): FloatAttribute {
  return { kind: 'float', value };
}
export function floatsAttr(value: readonly number[]): FloatsAttribute {
  return { kind: 'floats', value };
}

/** Initializer values; a Uint16Array holds IEEE 754 half-precision bit patterns (ONNX float16). */
export type InitializerData =
  Float32Array | BigInt64Array | Int32Array | Uint8Array | Int8Array | Uint16Array;

/**
 * Float32 initializer values produced only while the model is serialised, piece by piece (a kernel
 * transposed as it is written), so the graph never holds a second full copy of a weight array.
 */
export interface DeferredFloat32 {
  readonly length: number;
  /**
   * Yields all `length` values in order. A yielded array may be reused for the next piece: consume it
   * before asking for the next one.
   */
  pieces(): Iterable<Float32Array>;
}

/** What an initializer holds: the values themselves, or float32 values produced while serialising. */
export type InitializerSource = InitializerData | DeferredFloat32;

export interface OnnxGraphBuilderOptions {
  name: string;
  opset?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
}

interface NodeRecord {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttributes;
  name: string;
}
interface InitializerRecord {
  name: string;
  data: InitializerSource;
  dims: number[];
}
interface ValueRecord {
  name: string;
  /** null: the shape is left unknown (allowed by ONNX; onnxruntime infers it). */
  dims: OnnxDim[] | null;
  dtype: OnnxDataType;
}

let root: protobuf.Root | undefined;
function schemaRoot(): protobuf.Root {
  root ??= protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace);
  return root;
}

function varintLength(value: number): number {
  let n = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 0x80)) n += 1;
  return n;
}

function isDeferred(data: InitializerSource): data is DeferredFloat32 {
  return !ArrayBuffer.isView(data);
}

function dataTypeOf(data: InitializerSource): OnnxDataType {
  if (isDeferred(data) || data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint16Array) return 'float16';
  return 'uint8';
}

function littleEndianBytes(data: InitializerData): Uint8Array {
  // Typed arrays are host-endian; every platform we run on (x64, arm64, wasm) is little-endian.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function encodeAttribute(name: string, value: OnnxAttributeValue): Record<string, unknown> {
  const T = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 };
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new NetlensError('internal', `ONNX attribute '${name}' is not finite (${value})`);
    }
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  if ('kind' in value) {
    return value.kind === 'float'
      ? { name, type: T.FLOAT, f: value.value }
      : { name, type: T.FLOATS, floats: [...value.value] };
  }
  const list = value as readonly number[];
  return list.every((v) => Number.isInteger(v))
    ? { name, type: T.INTS, ints: [...list] }
    : { name, type: T.FLOATS, floats: [...list] };
}

function valueInfo(value: ValueRecord): Record<string, unknown> {
  return {
    name: value.name,
    type: {
      tensorType: {
        elemType: ONNX_DATA_TYPE[value.dtype],
        ...(value.dims === null
          ? {}
          : {
              shape: {
                dim: value.dims.map((d) =>
                  typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {},
                ),
              },
            }),
      },
    },
  };
}

/**
 * Builds one ONNX model (default domain, one graph) and serialises it with protobufjs.
 * Names are checked as they are added: a tensor may be produced once, and nodes must be added in
 * topological order (every input already exists), as ONNX requires.
 */
export class OnnxGraphBuilder {
  readonly name: string;
  readonly opset: number;
  private readonly options: OnnxGraphBuilderOptions;
  private readonly nodes: NodeRecord[] = [];
  private readonly initializers: InitializerRecord[] = [];
  private readonly inputs: ValueRecord[] = [];
  private readonly outputs: ValueRecord[] = [];
  private readonly known = new Set<string>();
  private readonly usedNames = new Map<string, number>();
  private readonly metadata = new Map<string, string>();

  constructor(options: OnnxGraphBuilderOptions) {
    if (!options.name) throw new NetlensError('invalid_argument', "OnnxGraphBuilder: 'name' is required");
    const opset = options.opset ?? DEFAULT_OPSET;
    if (!Number.isInteger(opset) || opset < 13) {
      throw new NetlensError(
        'invalid_argument',
        `OnnxGraphBuilder: 'opset' must be an integer ≥ 13 (got ${opset})`,
      );
    }
    this.options = options;
    this.name = options.name;
    this.opset = opset;
  }

  /** A tensor name not used yet, derived from `base` ('conv1/Conv', 'conv1/Conv_1', …). */
  uniqueName(base: string): string {
    if (!this.known.has(base) && !this.usedNames.has(base)) {
      this.usedNames.set(base, 0);
      return base;
    }
    let n = this.usedNames.get(base) ?? 0;
    let candidate: string;
    do {
      n += 1;
      candidate = `${base}_${n}`;
    } while (this.known.has(candidate) || this.usedNames.has(candidate));
    this.usedNames.set(base, n);
    this.usedNames.set(candidate, 0);
    return candidate;
  }

  has(name: string): boolean {
    return this.known.has(name);
  }

  addInput(name: string, dims: readonly OnnxDim[], dtype: OnnxDataType = 'float32'): string {
    this.declare(name, 'input');
    this.inputs.push({ name, dims: [...dims], dtype });
    return name;
  }

  addInitializer(name: string, data: InitializerSource, dims: readonly number[]): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new NetlensError(
        'internal',
        `initializer '${name}': dims [${dims.join(', ')}] hold ${count} values but data has ${data.length}`,
      );
    }
    this.declare(name, 'initializer');
    this.initializers.push({ name, data, dims: [...dims] });
    return name;
  }

  /** Adds a node; returns its first output name. An empty input name means "optional input omitted". */
  addNode(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attributes: OnnxAttributes = {},
    nodeName?: string,
  ): string {
    for (const input of inputs) {
      if (input !== '' && !this.known.has(input)) {
        throw new NetlensError(
          'internal',
          `${opType} node: input '${input}' is not produced by any earlier node`,
        );
      }
    }
    for (const output of outputs) this.declare(output, `${opType} output`);
    this.nodes.push({
      opType,
      inputs: [...inputs],
      outputs: [...outputs],
      attributes,
      name: nodeName ?? outputs[0] ?? opType,
    });
    return outputs[0] ?? '';
  }

  /** Declares a graph output; `dims` null leaves its shape unknown. */
  addOutput(name: string, dims: readonly OnnxDim[] | null, dtype: OnnxDataType = 'float32'): string {
    if (!this.known.has(name)) {
      throw new NetlensError('internal', `graph output '${name}' is not produced by any node`);
    }
    this.outputs.push({ name, dims: dims === null ? null : [...dims], dtype });
    return name;
  }

  setMetadata(key: string, value: string): void {
    this.metadata.set(key, value);
  }

  /** Number of nodes per op type, for conversion summaries. */
  opHistogram(): Record<string, number> {
    const histogram: Record<string, number> = {};
    for (const node of this.nodes) histogram[node.opType] = (histogram[node.opType] ?? 0) + 1;
    return histogram;
  }

  /** Number of values in all initializers. */
  initializerValueCount(): number {
    return this.initializers.reduce((sum, init) => sum + init.data.length, 0);
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /**
   * Serialises the model into one buffer of exactly its size. protobufjs encodes everything but the
   * initializers' raw data; the graph and tensors are then framed by hand so that weight bytes are
   * copied once, straight into the output (a growing encoder would copy them several times: VGG16
   * has 528 MB of weights).
   */
  toBytes(): Uint8Array {
    const { total, chunks } = this.serialised();
    const out = new Uint8Array(total);
    let pos = 0;
    for (const chunk of chunks()) {
      out.set(chunk, pos);
      pos += chunk.length;
    }
    if (pos !== total)
      throw new NetlensError('internal', `ONNX serialisation wrote ${pos} of ${total} bytes`);
    return out;
  }

  /**
   * The serialised model as a sequence of byte chunks (framing and small messages, then each
   * initializer's raw data as a view, never copied, or a deferred initializer's pieces as they are
   * produced) and its total size: `toBytes()` concatenates them, `writeOnnxFile` streams them to disk.
   * A chunk is valid only until the next one is requested (pieces may share a buffer).
   */
  serialised(): { total: number; chunks: () => Generator<Uint8Array> } {
    if (this.inputs.length === 0)
      throw new NetlensError('internal', `ONNX graph '${this.name}' has no input`);
    if (this.outputs.length === 0)
      throw new NetlensError('internal', `ONNX graph '${this.name}' has no output`);
    const r = schemaRoot();
    const encode = (typeName: string, value: Record<string, unknown>): Uint8Array => {
      const type = r.lookupType(typeName);
      return type.encode(type.fromObject(value)).finish();
    };
    const modelHead = encode('onnx.ModelProto', {
      irVersion: ONNX_IR_VERSION,
      producerName: this.options.producerName ?? 'netlens',
      producerVersion: this.options.producerVersion ?? '0.1.0',
      docString: this.options.docString ?? '',
      opsetImport: [{ domain: '', version: this.opset }],
      metadataProps: [...this.metadata].map(([key, value]) => ({ key, value })),
    });
    const graphHead = encode('onnx.GraphProto', {
      name: this.name,
      node: this.nodes.map((n) => ({
        input: n.inputs,
        output: n.outputs,
        name: n.name,
        opType: n.opType,
        attribute: Object.entries(n.attributes).map(([k, v]) => encodeAttribute(k, v)),
      })),
      input: this.inputs.map(valueInfo),
      output: this.outputs.map(valueInfo),
    });
    const tensors = this.initializers.map((init) => {
      const head = encode('onnx.TensorProto', {
        name: init.name,
        dims: init.dims,
        dataType: ONNX_DATA_TYPE[dataTypeOf(init.data)],
      });
      const rawLength = isDeferred(init.data) ? init.data.length * 4 : init.data.byteLength;
      const size = head.length + 1 + varintLength(rawLength) + rawLength; // field 9 (raw_data)
      return { name: init.name, head, data: init.data, rawLength, size };
    });
    const graphSize =
      graphHead.length + tensors.reduce((sum, t) => sum + 1 + varintLength(t.size) + t.size, 0); // field 5 each
    const total = modelHead.length + 1 + varintLength(graphSize) + graphSize; // field 7 (graph)
    /** A length-delimited field's tag and length. */
    const frame = (field: number, length: number): Uint8Array => {
      const bytes = [(field << 3) | 2];
      let v = length;
      while (v >= 0x80) {
        bytes.push((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      bytes.push(v);
      return Uint8Array.from(bytes);
    };
    function* chunks(): Generator<Uint8Array> {
      yield modelHead;
      yield frame(7, graphSize);
      yield graphHead;
      for (const t of tensors) {
        yield frame(5, t.size);
        yield t.head;
        yield frame(9, t.rawLength);
        if (!isDeferred(t.data)) {
          yield littleEndianBytes(t.data);
          continue;
        }
        let produced = 0;
        for (const piece of t.data.pieces()) {
          produced += piece.byteLength;
          yield littleEndianBytes(piece);
        }
        if (produced !== t.rawLength) {
          throw new NetlensError(
            'internal',
            `initializer '${t.name}': produced ${produced} of ${t.rawLength} bytes`,
          );
        }
      }
    }
    return { total, chunks };
  }

  private declare(name: string, what: string): void {
    if (!name) throw new NetlensError('internal', `ONNX ${what}: empty tensor name`);
    if (this.known.has(name)) {
      throw new NetlensError('internal', `ONNX ${what}: tensor name '${name}' is already used`);
    }
    this.known.add(name);
  }
}
