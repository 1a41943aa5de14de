import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { NetlensError } from '../core/errors.js';

/**
 * Standard Webhooks (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (Unix
 * seconds) and `webhook-signature` (space-separated `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).
 * Inbound hooks are checked against every active secret (a rotation lists the new and the old one);
 * callbacks are signed with the first. The `standardwebhooks` package does the cryptography.
 */
export const TOLERANCE_SECONDS = 5 * 60;

export interface SignedMessage {
  id: string;
  timestamp: number;
}

export interface WebhookSigner {
  /** Whether any secret is configured (without one, every hook is refused). */
  readonly enabled: boolean;
  /** Checks the headers against the raw body; throws a webhook_* NetlensError (401) when they fail. */
  verify(body: string, headers: Headers, now?: number): SignedMessage;
  /** Standard Webhooks headers for an outbound body, signed with the first secret. */
  sign(id: string, body: string, now?: number): Record<string, string>;
}

export function createWebhookSigner(secrets: readonly string[]): WebhookSigner {
  const hooks = secrets.map((secret) => new Webhook(secret));
  return {
    enabled: hooks.length > 0,
    verify(body, headers, now = Date.now()) {
      const id = headers.get('webhook-id');
      const timestamp = headers.get('webhook-timestamp');
      const signature = headers.get('webhook-signature');
      if (hooks.length === 0) {
        throw new NetlensError(
          'webhook_unsigned',
          'webhooks are not configured: set NETLENS_WEBHOOK_SECRETS',
        );
      }
      if (!id || !timestamp || !signature) {
        const missing = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].filter(
          (h) => !headers.get(h),
        );
        throw new NetlensError(
          'webhook_unsigned',
          `the webhook is not signed: missing ${missing.join(', ')}`,
          {
            details: { missing },
          },
        );
      }
      const seconds = Number(timestamp);
      const skew = Math.abs(now / 1000 - seconds);
      if (!/^\d{1,12}$/.test(timestamp) || skew > TOLERANCE_SECONDS) {
        throw new NetlensError(
          'webhook_expired',
          `webhook-timestamp ${timestamp} is ${Number.isFinite(skew) ? Math.round(skew) : '?'} s from the server clock; at most ${TOLERANCE_SECONDS} s is accepted`,
          { details: { toleranceSeconds: TOLERANCE_SECONDS } },
        );
      }
      const plain = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
      for (const hook of hooks) {
        try {
          hook.verify(body, plain, { jsonParse: false });
          return { id, timestamp: seconds };
        } catch (error) {
          if (!(error instanceof WebhookVerificationError)) throw error;
        }
      }
      throw new NetlensError(
        'webhook_signature_invalid',
        `no signature in webhook-signature matches the body under any of the ${hooks.length} active secret(s)`,
      );
    },
    sign(id, body, now = Date.now()) {
      const first = hooks[0];
      if (!first) throw new NetlensError('invalid_argument', 'no webhook secret to sign callbacks with');
      return {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(now / 1000)),
        'webhook-signature': first.sign(id, new Date(now), body),
      };
    },
  };
}
