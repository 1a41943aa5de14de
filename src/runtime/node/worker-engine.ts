/**
 * An Engine that runs onnxruntime-node in a worker thread. onnxruntime-node 1.30's session.run() is
 * synchronous on the calling thread (lib/backend.ts: setImmediate → run), so in the server it would stop
 * the event loop for a whole batch: no request accepted, no image preprocessed, no health check answered.
 * Here the main thread keeps serving while the worker runs the batch; tensors move by transfer, not copy,
 * and each input's buffer comes back with the result for `recycle` (input-buffers.ts).
 * Sessions, providers and fallbacks are exactly the Node engine's (createNodeEngine inside the worker).
 * With `workers` > 1 every session has a copy in each thread and a call goes to the least busy one.
 */
import { Worker } from 'node:worker_threads';
import type { Engine, EngineSession, Float32Tensor, SessionOptions } from '../../core/engine.js';
import { NetlensError } from '../../core/errors.js';
import type { NodeEngineOptions } from './engine.js';
import type { SessionFacts, WorkerHello, WorkerReply, WorkerRequest } from './worker-protocol.js';

type Pending = { resolve(reply: WorkerReply & { ok: true }): void; reject(error: Error): void };

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export interface WorkerEngine extends Engine {
  /** Ends the workers (after the sessions are disposed). */
  close(): Promise<void>;
}

export interface WorkerEngineOptions extends NodeEngineOptions {
  /**
   * Worker threads, each holding its own copy of every session (memory × workers) and running one call
   * at a time with `threads` intra-op threads. Several single-thread sessions side by side do more images
   * per second per CPU than one session with as many intra-op threads (bench/http.ts, docs/performance.md).
   * Default 1.
   */
  workers?: number;
  /**
   * Receives each run's input buffer back from the worker once the run is over (ok or failed), for the
   * next image to be written into (input-buffers.ts); without it the buffer is garbage.
   */
  recycle?: (buffer: ArrayBuffer) => void;
}

/** One worker thread and its calls in flight. */
interface EngineThread {
  readonly name: string;
  /** Calls posted and not answered yet. */
  readonly pending: number;
  /** Set once the thread failed or exited: it takes no more calls. */
  readonly dead: Error | undefined;
  call(request: Request, transfer?: ArrayBuffer[]): Promise<WorkerReply & { ok: true }>;
  terminate(): Promise<number>;
}

/** Starts the worker threads and resolves once each one's onnxruntime-node engine is loaded. */
export async function createWorkerEngine(options: WorkerEngineOptions = {}): Promise<WorkerEngine> {
  const { workers = 1, recycle, ...engineOptions } = options;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be ≥ 1, got ${workers}`);
  const started = await Promise.allSettled(
    Array.from({ length: workers }, () => startThread(engineOptions, recycle)),
  );
  const threads = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(threads.map((t) => t.terminate()));
    throw failed.reason;
  }

  /**
   * The live thread with the fewest calls in flight (the first on a tie: a lone request stays on thread
   * 0); a dead thread only when all are (its call then fails with why).
   */
  function idlest(): EngineThread {
    const live = threads.filter((t) => t.dead === undefined);
    return (live.length > 0 ? live : threads).reduce((best, t) => (t.pending < best.pending ? t : best));
  }

  return {
    name: `${threads[0]!.name} (${workers === 1 ? 'worker thread' : `${workers} worker threads`})`,
    replicas: workers,
    async createSession(model: Uint8Array, sessionOptions?: SessionOptions) {
      // One copy per thread, created one after the other: peak memory stays one load at a time.
      const handles: SessionFacts[] = [];
      try {
        for (const thread of threads) {
          const bytes = model.slice(); // the caller keeps its bytes; the worker takes this copy
          const reply = await thread.call(
            { type: 'create', bytes, ...(sessionOptions && { options: sessionOptions }) },
            [bytes.buffer as ArrayBuffer],
          );
          handles.push(reply.session!);
        }
      } catch (error) {
        await Promise.allSettled(
          handles.map((h, i) => threads[i]!.call({ type: 'dispose', session: h.handle })),
        );
        throw error;
      }
      return session(handles);
    },
    async close() {
      await Promise.all(threads.map((t) => t.terminate()));
    },
  };

  function session(handles: SessionFacts[]): EngineSession {
    const facts = handles[0]!;
    return {
      provider: facts.provider,
      fallbacks: facts.fallbacks,
      inputNames: facts.inputNames,
      outputNames: facts.outputNames,
      warmUpMs: facts.warmUpMs,
      async run(input: Float32Tensor, outputs?: readonly string[]) {
        const thread = idlest();
        const data = transferable(input.data);
        const reply = await thread.call(
          {
            type: 'run',
            session: handles[threads.indexOf(thread)]!.handle,
            data,
            dims: [...input.dims],
            ...(outputs && { outputs: [...outputs] }),
          },
          [data.buffer as ArrayBuffer],
        );
        return reply.outputs ?? {};
      },
      async dispose() {
        await Promise.all(
          threads.map((t, i) =>
            t.call({ type: 'dispose', session: handles[i]!.handle }).catch(() => undefined),
          ),
        );
      },
    };
  }
}

/** A buffer the worker may take: the tensor's own, or a copy when it is a view into a larger one. */
function transferable(data: Float32Array): Float32Array {
  return data.byteOffset === 0 &&
    data.byteLength === data.buffer.byteLength &&
    !(data.buffer instanceof SharedArrayBuffer)
    ? data
    : data.slice();
}

async function startThread(
  options: NodeEngineOptions,
  recycle: ((buffer: ArrayBuffer) => void) | undefined,
): Promise<EngineThread> {
  // A JavaScript entry: the compiled engine-worker.js in the package, engine-worker.ts through tsx in a
  // source checkout.
  const worker = new Worker(new URL('./engine-worker.mjs', import.meta.url), {
    workerData: { options: { ...options } },
  });
  const name = await new Promise<string>((resolve, reject) => {
    const onExit = (code: number): void =>
      reject(new Error(`the inference worker exited (${code}) at start`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (hello: WorkerHello) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (hello.type === 'ready') resolve(hello.name);
      else reject(new Error(hello.message));
    });
  });
  worker.unref();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let dead: Error | undefined;

  const fail = (error: Error): void => {
    dead = error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('message', (reply: WorkerReply) => {
    if (reply.input) recycle?.(reply.input);
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply);
    else {
      const { code, message, details, stack } = reply.error;
      const error = code ? new NetlensError(code, message, { details: details ?? {} }) : new Error(message);
      if (!code && stack) error.stack = stack;
      p.reject(error);
    }
  });
  worker.on('error', (error) => fail(new Error(`the inference worker failed: ${error.message}`)));
  worker.on('exit', (code) => fail(new Error(`the inference worker exited (${code})`)));

  return {
    name,
    get pending() {
      return pending.size;
    },
    get dead() {
      return dead;
    },
    call(request, transfer = []) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise<WorkerReply & { ok: true }>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref(); // keep the process alive while work is in flight
        worker.postMessage({ ...request, id }, transfer);
      }).finally(() => {
        if (pending.size === 0) worker.unref();
      });
    },
    terminate: () => worker.terminate(),
  };
}
