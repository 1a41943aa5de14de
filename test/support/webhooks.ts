/**
 * Test support for webhook jobs: Standard Webhooks signing as a sender would do it, and a loopback
 * callback receiver that verifies each delivery and can be told to fail its first N requests.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export const SECRET = 'whsec_' + Buffer.from('netlens-test-secret-0123456789ab').toString('base64');
export const OLD_SECRET = 'whsec_' + Buffer.from('netlens-old-secret-0123456789abc').toString('base64');
export const OTHER_SECRET = 'whsec_' + Buffer.from('someone-else-secret-0123456789ab').toString('base64');

/** Headers for `body` signed with `secret` at `at` (ms), as a Standard Webhooks sender sends them. */
export function signedHeaders(
  body: string,
  options: { secret?: string; id?: string; at?: number } = {},
): Record<string, string> {
  const id = options.id ?? `msg_${crypto.randomUUID()}`;
  const at = options.at ?? Date.now();
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at / 1000)),
    'webhook-signature': new Webhook(options.secret ?? SECRET).sign(id, new Date(at), body),
  };
}

export interface Delivery {
  webhookId: string;
  status: number;
  verified: boolean;
  body: { type: string; data: { jobId: string; status: string; tags?: string[]; [k: string]: unknown } };
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Successful (2xx) deliveries only. */
  successes(): Delivery[];
  /** The next `n` requests answer `status` (with Retry-After when given). */
  failNext(n: number, status?: number, retryAfter?: string): void;
  close(): Promise<void>;
}

/** A callback receiver on 127.0.0.1 that checks signatures with `secret`. */
export async function startReceiver(secret = SECRET, host = '127.0.0.1'): Promise<Receiver> {
  const hook = new Webhook(secret);
  const deliveries: Delivery[] = [];
  let failures = 0;
  let failStatus = 500;
  let failRetryAfter: string | undefined;
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      let verified = true;
      try {
        hook.verify(text, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      const fail = failures > 0;
      if (fail) failures--;
      const status = fail ? failStatus : verified ? 204 : 401;
      deliveries.push({
        webhookId: String(req.headers['webhook-id']),
        status,
        verified,
        body: JSON.parse(text) as Delivery['body'],
      });
      res
        .writeHead(status, fail && failRetryAfter !== undefined ? { 'retry-after': failRetryAfter } : {})
        .end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/hook`,
    deliveries,
    successes: () => deliveries.filter((d) => d.status < 300),
    failNext(n, status = 500, retryAfter) {
      failures = n;
      failStatus = status;
      failRetryAfter = retryAfter;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `read` until `done` holds (or throws after `timeoutMs`, showing the last value). */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting; last value: ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await read();
  }
  return last;
}
