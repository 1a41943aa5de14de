import { NetlensError } from '../../../core/errors.js';
import type { DeferredFloat32, OnnxAttributes, OnnxGraphBuilder } from '../../onnx/index.js';
import type { KerasLayer } from '../config.js';
import type { KerasSemantics } from '../semantics.js';
import type { KerasTensor, KerasWeights } from '../types.js';

/**
 * A tensor during lowering. `shape` is Keras' shape without the batch axis. Rank-3 (image) tensors
 * are held in NCHW inside the ONNX graph; every other rank keeps Keras' layout.
 */
export interface Value {
  name: string;
  shape: number[];
}

export interface LoweringOptions {
  foldBatchNorm: boolean;
  /** Behaviours that differ between Keras versions (hard_sigmoid, bilinear upsampling). */
  semantics: KerasSemantics;
  /** Layers whose weights are removed from the map once taken (lowered exactly once). */
  release: ReadonlySet<string>;
}

export class LoweringContext {
  readonly b: OnnxGraphBuilder;
  readonly options: LoweringOptions;
  readonly source: string;
  parameters = 0;
  private readonly weights: KerasWeights;
  private readonly consumed = new Set<string>();

  constructor(b: OnnxGraphBuilder, weights: KerasWeights, source: string, options: LoweringOptions) {
    this.b = b;
    this.weights = weights;
    this.source = source;
    this.options = options;
  }

  /** Adds a node with a fresh output name derived from `base`; returns the output name. */
  op(opType: string, inputs: readonly string[], base: string, attributes: OnnxAttributes = {}): string {
    const out = this.b.uniqueName(`${base}/${opType}`);
    this.b.addNode(opType, inputs, [out], attributes);
    return out;
  }

  /** A float32 initializer; deferred data (a kernel transposed while written) is produced at serialisation. */
  constFloat(base: string, data: Float32Array | DeferredFloat32, dims: readonly number[]): string {
    return this.b.addInitializer(this.b.uniqueName(base), data, dims);
  }

  constInt64(base: string, values: readonly number[]): string {
    return this.b.addInitializer(
      this.b.uniqueName(base),
      BigInt64Array.from(values, (v) => BigInt(v)),
      [values.length],
    );
  }

  scalar(base: string, value: number): string {
    return this.constFloat(base, new Float32Array([value]), []);
  }

  /**
   * The layer's weights in Keras order, checked against the shapes the architecture implies.
   * `expected` lists every weight the layer config calls for, in order.
   */
  takeWeights(
    layer: KerasLayer,
    expected: readonly { role: string; dims: readonly number[] }[],
    /** sizeOnly: a weight may have any shape holding the expected number of values (Normalization). */
    { sizeOnly = false }: { sizeOnly?: boolean } = {},
  ): Float32Array[] {
    if (expected.length === 0) return [];
    const tensors: KerasTensor[] | undefined = this.weights.get(layer.name);
    if (!tensors || tensors.length === 0) {
      const available = [...this.weights.keys()];
      throw new NetlensError(
        'invalid_model_file',
        `${this.source}: layer '${layer.name}' (${layer.className}) needs ${expected.length} weight arrays ` +
          `(${expected.map((e) => e.role).join(', ')}) but the file has none for it. Layers with weights in the file: ` +
          `${available.slice(0, 12).join(', ')}${available.length > 12 ? `, … (${available.length})` : ''}. ` +
          `Check that the weights belong to this architecture.`,
        { details: { file: this.source, layer: layer.name, className: layer.className } },
      );
    }
    if (tensors.length !== expected.length) {
      throw new NetlensError(
        'invalid_model_file',
        `${this.source}: layer '${layer.name}' (${layer.className}) has ${tensors.length} weight arrays ` +
          `(${tensors.map((t) => t.name).join(', ')}) but its config calls for ${expected.length} ` +
          `(${expected.map((e) => e.role).join(', ')})`,
        { details: { file: this.source, layer: layer.name } },
      );
    }
    this.consumed.add(layer.name);
    if (this.options.release.has(layer.name)) this.weights.delete(layer.name);
    return expected.map((e, i) => {
      const t = tensors[i] as KerasTensor;
      const count = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);
      const same = sizeOnly
        ? count(t.dims) === count(e.dims)
        : t.dims.length === e.dims.length && t.dims.every((d, k) => d === e.dims[k]);
      if (!same) {
        throw new NetlensError(
          'invalid_model_file',
          `${this.source}: layer '${layer.name}' (${layer.className}) weight '${t.name}' (${e.role}) has shape ` +
            `[${t.dims.join(', ')}] but the architecture needs [${e.dims.join(', ')}]; the weights do not belong ` +
            `to this architecture (wrong --arch, classes or include_top?)`,
          {
            details: { file: this.source, layer: layer.name, weight: t.name, got: t.dims, expected: e.dims },
          },
        );
      }
      this.parameters += t.data.length;
      return t.data;
    });
  }

  /** Layers that carry weights in the file but were never used (for a warning in the summary). */
  unusedWeightLayers(): string[] {
    return [...this.weights.entries()]
      .filter(([name, tensors]) => tensors.length > 0 && !this.consumed.has(name))
      .map(([name]) => name);
  }
}

export function layerError(ctx: LoweringContext, layer: KerasLayer, message: string): NetlensError {
  return new NetlensError(
    'invalid_model_file',
    `${ctx.source}: layer '${layer.name}' (${layer.className}): ${message}`,
    {
      details: { file: ctx.source, layer: layer.name, className: layer.className },
    },
  );
}

/** Maps a Keras axis (counting the batch axis) of a tensor with `rank` (without batch) to the ONNX axis. */
export function onnxAxis(kerasAxis: number, rank: number): number {
  const full = rank + 1;
  const a = kerasAxis < 0 ? kerasAxis + full : kerasAxis;
  if (rank !== 3) return a;
  // NHWC → NCHW: batch 0→0, H 1→2, W 2→3, C 3→1
  return [0, 2, 3, 1][a] ?? a;
}

/** Reads an int pair from `3`, `[3, 3]` or `[[3, 3]]`-style config values. */
export function pair(value: unknown, fallback: [number, number]): [number, number] {
  if (typeof value === 'number') return [value, value];
  if (
    Array.isArray(value) &&
    value.length >= 2 &&
    typeof value[0] === 'number' &&
    typeof value[1] === 'number'
  ) {
    return [value[0], value[1]];
  }
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'number') return [value[0], value[0]];
  return fallback;
}

export function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** Converts a Value to Keras layout (NHWC for rank 3) and returns the ONNX tensor name. */
export function toKerasLayout(ctx: LoweringContext, value: Value, base: string): string {
  if (value.shape.length !== 3) return value.name;
  return ctx.op('Transpose', [value.name], base, { perm: [0, 2, 3, 1] });
}

/** Converts a tensor in Keras layout to the internal layout for its rank. */
export function fromKerasLayout(ctx: LoweringContext, name: string, shape: number[], base: string): Value {
  if (shape.length !== 3) return { name, shape };
  return { name: ctx.op('Transpose', [name], base, { perm: [0, 3, 1, 2] }), shape };
}
