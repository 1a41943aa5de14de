import { cloneGraph, freshNameFactory, renameInputs, type Graph, type GraphNode } from './graph.js';

/**
 * The float16 variant of a float32 graph, for GPU execution providers (WebGPU, CUDA): every float
 * initializer becomes float16, so every activation is float16 too, while the model's input and output
 * stay float32 — a Cast after the input and before each output — so decoding, preprocessing and
 * post-processing stay shared with the float32 model. On the CPU provider onnxruntime runs float16 ops
 * that have no float16 kernel by casting around them (correct, not fast).
 */
export interface Float16Result {
  graph: Graph;
  /** Weights beyond ±65504 (float16's largest finite value), stored as ±65504. */
  saturated: number;
}

const FLOAT16 = 10;
const FLOAT32 = 1;
const MAX_FLOAT16 = 65504;

/** Inputs that ONNX types as float32 whatever the data type (Resize's roi and scales). */
const ALWAYS_FLOAT32: Record<string, number[]> = { Resize: [1, 2], Upsample: [1] };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of `value`, rounded to nearest even (overflow → ±Infinity, NaN kept). */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 2 ** (shift - 1);
    const rest = significand % 2 ** shift;
    let h = Math.floor(significand / 2 ** shift);
    if (rest > half || (rest === half && (h & 1) === 1)) h += 1;
    return sign | h;
  }
  const rest = mantissa & 0x1fff;
  let h = (e << 10) | (mantissa >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h += 1; // a carry moves into the exponent, as it should
  return sign | h;
}

/** The number a float16 bit pattern holds. */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function toFloat16Array(values: Float32Array): { bits: Uint16Array; saturated: number } {
  const bits = new Uint16Array(values.length);
  let saturated = 0;
  for (let i = 0; i < values.length; i++) {
    let v = values[i] as number;
    if (Math.abs(v) > MAX_FLOAT16 && Number.isFinite(v)) {
      v = Math.sign(v) * MAX_FLOAT16;
      saturated += 1;
    }
    bits[i] = toFloat16Bits(v);
  }
  return { bits, saturated };
}

export function convertToFloat16(source: Graph): Float16Result {
  const graph = cloneGraph(source);
  const fresh = freshNameFactory(graph);
  const keep = new Set<string>();
  for (const node of graph.nodes) {
    for (const index of ALWAYS_FLOAT32[node.opType] ?? []) keep.add(node.inputs[index] ?? '');
  }
  let saturated = 0;
  for (const [name, tensor] of graph.initializers) {
    if (!(tensor.data instanceof Float32Array) || keep.has(name)) continue;
    const converted = toFloat16Array(tensor.data);
    saturated += converted.saturated;
    graph.initializers.set(name, { dims: tensor.dims, data: converted.bits });
  }
  const head: GraphNode[] = [];
  for (const input of graph.inputs) {
    if (input.dtype !== 'float32') continue;
    const half = fresh(`${input.name}/float16`);
    renameInputs(graph, input.name, half);
    head.push(cast(input.name, half, FLOAT16, fresh(`${input.name}/Cast`)));
  }
  const tail: GraphNode[] = [];
  for (const output of graph.outputs) {
    if (output.dtype !== 'float32') continue;
    const half = fresh(`${output.name}/float16`);
    for (const node of graph.nodes) node.outputs = node.outputs.map((o) => (o === output.name ? half : o));
    renameInputs(graph, output.name, half);
    tail.push(cast(half, output.name, FLOAT32, fresh(`${output.name}/Cast`)));
  }
  graph.nodes = [...head, ...graph.nodes, ...tail];
  return { graph, saturated };
}

function cast(input: string, output: string, to: number, name: string): GraphNode {
  return { name, opType: 'Cast', inputs: [input], outputs: [output], attributes: { to } };
}
