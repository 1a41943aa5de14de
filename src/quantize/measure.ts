import type { Engine, EngineSession, Float32Tensor } from '../core/engine.js';
import { probabilities as rowProbabilities } from '../core/decode.js';
import type { Manifest } from '../core/manifest.js';
import { measureAgreement, type Agreement } from './agreement.js';

/**
 * Runs the float32 model and its variant on the same inputs with the product's engine (CPU) and
 * compares their probabilities (softmax applied to logits as the manifest says).
 */
export async function compareModels(
  engine: Engine,
  reference: Uint8Array,
  variant: Uint8Array,
  inputs: readonly Float32Tensor[],
  spec: Pick<Manifest, 'output'>,
  onProgress?: (done: number, total: number) => void,
): Promise<Agreement> {
  const progress = (offset: number) => (done: number) => onProgress?.(offset + done, 2 * inputs.length);
  const a = await modelOutputs(engine, reference, inputs, spec, progress(0));
  const b = await modelOutputs(engine, variant, inputs, spec, progress(inputs.length));
  return measureAgreement(a, b);
}

/** The model's class probabilities for each input (one CPU session, disposed after). */
export async function modelOutputs(
  engine: Engine,
  model: Uint8Array,
  inputs: readonly Float32Tensor[],
  spec: Pick<Manifest, 'output'>,
  onProgress?: (done: number, total: number) => void,
): Promise<Float32Array[]> {
  const session = await engine.createSession(model, { providers: ['cpu'] });
  try {
    const out: Float32Array[] = [];
    for (const [i, input] of inputs.entries()) {
      out.push(await probabilities(session, input, spec));
      onProgress?.(i + 1, inputs.length);
    }
    return out;
  } finally {
    await session.dispose();
  }
}

async function probabilities(
  session: EngineSession,
  input: Float32Tensor,
  spec: Pick<Manifest, 'output'>,
): Promise<Float32Array> {
  const outputName = spec.output.name;
  const result = await session.run(input, [outputName]);
  const output = result[outputName] as Float32Tensor;
  return rowProbabilities(output.data, spec);
}
