import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { Engine, EngineSession, SessionOptions } from '../../core/engine.js';
import { NetlensError, messageOf } from '../../core/errors.js';
import { type ProviderFailure, createWithFallback } from '../../core/providers.js';
import { type SessionHandler, openSession } from '../../core/session.js';
import { profileDirectory, readPlacement, type Placement } from './placement.js';
import {
  CPU_PROVIDERS,
  DEFAULT_GPU_PROVIDERS,
  DEFAULT_PROVIDERS,
  GPU_PROVIDERS,
  ortProviderId,
} from './providers.js';

export interface NodeEngineOptions {
  /** Providers in preference order (settings: NETLENS_PROVIDERS). Default ['cpu']. */
  providers?: readonly string[];
  /** Fail (listing every provider's failure) unless a GPU provider runs (NETLENS_REQUIRE_GPU). */
  requireGpu?: boolean;
  /** Intra-op threads. Default: os.availableParallelism(). */
  threads?: number;
  /**
   * Let intra-op threads spin while waiting for work (onnxruntime's session.intra_op.allow_spinning).
   * Default false: spinning burns the cores that decoding and HTTP need (docs/performance.md).
   */
  spinning?: boolean;
  /** One run with zeros after loading (core/session.ts). Default true. */
  warmUp?: boolean;
  /**
   * Profile the warm-up run and count nodes per provider (`session.placement`). 'gpu' (default) does it
   * when a GPU provider was chosen, where a node silently left on the CPU would matter.
   */
  verifyPlacement?: boolean | 'gpu';
  /** onnxruntime log level 0 (verbose) … 4 (fatal). Default 3 (errors). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

export interface NodeEngineSession extends EngineSession {
  /** Nodes per onnxruntime provider id in the profiled warm-up run, when placement was verified. */
  readonly placement: Placement | undefined;
}

export interface NodeSessionOptions extends SessionOptions {
  verifyPlacement?: boolean | 'gpu';
}

export interface NodeEngine extends Engine {
  createSession(model: Uint8Array, options?: NodeSessionOptions): Promise<NodeEngineSession>;
  /** The providers a session tries when it names none. */
  readonly defaultProviders: readonly string[];
}

/** 'onnxruntime-node 1.30.0' */
export const NODE_ENGINE_NAME = `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`;

/**
 * The core Engine on onnxruntime-node. Each execution provider is tried alone, in order; a provider that
 * fails to create the session or to run the warm-up is recorded in `session.fallbacks` and the next one
 * is tried. `session.provider` is the one that really runs — never a silent fallback.
 */
export function createNodeEngine(options: NodeEngineOptions = {}): NodeEngine {
  const defaultProviders = options.providers ?? DEFAULT_PROVIDERS;
  const threads = options.threads ?? availableParallelism();
  return {
    name: NODE_ENGINE_NAME,
    defaultProviders,
    async createSession(model, sessionOptions = {}) {
      const requireGpu = sessionOptions.requireGpu ?? options.requireGpu ?? false;
      const requested = sessionOptions.providers ?? defaultProviders;
      const open: OpenOptions = {
        threads: sessionOptions.threads ?? threads,
        spinning: options.spinning ?? false,
        warmUp: sessionOptions.warmUp ?? options.warmUp ?? true,
        verifyPlacement: sessionOptions.verifyPlacement ?? options.verifyPlacement ?? 'gpu',
        logSeverityLevel: options.logSeverityLevel ?? 3,
      };
      const { value } = await createWithFallback(
        requested,
        async (provider, fallbacks) => {
          try {
            return await openNodeSession(model, provider, fallbacks, open);
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
  spinning: boolean;
  warmUp: boolean;
  verifyPlacement: boolean | 'gpu';
  logSeverityLevel: 0 | 1 | 2 | 3 | 4;
}

async function openNodeSession(
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
      extra: { 'session.intra_op.allow_spinning': options.spinning ? '1' : '0' },
      ...(profile ? { enableProfiling: true, profileFilePrefix: profile.prefix } : {}),
    });
    const opened = await openSession(handlerOf(session), { provider, fallbacks, warmUp: options.warmUp });
    let placement: Placement | undefined;
    if (profile) {
      session.endProfiling();
      placement = await readPlacement(profile.prefix);
      const id = ortProviderId(provider);
      if (isGpu && !(placement[id] !== undefined && placement[id] > 0)) {
        throw new Error(`no node ran on ${id} (placement: ${JSON.stringify(placement)})`);
      }
    }
    return { ...opened, placement };
  } catch (error) {
    await session?.release().catch(() => undefined);
    throw error;
  } finally {
    await profile?.cleanup();
  }
}

/** onnxruntime-node's session as the core wrapper's handler: only the library calls live here. */
function handlerOf(session: ort.InferenceSession): SessionHandler {
  return {
    inputs: session.inputMetadata.map((meta) => ({
      name: meta.name,
      type: meta.isTensor ? meta.type : 'not a tensor',
      dims: meta.isTensor ? meta.shape.map((d) => (typeof d === 'number' ? d : undefined)) : [],
    })),
    outputNames: session.outputNames,
    async run(input, outputs) {
      const feeds = { [input.name]: new ort.Tensor('float32', input.tensor.data, [...input.tensor.dims]) };
      return session.run(feeds, [...outputs]);
    },
    release: () => session.release(),
  };
}
