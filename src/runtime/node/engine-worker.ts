/**
 * Worker-thread side of the worker engine (worker-engine.ts): owns the onnxruntime-node sessions, whose
 * run() is synchronous and would otherwise block the server's event loop for a whole batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineSession, Float32Tensor, SessionOptions } from '../../core/engine.js';
import { isNetlensError, messageOf } from '../../core/errors.js';
import { type NodeEngineOptions, createNodeEngine } from './engine.js';
import { nameThisThread } from './thread-name.js';
import type { WorkerHello, WorkerReply, WorkerRequest } from './worker-protocol.js';

nameThisThread('netlens-engine');
const port = parentPort!;
const engine = createNodeEngine((workerData as { options: NodeEngineOptions }).options);
port.postMessage({ type: 'ready', name: engine.name } satisfies WorkerHello);
const sessions = new Map<number, EngineSession>();
let nextSession = 1;

function reply(message: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function failure(id: number, error: unknown): WorkerReply {
  return {
    id,
    ok: false,
    error: isNetlensError(error)
      ? { code: error.code, message: error.message, details: error.details }
      : { message: messageOf(error), stack: error instanceof Error ? error.stack : undefined },
  };
}

port.on('message', async (request: WorkerRequest) => {
  try {
    switch (request.type) {
      case 'create': {
        const session = await engine.createSession(
          request.bytes,
          request.options as SessionOptions | undefined,
        );
        const handle = nextSession++;
        sessions.set(handle, session);
        reply({
          id: request.id,
          ok: true,
          session: {
            handle,
            provider: session.provider,
            fallbacks: [...session.fallbacks],
            inputNames: [...session.inputNames],
            outputNames: [...session.outputNames],
            warmUpMs: session.warmUpMs,
          },
        });
        return;
      }
      case 'run': {
        const session = sessions.get(request.session);
        if (!session) throw new Error(`session ${request.session} is disposed`);
        const input: Float32Tensor = { data: request.data, dims: request.dims };
        const outputs = await session.run(input, request.outputs);
        const plain: Record<string, { data: Float32Array; dims: number[] }> = {};
        const transfer: ArrayBuffer[] = [];
        for (const [name, tensor] of Object.entries(outputs)) {
          const data = tensor.data.slice(); // own buffer: onnxruntime's may be shared or pooled
          plain[name] = { data, dims: [...tensor.dims] };
          transfer.push(data.buffer as ArrayBuffer);
        }
        // run() is over: the input's buffer goes back too, for the next image to be written into.
        const used = request.data.buffer as ArrayBuffer;
        reply({ id: request.id, ok: true, outputs: plain, input: used }, [...transfer, used]);
        return;
      }
      case 'dispose': {
        const session = sessions.get(request.session);
        sessions.delete(request.session);
        await session?.dispose();
        reply({ id: request.id, ok: true });
        return;
      }
    }
  } catch (error) {
    if (request.type !== 'run') return reply(failure(request.id, error));
    const used = request.data.buffer as ArrayBuffer;
    reply({ ...failure(request.id, error), input: used }, [used]);
  }
});
