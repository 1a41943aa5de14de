import { isNetlensError, messageOf, type ErrorCode } from '../core/errors.js';

/** Exit statuses of the netlens CLI (documented in `netlens --help`). */
export const EXIT = {
  ok: 0,
  /** Some inputs failed (unreadable, unsupported, too large); the others were processed. */
  inputFailed: 1,
  /** Bad command line or option value, or a training data set that cannot be used. */
  usage: 2,
  /** The model is unknown, invalid or does not match its manifest. */
  model: 3,
  /** No execution provider could run the model (e.g. requireGpu without a GPU). */
  provider: 4,
  /** A bug: an unexpected failure. */
  internal: 70,
} as const;

const MODEL_ERRORS: readonly ErrorCode[] = [
  'unknown_model',
  'invalid_manifest',
  'invalid_model_file',
  'integrity_error',
  'model_not_ready',
  'unsupported_layer',
];
const INPUT_ERRORS: readonly ErrorCode[] = [
  'bad_image',
  'image_too_large',
  'unsupported_media_type',
  'payload_too_large',
  'not_found',
  'job_conflict',
];

export function exitCodeFor(error: unknown): number {
  if (!isNetlensError(error)) return EXIT.internal;
  if (error.code === 'invalid_argument' || error.code === 'invalid_dataset') return EXIT.usage;
  if (error.code === 'provider_unavailable') return EXIT.provider;
  if (MODEL_ERRORS.includes(error.code)) return EXIT.model;
  if (INPUT_ERRORS.includes(error.code)) return EXIT.inputFailed;
  return EXIT.internal;
}

/** "bad_image: cannot decode JPEG: …" for typed errors, the message (and stack) otherwise. */
export function describeError(error: unknown): string {
  if (isNetlensError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error && error.stack ? error.stack : messageOf(error);
}
