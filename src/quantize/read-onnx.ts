import protobuf from 'protobufjs';
import { NetlensError, messageOf } from '../core/errors.js';
import {
  floatAttr,
  floatsAttr,
  type OnnxAttributeValue,
  type OnnxDataType,
  type OnnxDim,
} from '../convert/onnx/index.js';
import { ONNX_DATA_TYPE, ONNX_SCHEMA } from '../convert/onnx/schema.js';
import type { Graph, GraphNode, GraphValue, Tensor, TensorData } from './graph.js';

/** protobufjs' plain-object view of the messages read here (int64 as numbers, bytes as Uint8Array). */
interface AttributeMessage {
  name: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}
interface TensorMessage {
  name: string;
  dims?: number[];
  dataType?: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
}
interface ValueMessage {
  name: string;
  type?: {
    tensorType?: {
      elemType?: number;
      shape?: { dim?: { dimValue?: number; dimParam?: string }[] };
    };
  };
}
interface ModelMessage {
  producerName?: string;
  docString?: string;
  opsetImport?: { domain?: string; version?: number }[];
  metadataProps?: { key: string; value: string }[];
  graph?: {
    name?: string;
    node?: {
      name?: string;
      opType: string;
      domain?: string;
      input?: string[];
      output?: string[];
      attribute?: AttributeMessage[];
    }[];
    initializer?: TensorMessage[];
    input?: ValueMessage[];
    output?: ValueMessage[];
  };
}

const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;
const DTYPE_BY_CODE = new Map<number, OnnxDataType>(
  Object.entries(ONNX_DATA_TYPE).map(([name, code]) => [code, name as OnnxDataType]),
);

let modelType: protobuf.Type | undefined;
function onnxModelType(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType(
    'onnx.ModelProto',
  );
  return modelType;
}

function invalid(message: string): NetlensError {
  return new NetlensError('invalid_model_file', message);
}

/**
 * Reads an ONNX model into a Graph. Accepts what the netlens converter writes (and any model using the
 * same subset: default-domain nodes; initializers in raw_data, float_data, int32_data or int64_data).
 * Anything else is refused with the reason, never half read.
 */
export function readOnnxModel(bytes: Uint8Array): Graph {
  let model: ModelMessage;
  try {
    const type = onnxModelType();
    model = type.toObject(type.decode(bytes), { longs: Number }) as ModelMessage;
  } catch (error) {
    throw invalid(`not a readable ONNX model: ${messageOf(error)}`);
  }
  const graph = model.graph;
  if (!graph) throw invalid('the ONNX model has no graph');
  const opset = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx');
  if (!opset?.version) throw invalid('the ONNX model imports no default-domain opset');
  const initializers = new Map<string, Tensor>();
  for (const t of graph.initializer ?? []) initializers.set(t.name, readTensor(t));
  const nodes: GraphNode[] = (graph.node ?? []).map((n, index) => {
    if (n.domain && n.domain !== 'ai.onnx') {
      throw invalid(
        `node ${n.name ?? index} (${n.opType}) is in domain '${n.domain}'; only the default domain is read`,
      );
    }
    const attributes: Record<string, OnnxAttributeValue> = {};
    for (const a of n.attribute ?? []) attributes[a.name] = readAttribute(a, n.opType);
    return {
      name: n.name || `${n.opType}_${index}`,
      opType: n.opType,
      inputs: [...(n.input ?? [])],
      outputs: [...(n.output ?? [])],
      attributes,
    };
  });
  return {
    name: graph.name || 'graph',
    opset: opset.version,
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name)).map(readValue),
    outputs: (graph.output ?? []).map(readValue),
    nodes,
    initializers,
    metadata: new Map((model.metadataProps ?? []).map((p) => [p.key, p.value])),
    producerName: model.producerName ?? '',
    docString: model.docString ?? '',
  };
}

function readAttribute(a: AttributeMessage, opType: string): OnnxAttributeValue {
  switch (a.type) {
    case ATTRIBUTE_TYPE.FLOAT:
      return floatAttr(a.f ?? 0);
    case ATTRIBUTE_TYPE.INT:
      return a.i ?? 0;
    case ATTRIBUTE_TYPE.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case ATTRIBUTE_TYPE.FLOATS:
      return floatsAttr(a.floats ?? []);
    case ATTRIBUTE_TYPE.INTS:
      return a.ints ?? [];
    default:
      throw invalid(
        `${opType} attribute '${a.name}' has type ${a.type ?? 'unknown'}; supported: float, int, string, floats, ints`,
      );
  }
}

function readValue(v: ValueMessage): GraphValue {
  const tensorType = v.type?.tensorType;
  const dtype = DTYPE_BY_CODE.get(tensorType?.elemType ?? 0);
  if (!dtype) throw invalid(`graph value '${v.name}' has element type ${tensorType?.elemType ?? 'none'}`);
  const dims: OnnxDim[] | null = tensorType?.shape
    ? (tensorType.shape.dim ?? []).map((d) => d.dimValue ?? d.dimParam ?? null)
    : null;
  return { name: v.name, dims, dtype };
}

function readTensor(t: TensorMessage): Tensor {
  const dims = t.dims ?? [];
  const count = dims.reduce((a, b) => a * b, 1);
  const dtype = DTYPE_BY_CODE.get(t.dataType ?? 0);
  if (!dtype) throw invalid(`initializer '${t.name}' has data type ${t.dataType ?? 'none'}`);
  const data = tensorValues(t, dtype);
  if (data.length !== count) {
    throw invalid(
      `initializer '${t.name}': dims [${dims.join(', ')}] hold ${count} values but it has ${data.length}`,
    );
  }
  return { dims, data };
}

function tensorValues(t: TensorMessage, dtype: OnnxDataType): TensorData {
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    const aligned = new Uint8Array(raw).buffer; // a copy: protobufjs' views may be unaligned
    switch (dtype) {
      case 'float32':
        return new Float32Array(aligned);
      case 'float16':
        return new Uint16Array(aligned);
      case 'uint8':
        return new Uint8Array(aligned);
      case 'int8':
        return new Int8Array(aligned);
      case 'int32':
        return new Int32Array(aligned);
      case 'int64':
        return new BigInt64Array(aligned);
    }
  }
  switch (dtype) {
    case 'float32':
      return Float32Array.from(t.floatData ?? []);
    case 'int64':
      return BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(v)));
    case 'int32':
      return Int32Array.from(t.int32Data ?? []);
    case 'uint8':
      return Uint8Array.from(t.int32Data ?? []);
    case 'int8':
      return Int8Array.from(t.int32Data ?? []);
    case 'float16':
      return Uint16Array.from(t.int32Data ?? []);
  }
}
