import { NetlensError } from '../../core/errors.js';
import type { ManifestInput } from '../../core/manifest.js';
import { sha256Bytes } from '../sha256.js';
import { DEFAULT_OPSET, OnnxGraphBuilder } from '../onnx/index.js';
import { parseModelConfig, type KerasGraphModel, type KerasLayer, type TensorRef } from './config.js';
import { defaultPreprocessing } from './defaults.js';
import { kerasSemantics } from './semantics.js';
import { activationName } from './lower/activations.js';
import { LoweringContext, type Value } from './lower/context.js';
import { lowerGraph } from './lower/graph.js';
import type { ConversionResult, ConversionSummary, ConvertOptions, KerasModelSpec } from './types.js';
import { writeOnnxFile } from '../onnx/write-file.js';
import type { OutputKind } from './output-kind.js';

export const CONVERTER_NAME = 'netlens-keras2onnx 0.1.0';
export const INPUT_NAME = 'input';

const IDENTITY_CLASSES = new Set([
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ActivityRegularization',
]);

function layerOf(model: KerasGraphModel, name: string): KerasLayer | undefined {
  return model.layers.find((l) => l.name === name);
}

function endsInSoftmax(layer: KerasLayer): boolean {
  if (layer.className === 'Softmax') return true;
  return activationName(layer.config['activation']) === 'softmax';
}

/**
 * The penultimate-features layer: the input of the final classifier (Dense), skipping a trailing
 * softmax Activation and Dropout-like layers. Used by `--output features` without `--cut-at`.
 */
export function defaultFeatureLayer(model: KerasGraphModel): string {
  const out = model.outputs[0];
  let layer = out ? layerOf(model, out.layer) : undefined;
  const next = (l: KerasLayer): KerasLayer | undefined => {
    const ref = l.inbound[0]?.[0];
    return ref ? layerOf(model, ref.layer) : undefined;
  };
  // A classifier head: Dense, optionally followed by its activation as a layer.
  if (layer && (layer.className === 'Activation' || layer.className === 'Softmax')) {
    const dense = next(layer);
    if (dense?.className === 'Dense') layer = dense;
  }
  if (layer && layer.className === 'Dense') layer = next(layer);
  while (layer && IDENTITY_CLASSES.has(layer.className)) layer = next(layer);
  if (!layer || layer.className === 'InputLayer') {
    throw new NetlensError(
      'invalid_argument',
      `model '${model.name}' does not end in a Dense classifier, so there is no default feature layer; pass --cut-at LAYER`,
    );
  }
  return layer.name;
}

function inputShape(model: KerasGraphModel, source: string): number[] {
  if (model.inputs.length !== 1) {
    throw new NetlensError(
      'invalid_model_file',
      `${source}: the model has ${model.inputs.length} inputs; only single-input image models are supported`,
    );
  }
  const ref = model.inputs[0] as TensorRef;
  const layer = layerOf(model, ref.layer);
  const shape = layer?.config['batch_input_shape'] ?? layer?.config['batch_shape'];
  if (!Array.isArray(shape) || shape.length < 2) {
    throw new NetlensError(
      'invalid_model_file',
      `${source}: input layer '${ref.layer}' has no batch_input_shape`,
    );
  }
  const dims = shape.slice(1);
  if (!dims.every((d) => typeof d === 'number' && d > 0)) {
    throw new NetlensError(
      'invalid_model_file',
      `${source}: input '${ref.layer}' has shape [${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}]; ` +
        `every dimension except the batch must be fixed (rebuild the model with input_shape=(H, W, C))`,
    );
  }
  return dims as number[];
}

