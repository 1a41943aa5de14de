/**
 * Decode + preprocess in a pool of worker threads (piscina), so the HTTP thread only parses requests and
 * answers them: a 40 MP PNG then decodes without stalling /healthz, and on a busy server the JavaScript
 * side of decoding and preprocessing runs beside the event loop. The encoded bytes go to a thread by
 * transfer when the request's buffer holds only them; the model input comes back by transfer, written
 * into a recycled buffer when `inputs` has one of its size (input-buffers.ts: no fresh pages to fault).
 *
 * Admission stays with the app (its decoding Gate: NETLENS_MAX_DECODING images whose estimated decoding
 * memory fits NETLENS_DECODE_BUDGET_MIB, from each header): the pool runs what it is given.
 */
import { Piscina } from 'piscina';
import { NetlensError } from '../../core/errors.js';
import type { PrepareImage } from '../../core/prepare.js';
import type { ReadJsonImages } from '../../app/body.js';
import type { InputBuffers } from './input-buffers.js';
import type { JsonReply, JsonTask, PrepareReply, PrepareTask } from './prepare-task.js';

export interface PreparePool {
  readonly prepareImage: PrepareImage;
  /** JSON bodies parsed and their base64 images decoded in the pool (a 32 MB JSON.parse stops no server). */
  readonly readJsonImages: ReadJsonImages;
  readonly threads: number;
  /** Ends the threads (queued tasks are rejected). */
  close(): Promise<void>;
}

export function createPreparePool(options: {
  threads: number;
  /** Recycled model-input buffers: each task takes one of its size when there is one (input-buffers.ts). */
  inputs?: InputBuffers;
}): PreparePool {
  const { inputs } = options;
  const pool = new Piscina<PrepareTask | JsonTask, PrepareReply | JsonReply>({
    filename: new URL('./prepare-worker.mjs', import.meta.url).href,
    minThreads: options.threads,
    maxThreads: options.threads,
    idleTimeout: Infinity,
    // Decoding waits on libvips' threads: a second task can be preprocessed meanwhile.
    concurrentTasksPerWorker: 2,
    atomics: 'disabled',
  });
  let closed = false;
  const refuseWhenClosed = (): void => {
    if (closed)
      throw new NetlensError(
        'model_not_ready',
        'the server is shutting down (its decoding threads are closed)',
      );
  };
  return {
    threads: options.threads,
    async readJsonImages(bytes, maxImages) {
      refuseWhenClosed();
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const task: JsonTask = { kind: 'json', bytes, maxImages };
      const reply = (await pool.run(
        task,
        owned ? { transferList: [bytes.buffer as ArrayBuffer] } : {},
      )) as JsonReply;
      if (!reply.ok) throw new NetlensError(reply.code, reply.message, { details: reply.details });
      return { images: reply.images, ...(reply.top !== undefined && { top: reply.top }), format: 'json' };
    },
    async prepareImage(bytes, spec, prepareOptions = {}) {
      refuseWhenClosed();
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      const { width, height, channels } = spec.input;
      const out = prepareOptions.out ?? inputs?.take(width * height * channels);
      const task: PrepareTask = {
        bytes,
        spec: { input: spec.input, preprocessing: spec.preprocessing },
        maxPixels: prepareOptions.maxPixels,
        format: prepareOptions.format,
        out,
      };
      const transferList = [
        ...(owned ? [bytes.buffer as ArrayBuffer] : []),
        ...(out ? [out.buffer as ArrayBuffer] : []),
      ];
      const reply = (await pool.run(task, { transferList })) as PrepareReply;
      if (!reply.ok) {
        if (reply.out) inputs?.give(reply.out.buffer as ArrayBuffer);
        throw new NetlensError(reply.code, reply.message, { details: reply.details });
      }
      const { data, dims, ...facts } = reply;
      return { tensor: { data, dims }, ...facts };
    },
    close: () => {
      closed = true;
      return pool.destroy();
    },
  };
}
