/** Messages between worker-engine.ts (main thread) and engine-worker.ts (the inference thread). */
import type { ErrorCode } from '../../core/errors.js';

export type WorkerRequest =
  | { type: 'create'; id: number; bytes: Uint8Array; options?: unknown }
  | {
      type: 'run';
      id: number;
      session: number;
      data: Float32Array;
      dims: number[];
      outputs?: readonly string[];
    }
  | { type: 'dispose'; id: number; session: number };

/** The first message of the worker: its engine is loaded (or could not be). */
export type WorkerHello = { type: 'ready'; name: string } | { type: 'failed'; message: string };

export interface SessionFacts {
  handle: number;
  provider: string;
  fallbacks: { provider: string; error: string }[];
  inputNames: string[];
  outputNames: string[];
  warmUpMs: number | undefined;
}

export type WorkerReply =
  | {
      id: number;
      ok: true;
      session?: SessionFacts;
      outputs?: Record<string, { data: Float32Array; dims: number[] }>;
      /** A run's input buffer, handed back for the next image (input-buffers.ts). */
      input?: ArrayBuffer;
    }
  | {
      id: number;
      ok: false;
      input?: ArrayBuffer;
      error: {
        code?: ErrorCode;
        message: string;
        details?: Record<string, unknown>;
        stack?: string | undefined;
      };
    };
