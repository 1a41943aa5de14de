import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Engine, EngineSession, Float32Tensor, SessionOptions } from '../../core/engine.js';
import { NetlensError, messageOf } from '../../core/errors.js';
import { type ProviderFailure, createWithFallback } from '../../core/providers.js';
import { profileDirectory, readPlacement, type Placement } from './placement.js';
import {
  CPU_PROVIDERS,
  DEFAULT_GPU_PROVIDERS,
  DEFAULT_PROVIDERS,
  GPU_PROVIDERS,
  ortProviderId,
  parseProviderList,
} from './providers.js';

export interface NodeEngineOptions {
  /** Providers in preference order. Default: NETLENS_PROVIDERS ("cuda,webgpu,cpu"), else ['cpu']. */
  providers?: readonly string[];
  /** Fail (listing every provider's failure) unless a GPU provider runs. Default: NETLENS_REQUIRE_GPU=1. */
  requireGpu?: boolean;
  /** Intra-op threads. Default: os.availableParallelism(). */
  threads?: number;
  /** One run with zeros after loading, so the first request does not pay for lazy initialisation. Default true. */
  warmUp?: boolean;
  /**
   * Profile the warm-up run and count nodes per provider (`session.placement`). 'gpu' (default) does it
   * when a GPU provider was chosen, where a node silently left on the CPU would matter.
   */
  verifyPlacement?: boolean | 'gpu';
  /** onnxruntime log level 0 (verbose) … 4 (fatal). Default 3 (errors). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** Where NETLENS_* variables are read from. Default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface NodeEngineSession extends EngineSession {
  /** Nodes per onnxruntime provider id in the profiled warm-up run, when placement was verified. */
  readonly placement: Placement | undefined;
  /** Time of the warm-up run in ms (undefined when warm-up was off). */
  readonly warmUpMs: number | undefined;
}

export interface NodeSessionOptions extends SessionOptions {
  warmUp?: boolean;
  verifyPlacement?: boolean | 'gpu';
}

export interface NodeEngine extends Engine {
  createSession(model: Uint8Array, options?: NodeSessionOptions): Promise<NodeEngineSession>;
  /** The providers a session tries when it names none (after NETLENS_PROVIDERS). */
  readonly defaultProviders: readonly string[];
}

/**
 * The core Engine on onnxruntime-node. Each execution provider is tried alone, in order; a provider that
 * fails to create the session or to run the warm-up is recorded in `session.fallbacks` and the next one
 * is tried. `session.provider` is the one that really runs — never a silent fallback.
 */
export function createNodeEngine(options: NodeEngineOptions = {}): NodeEngine {
  const env = options.env ?? process.env;
  const defaultProviders = options.providers ?? parseProviderList(env.NETLENS_PROVIDERS) ?? DEFAULT_PROVIDERS;
  const defaultRequireGpu = options.requireGpu ?? truthy(env.NETLENS_REQUIRE_GPU);
  const threads = options.threads ?? availableParallelism();
  return {
    name: `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`,
    defaultProviders,
    async createSession(model, sessionOptions = {}) {
      const requireGpu = sessionOptions.requireGpu ?? defaultRequireGpu;
      const requested = sessionOptions.providers ?? defaultProviders;
      const open: OpenOptions = {
        threads: sessionOptions.threads ?? threads,
        warmUp: sessionOptions.warmUp ?? options.warmUp ?? true,
        verifyPlacement: sessionOptions.verifyPlacement ?? options.verifyPlacement ?? 'gpu',
        logSeverityLevel: options.logSeverityLevel ?? 3,
      };
      const { value } = await createWithFallback(
        requested,
        async (provider, fallbacks) => {
          try {
            return await openSession(model, provider, fallbacks, open);
          } catch (error) {
            const invalidModel = error instanceof NetlensError && error.code === 'invalid_model_file';
            if (provider !== 'cpu' || invalidModel) throw error;
            // The CPU provider always exists: when it fails, the model is at fault, not the host.
            throw new NetlensError(
              'invalid_model_file',
              `onnxruntime could not load the model: ${messageOf(error)}`,
              {
                cause: error,
                details: { tried: [...fallbacks, { provider, error: messageOf(error).trim() }] },
              },
            );
          }
        },
        {
          requireGpu,
          cpuProviders: CPU_PROVIDERS,
          defaultGpuProviders: DEFAULT_GPU_PROVIDERS,
          hint: 'See docs/gpu.md.',
        },
      );
      return value;
    },
  };
}

