/**
 * A thread of the prepare pool (prepare-pool.ts): sharp decodes (common PNGs: png-decode.ts), core preprocesses with the WebAssembly
 * kernel (into the task's recycled buffer when it brings one), and the model input goes back to the HTTP
 * thread by transfer. A NetlensError comes back as
 * data (structured cloning would drop its class); anything else is thrown and piscina passes it on.
 */
import { Piscina } from 'piscina';
import { isNetlensError } from '../../core/errors.js';
import { prepareInThread } from '../../core/prepare.js';
import { createNodeImageKit } from './image-kit.js';
import { nameThisThread } from './thread-name.js';
import { readJsonImages } from '../../app/body.js';
import type { JsonReply, JsonTask, PrepareReply, PrepareTask } from './prepare-task.js';

nameThisThread('netlens-prepare');
const { decodeImage, kernels } = await createNodeImageKit();
const prepare = prepareInThread(decodeImage, kernels);

export async function prepareTask(task: PrepareTask | JsonTask): Promise<PrepareReply | Transferred> {
  if ('kind' in task) return jsonTask(task);
  try {
    const p = await prepare(task.bytes, task.spec, {
      ...(task.maxPixels !== undefined && { maxPixels: task.maxPixels }),
      ...(task.format !== undefined && { format: task.format }),
      ...(task.out !== undefined && { out: task.out }),
    });
    const reply: PrepareReply = {
      ok: true,
      data: p.tensor.data,
      dims: [...p.tensor.dims],
      format: p.format,
      width: p.width,
      height: p.height,
      decoder: p.decoder,
      decodeMs: p.decodeMs,
      preprocessMs: p.preprocessMs,
    };
    return transferring(reply, p.tensor.data.buffer as ArrayBuffer);
  } catch (error) {
    if (!isNetlensError(error)) throw error;
    const { out } = task;
    const reply: PrepareReply = {
      ok: false,
      code: error.code,
      message: error.message,
      details: error.details,
    };
    // The recycled buffer goes back unused, for the next image.
    return out ? transferring({ ...reply, out }, out.buffer as ArrayBuffer) : reply;
  }
}

/** A JSON body parsed and its base64 images decoded here; the images go back by transfer. */
async function jsonTask(task: JsonTask): Promise<JsonReply | Transferred> {
  try {
    const { images, top } = await readJsonImages(task.bytes, task.maxImages);
    const reply: JsonReply = { ok: true, images, ...(top !== undefined && { top }) };
    return transferring(reply, ...images.map((i) => i.bytes.buffer as ArrayBuffer));
  } catch (error) {
    if (!isNetlensError(error)) throw error;
    return { ok: false, code: error.code, message: error.message, details: error.details };
  }
}

type Transferred = object;

/** piscina's movable Transferable: `reply` is posted with `buffer` moved, not copied. */
function transferring(reply: PrepareReply | JsonReply, ...buffers: ArrayBuffer[]): Transferred {
  return Piscina.move({
    get [Piscina.transferableSymbol]() {
      return buffers;
    },
    get [Piscina.valueSymbol]() {
      return reply;
    },
  } as unknown as Parameters<typeof Piscina.move>[0]);
}
