import type { Engine, EngineSession, SessionOptions } from '../../core/engine.js';
import { NetlensError } from '../../core/errors.js';
import { createWithFallback } from '../../core/providers.js';
import { type SessionHandler, openSession } from '../../core/session.js';
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
      const { value } = await createWithFallback(
        providers,
        async (provider, fallbacks) => {
          const low = options.lowMemory ? lowMemoryModel(model) : undefined;
          const session = await ort.InferenceSession.create(low?.model ?? model, {
            executionProviders: [provider],
            graphOptimizationLevel: 'all',
            ...low?.sessionOptions,
          });
          try {
            if (provider === 'webgpu' && !webGpuReallyRuns(ort)) {
              throw new Error('onnxruntime-web created the session without a WebGPU adapter');
            }
            // The warm-up runs here, so a provider that cannot run the model falls back to the next.
            const handler = handlerOf(ort, session);
            return await openSession(low ? imageByImage(handler) : handler, {
              provider,
              fallbacks,
              ...(sessionOptions.warmUp !== undefined && { warmUp: sessionOptions.warmUp }),
            });
          } catch (error) {
            await session.release().catch(() => undefined);
            throw error;
          }
        },
        {
          requireGpu: sessionOptions.requireGpu === true,
          cpuProviders: ['wasm'],
          defaultGpuProviders: ['webgpu'],
        },
      );
      return value;
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

/** onnxruntime-web's session as the core wrapper's handler: outputs are copied out of WASM memory. */
function handlerOf(ort: OrtWebModule, session: OrtInferenceSession): SessionHandler {
  return {
    inputs: session.inputMetadata.map((meta) => ({
      name: meta.name,
      type: meta.isTensor ? meta.type : 'not a tensor',
      dims: meta.isTensor ? meta.shape.map((d) => (typeof d === 'number' ? d : undefined)) : [],
    })),
    outputNames: session.outputNames,
    async run(input, outputs) {
      const feeds = { [input.name]: new ort.Tensor('float32', input.tensor.data, [...input.tensor.dims]) };
      const results = await session.run(feeds, [...outputs]);
      const out: Awaited<ReturnType<SessionHandler['run']>> = {};
      for (const [name, tensor] of Object.entries(results)) {
        const data = tensor.data instanceof Float32Array ? new Float32Array(tensor.data) : tensor.data;
        out[name] = { type: tensor.type, data, dims: tensor.dims };
        tensor.dispose();
      }
      return out;
    },
    release: () => session.release(),
  };
}

/** Runs a batch as single images and stacks the outputs (sessions whose batch is fixed at 1). */
function imageByImage(handler: SessionHandler): SessionHandler {
  return {
    ...handler,
    async run(input, outputs) {
      const { data, dims } = input.tensor;
      const n = dims[0] ?? 1;
      if (n <= 1) return handler.run(input, outputs);
      const per = data.length / n;
      const parts: Awaited<ReturnType<SessionHandler['run']>>[] = [];
      for (let i = 0; i < n; i++) {
        const one = { data: data.subarray(i * per, (i + 1) * per), dims: [1, ...dims.slice(1)] };
        parts.push(await handler.run({ name: input.name, tensor: one }, outputs));
      }
      const out: Awaited<ReturnType<SessionHandler['run']>> = {};
      for (const name of outputs) {
        const each = parts.map((p) => p[name]);
        const first = each[0];
        // Anything but float32 is passed on as it came, for openSession to refuse with its message.
        if (first === undefined || !each.every((t) => t?.data instanceof Float32Array)) {
          out[name] = first;
          continue;
        }
        const stacked = new Float32Array((first.data as Float32Array).length * n);
        each.forEach((t, i) => stacked.set(t?.data as Float32Array, i * (first.data as Float32Array).length));
        out[name] = { type: first.type, data: stacked, dims: [n, ...first.dims.slice(1)] };
      }
      return out;
    },
  };
}
