import type { Engine, EngineSession, Float32Tensor, SessionOptions } from '../../core/engine.js';
import { NetlensError } from '../../core/errors.js';
import { type ProviderFailure, createWithFallback } from '../../core/providers.js';
import { lowMemoryModel } from './low-memory.js';
import type { OrtInferenceSession, OrtWebModule } from './ort-types.js';

/** Execution providers this engine can try, in onnxruntime-web's names. */
export const WEB_PROVIDERS = ['webgpu', 'wasm'] as const;
export type WebProvider = (typeof WEB_PROVIDERS)[number];

export interface WebEngineOptions {
  /** The onnxruntime-web module (`onnxruntime-web` or `onnxruntime-web/wasm`), configured by the caller. */
  ort: OrtWebModule;
  /** Default providers in preference order when a session does not name any. Default ['wasm']. */
  providers?: readonly WebProvider[];
  /**
   * Load models the way a Worker isolate can afford (low-memory.ts): weights as external data from the
   * model's own bytes, batch fixed at 1 (larger batches run image by image), no weight prepacking.
   */
  lowMemory?: boolean;
}

/**
 * The core Engine on onnxruntime-web. Each provider is tried ALONE, in order: onnxruntime-web would
 * otherwise drop an unavailable 'webgpu' with only a console warning. Failures are recorded in
 * `session.fallbacks`, and a 'webgpu' session is only reported when ORT really acquired an adapter.
 */
export function createWebEngine(options: WebEngineOptions): Engine {
  const { ort } = options;
  const defaults = options.providers ?? ['wasm'];
  return {
    name: `onnxruntime-web ${ort.env.versions.web ?? 'unknown'}`,
    async createSession(model: Uint8Array, sessionOptions: SessionOptions = {}): Promise<EngineSession> {
      const providers = validateProviders(sessionOptions.providers ?? defaults);
      const { value, provider, fallbacks } = await createWithFallback(
        providers,
        async (provider) => {
          const low = options.lowMemory ? lowMemoryModel(model) : undefined;
          const session = await ort.InferenceSession.create(low?.model ?? model, {
            executionProviders: [provider],
            graphOptimizationLevel: 'all',
            ...low?.sessionOptions,
          });
          if (provider === 'webgpu' && !webGpuReallyRuns(ort)) {
            await session.release();
            throw new Error('onnxruntime-web created the session without a WebGPU adapter');
          }
          return session;
        },
        {
          requireGpu: sessionOptions.requireGpu === true,
          cpuProviders: ['wasm'],
          defaultGpuProviders: ['webgpu'],
        },
      );
      return wrapSession(ort, value, provider, fallbacks, options.lowMemory === true);
    },
  };
}

function validateProviders(requested: readonly string[]): WebProvider[] {
  const valid: readonly string[] = WEB_PROVIDERS;
  const unknown = requested.filter((p) => !valid.includes(p));
  if (unknown.length > 0 || requested.length === 0) {
    throw new NetlensError(
      'invalid_argument',
      `providers: ${unknown.length > 0 ? `unknown ${unknown.map((p) => `'${p}'`).join(', ')}` : 'empty list'}; onnxruntime-web supports ${WEB_PROVIDERS.join(', ')}`,
      { details: { valid: WEB_PROVIDERS } },
    );
  }
  return requested as WebProvider[];
}

/** ORT-web sets env.webgpu.adapter once its WebGPU backend has really initialised. */
function webGpuReallyRuns(ort: OrtWebModule): boolean {
  try {
    return ort.env.webgpu.adapter !== undefined && ort.env.webgpu.adapter !== null;
  } catch {
    return false;
  }
}

function wrapSession(
  ort: OrtWebModule,
  session: OrtInferenceSession,
  provider: WebProvider,
  fallbacks: readonly ProviderFailure[],
  oneImageAtATime: boolean,
): EngineSession {
  const wrapped: EngineSession = {
    provider,
    fallbacks,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(input: Float32Tensor, outputs?: readonly string[]): Promise<Record<string, Float32Tensor>> {
      if (oneImageAtATime && (input.dims[0] ?? 1) > 1) {
        return runImageByImage((one) => wrapped.run(one, outputs), input);
      }
      const inputName = session.inputNames[0];
      if (inputName === undefined) {
        throw new NetlensError('invalid_model_file', 'the model has no inputs');
      }
      const feeds = { [inputName]: new ort.Tensor('float32', input.data, [...input.dims]) };
      const wanted = outputs ?? session.outputNames;
      const unknown = wanted.filter((name) => !session.outputNames.includes(name));
      if (unknown.length > 0) {
        throw new NetlensError(
          'invalid_argument',
          `outputs: unknown ${unknown.join(', ')}; the model has ${session.outputNames.join(', ')}`,
        );
      }
      const results = await session.run(feeds, [...wanted]);
      const out: Record<string, Float32Tensor> = {};
      for (const name of wanted) {
        const tensor = results[name];
        if (tensor === undefined || tensor.type !== 'float32') {
          throw new NetlensError('invalid_model_file', `output '${name}' is not a float32 tensor`);
        }
        // Copy out of WASM-owned memory before releasing the tensor.
        out[name] = { data: new Float32Array(tensor.data as Float32Array), dims: [...tensor.dims] };
        tensor.dispose();
      }
      return out;
    },
    dispose: () => session.release(),
  };
  return wrapped;
}

/** Runs a batch as single images and stacks the outputs (sessions whose batch is fixed at 1). */
async function runImageByImage(
  run: (one: Float32Tensor) => Promise<Record<string, Float32Tensor>>,
  input: Float32Tensor,
): Promise<Record<string, Float32Tensor>> {
  const n = input.dims[0] ?? 1;
  const per = input.data.length / n;
  const parts: Record<string, Float32Tensor>[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(
      await run({ data: input.data.subarray(i * per, (i + 1) * per), dims: [1, ...input.dims.slice(1)] }),
    );
  }
  const out: Record<string, Float32Tensor> = {};
  for (const [name, first] of Object.entries(parts[0] ?? {})) {
    const data = new Float32Array(first.data.length * n);
    parts.forEach((p, i) => data.set((p[name] as Float32Tensor).data, i * first.data.length));
    out[name] = { data, dims: [n, ...first.dims.slice(1)] };
  }
  return out;
}
