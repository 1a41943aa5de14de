import { NetlensError } from '../../core/errors.js';

/**
 * Rewrites an ONNX model so onnxruntime-web reads its large initializers as **external data taken from the
 * model's own bytes**: each TensorProto's `raw_data` (≥ `minBytes`) is replaced by `external_data`
 * (location, offset, length into the original file) and `data_location = EXTERNAL`. Loaded with
 * `externalData: [{ path: EXTERNAL_WEIGHTS_PATH, data: model }]`, onnxruntime copies each weight once,
 * straight into its tensor, instead of holding the file, its parsed protobuf and the tensors in WASM
 * memory at the same time — the peak that decides whether a model fits a Worker isolate (isolate-budget.ts).
 *
 * A hand-written protobuf walk (only length-delimited fields are rewritten; everything else is copied
 * byte for byte): protobufjs builds its codecs with `new Function`, which Workers forbid.
 */
export const EXTERNAL_WEIGHTS_PATH = 'netlens-model-weights';

// Field numbers in onnx.proto.
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const LENGTH_DELIMITED = 2;

export interface SplitModel {
  /** The model without the moved weights (a few hundred KB). */
  graph: Uint8Array;
  /** Bytes moved out of the graph (read back from the original model). */
  externalBytes: number;
  /** The symbolic name of each graph input's first dimension (e.g. 'batch'), when it has one. */
  batchDims: string[];
}

interface Field {
  field: number;
  wire: number;
  /** Start of the field (its tag) and end, in the buffer. */
  start: number;
  end: number;
  /** Payload of a length-delimited field. */
  payload?: { start: number; end: number };
}

function invalid(message: string): NetlensError {
  return new NetlensError('invalid_model_file', `not a readable ONNX model: ${message}`);
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const b = bytes[i] as number;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: i + 1 };
  }
  throw invalid(`bad varint at byte ${at}`);
}

/** The fields of the message in bytes[start, end). */
function* fields(bytes: Uint8Array, start: number, end: number): Generator<Field> {
  let at = start;
  while (at < end) {
    const tag = readVarint(bytes, at);
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    let next: number;
    let payload: Field['payload'];
    if (wire === 0) next = readVarint(bytes, tag.next).next;
    else if (wire === 1) next = tag.next + 8;
    else if (wire === 5) next = tag.next + 4;
    else if (wire === LENGTH_DELIMITED) {
      const length = readVarint(bytes, tag.next);
      payload = { start: length.next, end: length.next + length.value };
      next = payload.end;
    } else throw invalid(`unsupported wire type ${wire} at byte ${at}`);
    if (next > end) throw invalid(`field ${field} at byte ${at} runs past its message`);
    yield { field, wire, start: at, end: next, ...(payload ? { payload } : {}) };
    at = next;
  }
}

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A length-delimited field holding `parts`. */
function message(field: number, parts: readonly Uint8Array[]): Uint8Array[] {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return [Uint8Array.from([...varint(field * 8 + LENGTH_DELIMITED), ...varint(length)]), ...parts];
}

const text = new TextEncoder();

function stringEntry(key: string, value: string): Uint8Array[] {
  const k = text.encode(key);
  const v = text.encode(value);
  return message(TENSOR_EXTERNAL_DATA, [...message(1, [k]), ...message(2, [v])]);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function rewriteTensor(
  bytes: Uint8Array,
  tensor: Field,
  minBytes: number,
): { parts: Uint8Array[]; moved: number } {
  const { start, end } = tensor.payload as { start: number; end: number };
  const kept: Uint8Array[] = [];
  let raw: { start: number; end: number } | undefined;
  for (const f of fields(bytes, start, end)) {
    if (f.field === TENSOR_RAW_DATA && f.payload && f.payload.end - f.payload.start >= minBytes)
      raw = f.payload;
    else kept.push(bytes.subarray(f.start, f.end));
  }
  if (!raw) return { parts: [bytes.subarray(tensor.start, tensor.end)], moved: 0 };
  const external = [
    ...stringEntry('location', EXTERNAL_WEIGHTS_PATH),
    ...stringEntry('offset', String(raw.start)),
    ...stringEntry('length', String(raw.end - raw.start)),
    Uint8Array.from([...varint(TENSOR_DATA_LOCATION * 8), 1]),
  ];
  return { parts: message(GRAPH_INITIALIZER, [...kept, ...external]), moved: raw.end - raw.start };
}

/** The dim_param of the first dimension of a ValueInfoProto's tensor shape, if any. */
function firstDimParam(bytes: Uint8Array, value: Field): string | undefined {
  const path = [2, 1, 2, 1]; // type → tensor_type → shape → first dim
  let current: Field | undefined = value;
  for (const step of path) {
    const p: Field['payload'] = current?.payload;
    current = p ? [...fields(bytes, p.start, p.end)].find((f) => f.field === step && f.payload) : undefined;
  }
  const dim = current?.payload;
  const param = dim
    ? [...fields(bytes, dim.start, dim.end)].find((f) => f.field === 2 && f.payload)
    : undefined;
  return param?.payload
    ? new TextDecoder().decode(bytes.subarray(param.payload.start, param.payload.end))
    : undefined;
}

/** Splits `model` (see the module comment). Tensors below `minBytes` stay inline. */
export function splitWeights(model: Uint8Array, minBytes = 1024): SplitModel {
  const out: Uint8Array[] = [];
  const batchDims: string[] = [];
  let moved = 0;
  let graphs = 0;
  for (const f of fields(model, 0, model.length)) {
    if (f.field !== MODEL_GRAPH || !f.payload) {
      out.push(model.subarray(f.start, f.end));
      continue;
    }
    graphs += 1;
    const graph: Uint8Array[] = [];
    for (const g of fields(model, f.payload.start, f.payload.end)) {
      if (g.field === GRAPH_INITIALIZER && g.payload) {
        const t = rewriteTensor(model, g, minBytes);
        graph.push(...t.parts);
        moved += t.moved;
        continue;
      }
      if (g.field === GRAPH_INPUT && g.payload) {
        const dim = firstDimParam(model, g);
        if (dim) batchDims.push(dim);
      }
      graph.push(model.subarray(g.start, g.end));
    }
    out.push(...message(MODEL_GRAPH, graph));
  }
  if (graphs !== 1) throw invalid(`expected one graph, found ${graphs}`);
  return { graph: concat(out), externalBytes: moved, batchDims };
}