function resolveOutput(
  model: KerasGraphModel,
  options: ConvertOptions,
): { ref: TensorRef; kind: OutputKind } {
  const cutAt = options.cutAt ?? (options.output === 'features' ? defaultFeatureLayer(model) : undefined);
  if (cutAt !== undefined) {
    const layer = layerOf(model, cutAt);
    if (!layer || layer.className === 'InputLayer') {
      const names = model.layers.filter((l) => l.className !== 'InputLayer').map((l) => l.name);
      throw new NetlensError(
        'invalid_argument',
        `--cut-at '${cutAt}' is not a layer of model '${model.name}'. Layers: ${names.slice(-20).join(', ')}${names.length > 20 ? ` (last 20 of ${names.length})` : ''}`,
        { details: { layers: names } },
      );
    }
    return {
      ref: { layer: layer.name, node: Math.max(0, layer.inbound.length - 1), tensor: 0 },
      kind: options.output ?? 'features',
    };
  }
  if (model.outputs.length !== 1) {
    throw new NetlensError(
      'invalid_model_file',
      `model '${model.name}' has ${model.outputs.length} outputs; only one is supported`,
    );
  }
  const ref = model.outputs[0] as TensorRef;
  const last = layerOf(model, ref.layer);
  const softmax = last !== undefined && endsInSoftmax(last);
  return { ref, kind: options.output ?? (softmax ? 'probabilities' : 'logits') };
}

/** Converts a Keras model (any supported file format, already read) into ONNX bytes and a manifest. */
async function convertInternal<T extends { bytes: number; sha256: string }>(
  spec: KerasModelSpec,
  options: ConvertOptions,
  serialise: (builder: OnnxGraphBuilder) => T,
): Promise<{ out: T; manifest: ManifestInput; summary: ConversionSummary }> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  progress({ phase: 'graph', done: 0, total: 1 });
  const model = parseModelConfig(spec.config, spec.source);
  const shape = inputShape(model, spec.source);
  const { ref: outputRef, kind } = resolveOutput(model, options);

  const opset = options.opset ?? DEFAULT_OPSET;
  const b = new OnnxGraphBuilder({
    name: options.name,
    opset,
    producerName: 'netlens',
    docString: `converted from ${spec.source}`,
  });
  const ctx = new LoweringContext(b, spec.weights, spec.source, {
    foldBatchNorm: false,
    semantics: kerasSemantics(spec),
    release: options.releaseWeights === true ? releasableLayers(model) : new Set(),
  });
  progress({ phase: 'lower', done: 0, total: model.layers.length });

  b.addInput(INPUT_NAME, ['batch', ...shape]);
  // Keras is NHWC; the graph runs NCHW inside: one transpose here, one back only if the output is an image.
  const input: Value =
    shape.length === 3
      ? { name: ctx.op('Transpose', [INPUT_NAME], 'input_nchw', { perm: [0, 3, 1, 2] }), shape }
      : { name: INPUT_NAME, shape };
  const skip = kind === 'logits' ? { skipSoftmaxAt: outputRef } : {};
  const [result] = lowerGraph(ctx, model, [input], [outputRef], skip);
  if (!result) throw new NetlensError('internal', 'lowering produced no output');

  const outputName = kind === 'features' ? 'features' : 'output';
  const lastLayer = layerOf(model, outputRef.layer) as KerasLayer;
  // --output probabilities on a model that ends in logits (trained with from_logits=True): add the softmax.
  const softmaxAdded = kind === 'probabilities' && !endsInSoftmax(lastLayer) && result.shape.length === 1;
  const scores = softmaxAdded
    ? ctx.op('Softmax', [result.name], 'output_softmax', { axis: -1 })
    : result.name;
  const finalTensor =
    result.shape.length === 3
      ? ctx.op('Transpose', [result.name], 'output_nhwc', { perm: [0, 2, 3, 1] })
      : scores;
  b.addNode('Identity', [finalTensor], [outputName]);
  b.addOutput(outputName, ['batch', ...result.shape]);
  progress({ phase: 'lower', done: model.layers.length, total: model.layers.length });

  const outputSize = result.shape.reduce((a, c) => a * c, 1);
  const architecture = options.architecture ?? 'custom';
  const labels =
    options.labels ?? (kind === 'features' ? [] : Array.from({ length: outputSize }, (_, i) => `class_${i}`));
  const labelCount = Array.isArray(labels) ? labels.length : Object.keys(labels).length;
  if (kind !== 'features' && labelCount !== outputSize) {
    throw new NetlensError(
      'invalid_argument',
      `--labels gives ${labelCount} labels but model '${options.name}' outputs ${outputSize} classes (layer ${outputRef.layer})`,
      { details: { labels: labelCount, classes: outputSize } },
    );
  }
  progress({ phase: 'serialise', done: 0, total: 1 });
  const out = serialise(b);
  progress({ phase: 'serialise', done: 1, total: 1 });
  const manifest: ManifestInput = {
    manifestVersion: 1,
    name: options.name,
    architecture,
    ...(options.description ? { description: options.description } : {}),
    file: `${options.name}.onnx`,
    input: {
      name: INPUT_NAME,
      layout: 'NHWC',
      height: shape[0] ?? 1,
      width: shape[1] ?? 1,
      channels: shape[2] ?? 1,
      dtype: 'float32',
    },
    output: { name: outputName, kind, size: outputSize },
    preprocessing: defaultPreprocessing(architecture, shape[2] ?? 1, options.preprocessing),
    labels,
    sha256: { model: out.sha256, ...(spec.sourceSha256 ? { source: spec.sourceSha256 } : {}) },
    provenance: {
      source: spec.source,
      format: spec.format,
      ...(spec.kerasVersion ? { kerasVersion: spec.kerasVersion } : {}),
      converter: CONVERTER_NAME,
      convertedAt: new Date().toISOString(),
      opset,
      parameters: ctx.parameters,
      ...(options.license ? { license: options.license } : {}),
    },
  };
  return {
    out,
    manifest,
    summary: {
      parameters: ctx.parameters,
      onnxBytes: out.bytes,
      nodes: b.nodeCount,
      opHistogram: b.opHistogram(),
      layers: model.layers.length,
      inputShape: shape,
      outputShape: result.shape,
      outputLayer: outputRef.layer,
      softmaxStripped: kind === 'logits' && endsInSoftmax(lastLayer),
      softmaxAdded,
      unusedWeightLayers: ctx.unusedWeightLayers(),
      millis: Date.now() - started,
    },
  };
}

