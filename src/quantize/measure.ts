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
  const outputsOf = async (model: Uint8Array, offset: number): Promise<Float32Array[]> => {
    const session = await engine.createSession(model, { providers: ['cpu'] });
    try {
      const out: Float32Array[] = [];
      for (const [i, input] of inputs.entries()) {
        out.push(await probabilities(session, input, spec));
        onProgress?.(offset + i + 1, 2 * inputs.length);
      }
      return out;
    } finally {
      await session.dispose();
    }
  };
  const a = await outputsOf(reference, 0);
  const b = await outputsOf(variant, inputs.length);
  return measureAgreement(a, b);
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
