import { beforeEach, describe, expect, it, vi } from 'vitest';

// What createNodeRuntime does, in order: the floor must be set before any worker thread starts.
const calls: string[] = [];

vi.mock('./thread-heap.js', () => ({
  setThreadOldSpaceFloor: (mib: number) => void calls.push(`floor ${mib}`),
}));
vi.mock('./worker-engine.js', () => ({
  createWorkerEngine: async () => {
    calls.push('inference workers');
    return { close: async () => undefined };
  },
}));
vi.mock('./prepare-pool.js', () => ({
  createPreparePool: () => {
    calls.push('prepare pool');
    return { prepareImage: vi.fn(), readJsonImages: vi.fn(), close: async () => undefined };
  },
}));

const { createNodeRuntime } = await import('./runtime.js');

const base = {
  providers: ['cpu'],
  requireGpu: false,
  threads: 1,
  spinning: false,
  engineWorker: true,
  sessions: 2,
  modelsDir: undefined,
  prepareThreads: 1,
};

describe('createNodeRuntime', () => {
  beforeEach(() => {
    calls.length = 0;
  });

  it("sets the threads' old-generation floor before it starts any worker thread", async () => {
    const runtime = await createNodeRuntime({ ...base, threadOldSpaceMiB: 64 });
    await runtime.close();
    expect(calls).toEqual(['floor 64', 'inference workers', 'prepare pool']);
  });

  it("takes NETLENS_THREAD_OLD_SPACE_MIB's default when a caller leaves the floor out", async () => {
    const runtime = await createNodeRuntime(base);
    await runtime.close();
    expect(calls[0]).toBe('floor 128');
  });
});
