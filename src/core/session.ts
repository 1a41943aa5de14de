import type { EngineSession, Float32Tensor } from './engine.js';
import { NetlensError } from './errors.js';
import type { ProviderFailure } from './providers.js';

/**
 * The one session wrapper of every engine (onnxruntime-node, onnxruntime-web): a backend supplies a
 * handler that only runs its library's session; the checks, the error wording and the warm-up live
 * here, once (as onnxruntime's js/common does for its backends).
 */
export interface SessionHandler {
  /** The model's inputs as the backend reports them; symbolic or unknown dimensions are undefined. */
  readonly inputs: readonly { name: string; type: string; dims: readonly (number | undefined)[] }[];
  readonly outputNames: readonly string[];
  /** Runs one float32 input and returns the wanted outputs in memory the caller owns. */
  run(
    input: { name: string; tensor: Float32Tensor },
    outputs: readonly string[],
  ): Promise<Record<string, { type: string; data: unknown; dims: readonly number[] } | undefined>>;
  release(): Promise<void>;
}

export interface OpenSessionOptions {
  provider: string;
  fallbacks: readonly ProviderFailure[];
  /** One run with zeros before the session is handed out (default true). */
  warmUp?: boolean;
}

/**
 * Checks the handler's model (one float32 input), wraps it as an EngineSession and — unless told not
 * to — warms it up with zeros so the first request does not pay for lazy initialisation and a provider
 * that cannot really run the model fails here, where the caller can still fall back to the next one.
 */
export async function openSession(
  handler: SessionHandler,
  options: OpenSessionOptions,
): Promise<EngineSession> {
  const input = handler.inputs[0];
  if (input === undefined || handler.inputs.length !== 1) {
    throw new NetlensError(
      'invalid_model_file',
      `netlens models take exactly one input; this one has ${handler.inputs.length} (${handler.inputs.map((i) => i.name).join(', ')})`,
    );
  }
  if (input.type !== 'float32') {
    throw new NetlensError(
      'invalid_model_file',
      `input '${input.name}' is ${input.type}, not float32; netlens models take one float32 NHWC input`,
    );
  }
  const outputNames = [...handler.outputNames];
  const run = async (tensor: Float32Tensor, outputs?: readonly string[]) => {
    const wanted = outputs ?? outputNames;
    const unknown = wanted.filter((name) => !outputNames.includes(name));
    if (unknown.length > 0) {
      throw new NetlensError(
        'invalid_argument',
        `outputs: unknown ${unknown.map((n) => `'${n}'`).join(', ')}; the model has ${outputNames.join(', ')}`,
        { details: { unknown, outputs: outputNames } },
      );
    }
    const results = await handler.run({ name: input.name, tensor }, wanted);
    const out: Record<string, Float32Tensor> = {};
    for (const name of wanted) {
      const result = results[name];
      if (result === undefined || result.type !== 'float32' || !(result.data instanceof Float32Array)) {
        throw new NetlensError(
          'invalid_model_file',
          `output '${name}' is ${result === undefined ? 'missing' : result.type}, not a float32 tensor`,
        );
      }
      out[name] = { data: result.data, dims: [...result.dims] };
    }
    return out;
  };
  let warmUpMs: number | undefined;
  if (options.warmUp !== false) {
    const dims = input.dims.map((d) => (d !== undefined && d > 0 ? d : 1));
    const started = performance.now();
    await run({ data: new Float32Array(dims.reduce((a, b) => a * b, 1)), dims });
    warmUpMs = performance.now() - started;
  }
  return {
    provider: options.provider,
    fallbacks: options.fallbacks,
    inputNames: [input.name],
    outputNames,
    warmUpMs,
    run,
    dispose: () => handler.release(),
  };
}
