import { NetlensError } from './errors.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Base64 (standard or URL-safe, padding optional, whitespace ignored; a data: URL is accepted) → bytes.
 * `where` names the field in the invalid_argument error.
 */
export function decodeBase64(value: string, where: string): Uint8Array {
  const comma = value.startsWith('data:') ? value.indexOf(',') : -1;
  const text = (comma >= 0 ? value.slice(comma + 1) : value).replace(/\s+/g, '');
  const normalised = text.replaceAll('-', '+').replaceAll('_', '/');
  if (!BASE64.test(normalised) || normalised.length % 4 === 1) {
    throw new NetlensError('invalid_argument', `${where} is not valid base64`, { details: { field: where } });
  }
  const binary = atob(normalised.padEnd(Math.ceil(normalised.length / 4) * 4, '='));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
