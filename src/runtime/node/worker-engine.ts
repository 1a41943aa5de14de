/**
 * An Engine that runs onnxruntime-node in a worker thread. onnxruntime-node 1.30's session.run() is
 * synchronous on the calling thread (lib/backend.ts: setImmediate → run), so in the server it would stop
 * the event loop for a whole batch: no request accepted, no image preprocessed, no health check answered.
 * Here the main thread keeps serving while the worker runs the batch; tensors move by transfer, not copy.
 * Sessions, providers and fallbacks are exactly the Node engine's (createNodeEngine inside the worker).
 */
import { Worker } from 'node:worker_threads';
import type { Engine, EngineSession, Float32Tensor, SessionOptions } from '../../core/engine.js';
import { NetlensError } from '../../core/errors.js';
import type { NodeEngineOptions } from './engine.js';
import type { SessionFacts, WorkerHello, WorkerReply, WorkerRequest } from './worker-protocol.js';

type Pending = { resolve(reply: WorkerReply & { ok: true }): void; reject(error: Error): void };

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export interface WorkerEngine extends Engine {
  /** Ends the worker (after the sessions are disposed). */
  close(): Promise<void>;
}

/** Starts the worker thread and resolves once its onnxruntime-node engine is loaded. */
export async function createWorkerEngine(options: NodeEngineOptions = {}): Promise<WorkerEngine> {
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

  function call(request: Request, transfer: ArrayBuffer[] = []): Promise<WorkerReply & { ok: true }> {
    if (dead) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.ref(); // keep the process alive while work is in flight
      worker.postMessage({ ...request, id }, transfer);
    }).finally(() => {
      if (pending.size === 0) worker.unref();
    }) as Promise<WorkerReply & { ok: true }>;
  }

  /** A buffer the worker may take: the tensor's own, or a copy when it is a view into a larger one. */
  function transferable(data: Float32Array): Float32Array {
    return data.byteOffset === 0 &&
      data.byteLength === data.buffer.byteLength &&
      !(data.buffer instanceof SharedArrayBuffer)
      ? data
      : data.slice();
  }

  function session(facts: SessionFacts): EngineSession {
    return {
      provider: facts.provider,
      fallbacks: facts.fallbacks,
      inputNames: facts.inputNames,
      outputNames: facts.outputNames,
      warmUpMs: facts.warmUpMs,
      async run(input: Float32Tensor, outputs?: readonly string[]) {
        const data = transferable(input.data);
        const reply = await call(
          {
            type: 'run',
            session: facts.handle,
            data,
            dims: [...input.dims],
            ...(outputs && { outputs: [...outputs] }),
          },
          [data.buffer as ArrayBuffer],
        );
        return reply.outputs ?? {};
      },
      async dispose() {
        if (!dead) await call({ type: 'dispose', session: facts.handle });
      },
    };
  }

  return {
    name: `${name} (worker thread)`,
    async createSession(model: Uint8Array, sessionOptions?: SessionOptions) {
      const bytes = model.slice(); // the caller keeps its bytes; the worker takes this copy
      const reply = await call(
        { type: 'create', bytes, ...(sessionOptions && { options: sessionOptions }) },
        [bytes.buffer as ArrayBuffer],
      );
      return session(reply.session!);
    },
    async close() {
      await worker.terminate();
    },
  };
}
