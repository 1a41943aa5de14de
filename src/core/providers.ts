import { NetlensError, messageOf } from './errors.js';

/** One execution provider that was tried and did not run, with why. */
export interface ProviderFailure {
  readonly provider: string;
  readonly error: string;
}

export interface ProviderChoice<P extends string> {
  /** Try only GPU providers: the requested ones, or `defaultGpuProviders` when none is requested. */
  requireGpu?: boolean;
  /** The providers that are not a GPU (e.g. 'cpu', 'wasm'): never tried with `requireGpu`. */
  cpuProviders: readonly P[];
  /** What `requireGpu` tries when the requested list names no GPU provider. */
  defaultGpuProviders: readonly P[];
}

export interface FallbackOptions<P extends string> extends ProviderChoice<P> {
  /** Appended to the provider_unavailable message (e.g. where the setup is documented). */
  hint?: string;
}

export interface FallbackResult<P extends string, T> {
  readonly value: T;
  /** The provider that really runs. */
  readonly provider: P;
  /** The providers tried before it, in order, each with its failure. */
  readonly fallbacks: readonly ProviderFailure[];
}

/**
 * The providers to try, in order, without repeats. With `requireGpu` the CPU ones are left out (and the
 * default GPU providers tried when no other is requested): the CPU is never a silent substitute.
 */
export function selectProviders<P extends string>(requested: readonly P[], choice: ProviderChoice<P>): P[] {
  if (choice.requireGpu !== true) return [...new Set(requested)];
  const gpu = requested.filter((p) => !choice.cpuProviders.includes(p));
  return [...new Set(gpu.length > 0 ? gpu : choice.defaultGpuProviders)];
}

/**
 * Tries each provider alone, in order, until `tryOne` succeeds; each failure is recorded with its message
 * and the next provider tried. `tryOne` receives the failures so far (to report them with its result).
 * A NetlensError thrown by `tryOne` is its verdict on something no other provider would change (e.g. an
 * invalid model): it ends the search as it is. When no provider runs, one `provider_unavailable` error lists
 * every failure — never a silent fallback.
 */
export async function createWithFallback<P extends string, T>(
  requested: readonly P[],
  tryOne: (provider: P, failures: readonly ProviderFailure[]) => Promise<T>,
  options: FallbackOptions<P>,
): Promise<FallbackResult<P, T>> {
  const requireGpu = options.requireGpu === true;
  const failures: ProviderFailure[] = [];
  for (const provider of selectProviders(requested, options)) {
    try {
      return { value: await tryOne(provider, failures), provider, fallbacks: failures };
    } catch (error) {
      if (error instanceof NetlensError) throw error;
      failures.push({ provider, error: messageOf(error).trim() });
    }
  }
  const tried = failures.map((f) => `${f.provider}: ${f.error}`).join('; ') || 'no provider was named';
  const hint = options.hint === undefined ? '' : ` ${options.hint}`;
  throw new NetlensError(
    'provider_unavailable',
    requireGpu
      ? `no GPU execution provider could be created (${tried}); requireGpu is set, so the CPU is not used.${hint}`
      : `no execution provider could be created (${tried}).${hint}`,
    { details: { tried: failures, requireGpu } },
  );
}