/** Layers lowered exactly once (nested models multiply their inner layers' calls); only these may be released. */
function releasableLayers(
  model: KerasGraphModel,
  factor = 1,
  counts = new Map<string, number>(),
): Set<string> {
  for (const layer of model.layers) {
    const calls = factor * Math.max(1, layer.inbound.length);
    if (layer.model) releasableLayers(layer.model, calls, counts);
    else counts.set(layer.name, (counts.get(layer.name) ?? 0) + calls);
  }
  return new Set([...counts].filter(([, n]) => n <= 1).map(([name]) => name));
}

/** Converts a Keras model (any supported file format, already read) into ONNX bytes and a manifest. */
export async function convertKerasModel(
  spec: KerasModelSpec,
  options: ConvertOptions,
): Promise<ConversionResult> {
  const { out, manifest, summary } = await convertInternal(spec, options, (b) => {
    const onnx = b.toBytes();
    return { onnx, bytes: onnx.byteLength, sha256: sha256Bytes(onnx) };
  });
  return { onnx: out.onnx, manifest, summary };
}

/**
 * Like convertKerasModel, but streams the ONNX file to `path` (the weights are never gathered into
 * one buffer) and returns its sha256. With `releaseWeights` the spec's weights are consumed.
 */
export async function convertKerasModelToFile(
  spec: KerasModelSpec,
  options: ConvertOptions,
  path: string,
): Promise<{ manifest: ManifestInput; summary: ConversionSummary; sha256: string }> {
  const { out, manifest, summary } = await convertInternal(spec, options, (b) => writeOnnxFile(b, path));
  return { manifest, summary, sha256: out.sha256 };
}
