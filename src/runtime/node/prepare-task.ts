/** What crosses between the prepare pool (prepare-pool.ts) and its worker threads (prepare-worker.ts). */
import type { ErrorCode } from '../../core/errors.js';
import type { ImageFormat } from '../../core/image-types.js';
import type { Manifest } from '../../core/manifest.js';

export interface PrepareTask {
  /** The encoded image (transferred when the caller's buffer holds only it). */
  bytes: Uint8Array;
  spec: Pick<Manifest, 'input' | 'preprocessing'>;
  maxPixels: number | undefined;
  format: ImageFormat | undefined;
  /** A recycled model-input buffer to write into (input-buffers.ts), transferred; else the thread allocates. */
  out: Float32Array | undefined;
}

/** A JSON request body for readJsonImages (src/app/body.ts), off the HTTP thread. */
export interface JsonTask {
  kind: 'json';
  /** The body (transferred when the caller's buffer holds only it). */
  bytes: Uint8Array;
  maxImages: number;
}

export type JsonReply =
  | {
      ok: true;
      images: { bytes: Uint8Array; name: string }[];
      top?: number;
    }
  | { ok: false; code: ErrorCode; message: string; details: Record<string, unknown> };

export type PrepareReply =
  | {
      ok: true;
      data: Float32Array;
      dims: number[];
      format: ImageFormat;
      width: number;
      height: number;
      decoder: string;
      decodeMs: number;
      preprocessMs: number;
    }
  | {
      ok: false;
      code: ErrorCode;
      message: string;
      details: Record<string, unknown>;
      /** The task's recycled buffer, handed back unused. */
      out?: Float32Array;
    };
