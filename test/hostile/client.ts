/**
 * One hostile request over node:http (no keep-alive, full control of the wire): a body sent whole, in
 * chunks, trickled slowly, never ended, or abandoned by the client; headers as given. Resolves with what
 * came back — even when the server answers before the upload ends — or with the transport failure.
 */
import { request } from 'node:http';

export type HostileBody =
  | { kind: 'none' }
  | { kind: 'bytes'; bytes: Uint8Array }
  /** Transfer-Encoding: chunked, `pauseMs` between chunks; `endless` keeps sending `chunks` forever. */
  | { kind: 'chunked'; chunks: Uint8Array[]; pauseMs: number; endless?: boolean }
  /** Content-Length of `declared` bytes, `bytes` trickled `step` at a time every `pauseMs` (held open when short). */
  | { kind: 'slow'; bytes: Uint8Array; declared: number; step: number; pauseMs: number };

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: HostileBody;
  /** The client gives up (disconnects) after this many ms: no answer is expected. */
  abortAfterMs?: number;
}

export interface Outcome {
  status?: number;
  headers: Record<string, string>;
  /** The first 1 MiB of the answer. */
  body: Buffer;
  ms: number;
  /** Transport failure before an answer (or the client's own abort / timeout). */
  error?: string;
}

const MAX_KEPT = 1 << 20;

export function send(base: string, req: HostileRequest, timeoutMs: number): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    const timers: NodeJS.Timeout[] = [];
    const chunks: Buffer[] = [];
    let kept = 0;
    let status: number | undefined;
    let headers: Record<string, string> = {};
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      const outcome: Outcome = { headers, body: Buffer.concat(chunks), ms: performance.now() - started };
      if (status !== undefined) outcome.status = status;
      if (error !== undefined) outcome.error = error;
      resolve(outcome);
      client.destroy();
    };
    const headersOut: Record<string, string | string[] | number> = { ...req.headers };
    if (req.body.kind === 'bytes') headersOut['content-length'] ??= req.body.bytes.length;
    if (req.body.kind === 'slow') headersOut['content-length'] = req.body.declared;
    if (req.body.kind === 'chunked') headersOut['transfer-encoding'] = 'chunked';
    const client = request(`${base}${req.path}`, { method: req.method, headers: headersOut, agent: false });
    client.on('response', (res) => {
      answered = true;
      status = res.statusCode;
      headers = Object.fromEntries(
        Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      );
      res.on('data', (chunk: Buffer) => {
        if (kept < MAX_KEPT) chunks.push(chunk.subarray(0, MAX_KEPT - kept));
        kept += chunk.length;
      });
      res.on('end', () => finish());
      res.on('error', (error) => finish(answered && status !== undefined ? undefined : error.message));
      res.on('aborted', () => finish());
    });
    client.on('error', (error) => {
      // An upload cut short after the answer started is fine: the answer is what counts.
      if (!answered) finish(`${(error as NodeJS.ErrnoException).code ?? 'error'}: ${error.message}`);
    });
    timers.push(setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs));
    if (req.abortAfterMs !== undefined)
      timers.push(setTimeout(() => finish('client disconnected (by design)'), req.abortAfterMs));
    write(client, req.body, timers, () => settled || answered);
  });
}

function write(
  client: ReturnType<typeof request>,
  body: HostileBody,
  timers: NodeJS.Timeout[],
  stopped: () => boolean,
): void {
  const later = (ms: number, step: () => void): void => {
    timers.push(setTimeout(() => !stopped() && !client.destroyed && step(), ms));
  };
  switch (body.kind) {
    case 'none':
      client.end();
      return;
    case 'bytes':
      client.end(body.bytes);
      return;
    case 'chunked': {
      let i = 0;
      const next = (): void => {
        if (i >= body.chunks.length) {
          if (!body.endless) return void client.end();
          i = 0;
        }
        client.write(body.chunks[i++]!);
        later(body.pauseMs, next);
      };
      next();
      return;
    }
    case 'slow': {
      let offset = 0;
      const next = (): void => {
        if (offset >= body.bytes.length) {
          // Held open when the declared length is never reached.
          if (body.declared === body.bytes.length) client.end();
          return;
        }
        client.write(body.bytes.subarray(offset, offset + body.step));
        offset += body.step;
        later(body.pauseMs, next);
      };
      client.flushHeaders();
      next();
      return;
    }
  }
}
