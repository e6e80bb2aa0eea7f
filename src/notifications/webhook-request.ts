import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { NotificationMessage } from '../domain/notifications.js';

/**
 * A new signing secret in the Standard Webhooks form, `whsec_` and 32 random bytes in base64:
 * what receivers' verification libraries (standardwebhooks, svix) take as it is.
 */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * One attempt at a webhook delivery as Standard Webhooks has it: the message as the JSON body,
 * `webhook-id` the delivery's id (the same on every attempt, for de-duplication),
 * `webhook-timestamp` the attempt's time in seconds and `webhook-signature` the HMAC-SHA256 of
 * `id.timestamp.body` with the channel's secret (the standardwebhooks package signs).
 */
export function webhookRequest(
  delivery: { id: string; message: NotificationMessage },
  signingSecret: string,
  at: Date,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(delivery.message);
  return {
    body,
    headers: {
      'webhook-id': delivery.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': new Webhook(signingSecret).sign(delivery.id, at, body),
    },
  };
}
