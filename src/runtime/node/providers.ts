import { NetlensError } from '../../core/errors.js';
import { selectProviders } from '../../core/providers.js';

/** Execution providers onnxruntime-node 1.30 can be asked for, in netlens' names. */
export const NODE_PROVIDERS = ['cuda', 'tensorrt', 'webgpu', 'dml', 'coreml', 'cpu'] as const;
/** The provider that is not a GPU: never tried with `requireGpu`. */
export const CPU_PROVIDERS = ['cpu'] as const;
/** The ones that run on a GPU (or other accelerator): everything but 'cpu'. */
export const GPU_PROVIDERS: readonly string[] = NODE_PROVIDERS.filter((p) => p !== 'cpu');
/** What `requireGpu` tries when the configured list names no GPU provider. */
export const DEFAULT_GPU_PROVIDERS = ['cuda', 'webgpu'] as const;
export const DEFAULT_PROVIDERS = ['cpu'] as const;

/**
 * Parses `NETLENS_PROVIDERS` ("cuda,webgpu,cpu"): comma separated, order = preference. Unknown names are
 * kept (onnxruntime reports them as a failed provider, recorded like any other fallback).
 */
export function parseProviderList(
  value: string | undefined,
  where = 'NETLENS_PROVIDERS',
): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const list = value
    .split(',')
    .map((p) => p.trim().toLowerCase())
    .filter((p) => p !== '');
  if (list.length === 0) {
    throw new NetlensError('invalid_argument', `${where}: no provider named; use e.g. "cuda,webgpu,cpu"`, {
      details: { valid: NODE_PROVIDERS },
    });
  }
  return list;
}

/**
 * The providers to try, in order. With `requireGpu` only GPU providers are tried (the configured ones, or
 * cuda then webgpu when none is configured): the CPU is never a silent substitute.
 */
export function providersToTry(requested: readonly string[], requireGpu: boolean): string[] {
  return selectProviders(requested, {
    requireGpu,
    cpuProviders: CPU_PROVIDERS,
    defaultGpuProviders: DEFAULT_GPU_PROVIDERS,
  });
}

/** onnxruntime-node's spelling of an execution-provider name as it appears in profiles and logs. */
export function ortProviderId(provider: string): string {
  const ids: Record<string, string> = {
    cpu: 'CPUExecutionProvider',
    cuda: 'CUDAExecutionProvider',
    tensorrt: 'TensorrtExecutionProvider',
    webgpu: 'WebGpuExecutionProvider',
    dml: 'DmlExecutionProvider',
    coreml: 'CoreMLExecutionProvider',
  };
  return ids[provider] ?? provider;
}
