/** Execution providers onnxruntime-node 1.30 can be asked for, in netlens' names. */
export const NODE_PROVIDERS = ['cuda', 'tensorrt', 'webgpu', 'dml', 'coreml', 'cpu'] as const;
/** The provider that is not a GPU: never tried with `requireGpu`. */
export const CPU_PROVIDERS = ['cpu'] as const;
/** The ones that run on a GPU (or other accelerator): everything but 'cpu'. */
export const GPU_PROVIDERS: readonly string[] = NODE_PROVIDERS.filter((p) => p !== 'cpu');
/** What `requireGpu` tries when the configured list names no GPU provider. */
export const DEFAULT_GPU_PROVIDERS = ['cuda', 'webgpu'] as const;
export const DEFAULT_PROVIDERS = ['cpu'] as const;

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
