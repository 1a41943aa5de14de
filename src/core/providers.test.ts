import { describe, expect, it } from 'vitest';
import { NetlensError } from './errors.js';
import { createWithFallback, selectProviders } from './providers.js';

const choice = { cpuProviders: ['cpu'], defaultGpuProviders: ['cuda', 'webgpu'] };

/** A tryOne that fails on the named providers (with that message) and returns `session-<name>` otherwise. */
function fakeTry(failing: Record<string, unknown>) {
  const calls: { provider: string; failuresSoFar: string[] }[] = [];
  const tryOne = (provider: string, failures: readonly { provider: string }[]): Promise<string> => {
    calls.push({ provider, failuresSoFar: failures.map((f) => f.provider) });
    if (provider in failing) return Promise.reject(failing[provider]);
    return Promise.resolve(`session-${provider}`);
  };
  return { tryOne, calls };
}

async function rejection(promise: Promise<unknown>): Promise<NetlensError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetlensError);
  return error as NetlensError;
}

describe('selectProviders', () => {
  it('keeps the requested order without repeats', () => {
    expect(selectProviders(['webgpu', 'cpu', 'webgpu', 'cpu'], choice)).toEqual(['webgpu', 'cpu']);
  });
  it('with requireGpu leaves out the CPU providers, or tries the default GPU providers', () => {
    expect(selectProviders(['cpu', 'webgpu', 'dml'], { ...choice, requireGpu: true })).toEqual([
      'webgpu',
      'dml',
    ]);
    expect(selectProviders(['cpu'], { ...choice, requireGpu: true })).toEqual(['cuda', 'webgpu']);
    // A name the runtime does not know is not a CPU provider: it is tried (and its failure reported).
    expect(selectProviders(['rocm', 'cpu'], { ...choice, requireGpu: true })).toEqual(['rocm']);
  });
});

describe('createWithFallback', () => {
  it('returns the first provider that works, with every earlier failure in order', async () => {
    const { tryOne, calls } = fakeTry({ cuda: new Error('  no CUDA driver \n'), webgpu: 'no adapter' });
    const result = await createWithFallback(['cuda', 'webgpu', 'cpu', 'wasm'], tryOne, choice);
    expect(result.value).toBe('session-cpu');
    expect(result.provider).toBe('cpu');
    expect(result.fallbacks).toEqual([
      { provider: 'cuda', error: 'no CUDA driver' },
      { provider: 'webgpu', error: 'no adapter' },
    ]);
    // Each provider is tried alone, after the earlier failures; nothing after the one that ran.
    expect(calls).toEqual([
      { provider: 'cuda', failuresSoFar: [] },
      { provider: 'webgpu', failuresSoFar: ['cuda'] },
      { provider: 'cpu', failuresSoFar: ['cuda', 'webgpu'] },
    ]);
  });

  it('reports no fallback when the first provider runs', async () => {
    const result = await createWithFallback(['cpu'], fakeTry({}).tryOne, choice);
    expect(result).toEqual({ value: 'session-cpu', provider: 'cpu', fallbacks: [] });
  });

  it('throws provider_unavailable listing every failure when none runs', async () => {
    const { tryOne } = fakeTry({ webgpu: new Error('no adapter'), cpu: new Error('out of memory') });
    const e = await rejection(
      createWithFallback(['webgpu', 'cpu'], tryOne, { ...choice, hint: 'See x.md.' }),
    );
    expect(e.code).toBe('provider_unavailable');
    expect(e.message).toBe(
      'no execution provider could be created (webgpu: no adapter; cpu: out of memory). See x.md.',
    );
    expect(e.details).toEqual({
      tried: [
        { provider: 'webgpu', error: 'no adapter' },
        { provider: 'cpu', error: 'out of memory' },
      ],
      requireGpu: false,
    });
  });

  it('with requireGpu never tries the CPU and collects every GPU failure into one error', async () => {
    const { tryOne, calls } = fakeTry({ cuda: new Error('no CUDA'), webgpu: new Error('no adapter') });
    const e = await rejection(
      createWithFallback(['cuda', 'cpu', 'webgpu'], tryOne, { ...choice, requireGpu: true }),
    );
    expect(calls.map((c) => c.provider)).toEqual(['cuda', 'webgpu']);
    expect(e.code).toBe('provider_unavailable');
    expect(e.message).toMatch(
      /^no GPU execution provider could be created \(cuda: no CUDA; webgpu: no adapter\)/,
    );
    expect(e.message).toMatch(/requireGpu is set/);
    expect(e.details).toMatchObject({ requireGpu: true });
    expect((e.details.tried as { provider: string }[]).map((t) => t.provider)).toEqual(['cuda', 'webgpu']);

    // Only CPU providers requested: the default GPU providers are tried instead.
    const onlyCpu = fakeTry({ cuda: new Error('no CUDA'), webgpu: new Error('no adapter') });
    await rejection(createWithFallback(['cpu'], onlyCpu.tryOne, { ...choice, requireGpu: true }));
    expect(onlyCpu.calls.map((c) => c.provider)).toEqual(['cuda', 'webgpu']);

    // And a GPU provider that works is used.
    const gpu = await createWithFallback(['cpu', 'webgpu'], fakeTry({}).tryOne, {
      ...choice,
      requireGpu: true,
    });
    expect(gpu.provider).toBe('webgpu');
  });

  it('stops at a NetlensError from tryOne (not a provider failure) and tries nothing more', async () => {
    const invalid = new NetlensError('invalid_model_file', 'not an ONNX model');
    const { tryOne, calls } = fakeTry({ cuda: new Error('no CUDA'), webgpu: invalid });
    await expect(createWithFallback(['cuda', 'webgpu', 'cpu'], tryOne, choice)).rejects.toBe(invalid);
    expect(calls.map((c) => c.provider)).toEqual(['cuda', 'webgpu']);
  });

  it('says so when no provider was named at all', async () => {
    const e = await rejection(createWithFallback([], fakeTry({}).tryOne, choice));
    expect(e.code).toBe('provider_unavailable');
    expect(e.message).toMatch(/no provider was named/);
  });
});