interface OpenOptions {
  threads: number;
  warmUp: boolean;
  verifyPlacement: boolean | 'gpu';
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
}

async function openSession(
  model: Uint8Array,
  provider: string,
  fallbacks: readonly ProviderFailure[],
  options: OpenOptions,
): Promise<NodeEngineSession> {
  const isGpu = GPU_PROVIDERS.includes(provider);
  const profile =
    options.warmUp && (options.verifyPlacement === true || (options.verifyPlacement === 'gpu' && isGpu))
      ? await profileDirectory()
      : undefined;
  let session: ort.InferenceSession | undefined;
  try {
    session = await ort.InferenceSession.create(model, {
      executionProviders: [provider],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      enableCpuMemArena: true,
      enableMemPattern: true,
      logSeverityLevel: options.logSeverityLevel,
      ...(profile ? { enableProfiling: true, profileFilePrefix: profile.prefix } : {}),
    });
    let warmUpMs: number | undefined;
    let placement: Placement | undefined;
    if (options.warmUp) {
      const started = performance.now();
      await session.run(warmUpFeeds(session));
      warmUpMs = performance.now() - started;
    }
    if (profile) {
      session.endProfiling();
      placement = await readPlacement(profile.prefix);
      const id = ortProviderId(provider);
      if (isGpu && !(placement[id] !== undefined && placement[id] > 0)) {
        throw new Error(`no node ran on ${id} (placement: ${JSON.stringify(placement)})`);
      }
    }
    return wrapSession(session, provider, fallbacks, placement, warmUpMs);
  } catch (error) {
    await session?.release().catch(() => undefined);
    throw error;
  } finally {
    await profile?.cleanup();
  }
}

/** Zeros shaped like each model input; symbolic or unknown dimensions become 1. */
function warmUpFeeds(session: ort.InferenceSession): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor || meta.type !== 'float32') {
      throw new NetlensError(
        'invalid_model_file',
        `input '${meta.name}' is not a float32 tensor; netlens models take one float32 NHWC input`,
      );
    }
    const dims = meta.shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
    feeds[meta.name] = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }
  return feeds;
}

function wrapSession(
  session: ort.InferenceSession,
  provider: string,
  fallbacks: readonly ProviderFailure[],
  placement: Placement | undefined,
  warmUpMs: number | undefined,
): NodeEngineSession {
  const inputName = session.inputNames[0];
  if (inputName === undefined || session.inputNames.length !== 1) {
    throw new NetlensError(
      'invalid_model_file',
      `netlens models take exactly one input; this one has ${session.inputNames.length} (${session.inputNames.join(', ')})`,
    );
  }
  return {
    provider,
    fallbacks,
    placement,
    warmUpMs,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(input: Float32Tensor, outputs?: readonly string[]): Promise<Record<string, Float32Tensor>> {
      const wanted = outputs ?? session.outputNames;
      const unknown = wanted.filter((name) => !session.outputNames.includes(name));
      if (unknown.length > 0) {
        throw new NetlensError(
          'invalid_argument',
          `outputs: unknown ${unknown.map((n) => `'${n}'`).join(', ')}; the model has ${session.outputNames.join(', ')}`,
        );
      }
      const feeds = { [inputName]: new ort.Tensor('float32', input.data, [...input.dims]) };
      const results = await session.run(feeds, [...wanted]);
      const out: Record<string, Float32Tensor> = {};
      for (const name of wanted) {
        const tensor = results[name];
        if (tensor === undefined || tensor.type !== 'float32') {
          throw new NetlensError('invalid_model_file', `output '${name}' is not a float32 tensor`);
        }
        out[name] = { data: tensor.data as Float32Array, dims: [...tensor.dims] };
      }
      return out;
    },
    dispose: () => session.release(),
  };
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}
