import { createHash } from 'node:crypto';
import path from 'node:path';
import type { ManifestInput, Manifest, Training } from '../core/manifest.js';
import { OnnxGraphBuilder } from '../convert/onnx/builder.js';
import { composeModels, onnxOpset } from '../convert/onnx/compose.js';
import { type WrittenModel, writeConvertedModel } from '../convert/write-model.js';
import type { Head } from './head.js';

export const TRAINER = 'netlens-train 0.1.0';

/** The output of an exported model: the head's softmax, named after the prefix its graph gets. */
export const HEAD_PREFIX = 'head/';
const HEAD_OUTPUT = 'probabilities';

/**
 * The head as its own ONNX graph, the same arithmetic as TF.js ran it (head.ts): features [batch, D]
 * → Sub(mean) → Mul(scale) → Gemm (kernels [out, in], transB) [→ Relu → Gemm] → Softmax →
 * probabilities [batch, classes].
 */
export function headOnnx(head: Head, opset: number): Uint8Array {
  const g = new OnnxGraphBuilder({ name: 'netlens-train-head', opset, producerName: TRAINER });
  const inputs = head.layers[0]!.inputs;
  g.addInput('features', ['batch', inputs]);
  g.addInitializer('mean', head.mean, [inputs]);
  g.addInitializer('scale', head.scale, [inputs]);
  g.addNode('Sub', ['features', 'mean'], ['centred']);
  let x = g.addNode('Mul', ['centred', 'scale'], ['standardised']);
  head.layers.forEach((layer, i) => {
    if (i > 0) x = g.addNode('Relu', [x], [`relu${i}`]);
    g.addInitializer(`dense${i}/kernel`, layer.weights, [layer.outputs, layer.inputs]);
    g.addInitializer(`dense${i}/bias`, layer.bias, [layer.outputs]);
    x = g.addNode('Gemm', [x, `dense${i}/kernel`, `dense${i}/bias`], [`dense${i}`], { transB: 1 });
  });
  g.addNode('Softmax', [x], [HEAD_OUTPUT], { axis: -1 });
  g.addOutput(HEAD_OUTPUT, ['batch', head.layers.at(-1)!.outputs]);
  return g.toBytes();
}

export interface ExportRequest {
  readonly modelsDir: string;
  readonly name: string;
  readonly base: Manifest;
  /** The base model's features ONNX (manifest.features.file), sha256 already checked. */
  readonly featuresBytes: Uint8Array;
  readonly head: Head;
  readonly labels: readonly string[];
  readonly source: string;
  readonly training: Training;
}

/**
 * One ONNX model — the base's features graph with the head appended — and its manifest (the user's
 * labels, the base's input and preprocessing, provenance and the report), written atomically into the
 * models directory, manifest last.
 */
export async function exportModel(
  request: ExportRequest,
): Promise<WrittenModel & { manifest: ManifestInput }> {
  const { base, head, name } = request;
  const features = base.features!;
  const opset = onnxOpset(request.featuresBytes, `${base.name}'s features model`);
  const composed = composeModels(request.featuresBytes, headOnnx(head, opset), {
    connect: features.output,
    prefix: HEAD_PREFIX,
  });
  const classes = request.labels.length;
  const manifest: ManifestInput = {
    manifestVersion: 1,
    name,
    architecture: base.architecture,
    description: `${classes} classes (${request.labels.join(', ')}) on ${base.name}'s features, trained by netlens train`,
    file: `${name}.onnx`,
    input: base.input,
    output: { name: `${HEAD_PREFIX}${HEAD_OUTPUT}`, kind: 'probabilities', size: classes },
    preprocessing: base.preprocessing,
    labels: [...request.labels],
    sha256: { model: createHash('sha256').update(composed.bytes).digest('hex') },
    provenance: {
      source: path.resolve(request.source),
      format: 'netlens-train',
      converter: TRAINER,
      convertedAt: new Date().toISOString(),
      opset,
      parameters: composed.parameters,
      ...(base.provenance.license !== undefined && { license: base.provenance.license }),
    },
    training: request.training,
  };
  const written = await writeConvertedModel(request.modelsDir, manifest, composed.bytes);
  return { ...written, manifest };
}
