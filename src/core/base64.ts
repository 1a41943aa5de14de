import { NetlensError } from './errors.js';

/** 6-bit values of the standard and URL-safe alphabets; WHITESPACE and PAD mark the others read. */
const WHITESPACE = -2;
const PAD = -3;
const TABLE = (() => {
  const table = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) table[alphabet.charCodeAt(i)] = i;
  table['-'.charCodeAt(0)] = 62;
  table['_'.charCodeAt(0)] = 63;
  for (const c of ' \t\n\r\f\v') table[c.charCodeAt(0)] = WHITESPACE;
  table['='.charCodeAt(0)] = PAD;
  return table;
})();

/** Characters decoded between two yields of decodeBase64Async (about 1–2 ms of work on a quiet core). */
export const BASE64_CHUNK = 1 << 19;

/**
 * Base64 (standard or URL-safe, padding optional, whitespace ignored; a data: URL is accepted) → bytes.
 * `where` names the field in the invalid_argument error. Synchronous: for short values (a 31 MB value
 * takes ~50–350 ms of one thread; a server uses decodeBase64Async).
 */
export function decodeBase64(value: string, where: string): Uint8Array {
  const decoder = new Decoder(value, where);
  decoder.run(value.length);
  return decoder.finish();
}

/**
 * decodeBase64 in chunks of BASE64_CHUNK characters with a macrotask yield between them, so a large JSON
 * image does not hold the event loop (health checks and other requests run in between). Pure and the
 * same on every runtime: no runtime's native decoder is needed.
 */
export async function decodeBase64Async(value: string, where: string): Promise<Uint8Array> {
  const decoder = new Decoder(value, where);
  while (!decoder.run(BASE64_CHUNK)) await new Promise((resolve) => setTimeout(resolve, 0));
  return decoder.finish();
}

/** One pass over the characters: table lookup, 4 characters → 3 bytes, padding and errors checked. */
class Decoder {
  private at: number;
  private readonly out: Uint8Array;
  private length = 0;
  private bits = 0;
  private held = 0;
  private padding = 0;

  constructor(
    private readonly text: string,
    private readonly where: string,
  ) {
    const comma = text.startsWith('data:') ? text.indexOf(',') : -1;
    this.at = comma + 1;
    this.out = new Uint8Array(Math.ceil(((text.length - this.at) * 3) / 4));
  }

  /** Decodes up to `count` more characters; true when the text is done. */
  run(count: number): boolean {
    const { text, out } = this;
    const end = Math.min(text.length, this.at + count);
    let { length, bits, held, padding } = this;
    for (let i = this.at; i < end; i++) {
      const code = text.charCodeAt(i);
      const v = code < 128 ? TABLE[code]! : -1;
      if (v >= 0 && padding === 0) {
        bits = (bits << 6) | v;
        if (++held === 4) {
          out[length++] = bits >>> 16;
          out[length++] = (bits >>> 8) & 255;
          out[length++] = bits & 255;
          bits = 0;
          held = 0;
        }
      } else if (v === PAD && padding < 2 && held >= 2) padding++;
      else if (v !== WHITESPACE) throw this.invalid();
    }
    Object.assign(this, { at: end, length, bits, held, padding });
    return end === text.length;
  }

  finish(): Uint8Array {
    const { held, bits, padding } = this;
    // One leftover character holds 6 bits, not a byte; padding may not go past the last group.
    if (held === 1 || held + padding > 4) throw this.invalid();
    if (held === 2) this.out[this.length++] = bits >>> 4;
    if (held === 3) {
      this.out[this.length++] = bits >>> 10;
      this.out[this.length++] = (bits >>> 2) & 255;
    }
    // Exactly the bytes (a caller may transfer the buffer to another thread).
    return this.length === this.out.length ? this.out : this.out.slice(0, this.length);
  }

  private invalid(): NetlensError {
    return new NetlensError('invalid_argument', `${this.where} is not valid base64`, {
      details: { field: this.where },
    });
  }
}
