import { InvalidCredentialError, type Viewer } from './viewer.js';

/**
 * How often a WebSocket connection or a subscription stream held by an API key verifies the key
 * again. The same as the key lookup cache's TTL (api-keys.ts): a re-check is mostly a cache hit,
 * and costs at most one query per key and interval however many connections hold the key. A
 * revoked key is therefore cut off within two intervals (cache, then re-check): 10 s.
 */
export const API_KEY_RECHECK_MS = 5_000;

// setTimeout fires at once past 2^31-1 ms (~24.8 days); longer-lived credentials re-arm the timer.
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface CredentialEnd {
  /** `expired`: JWT `exp` or API key `expiresAt` passed; `revoked`: a re-check refused the key. */
  kind: 'expired' | 'revoked';
  reason: string;
}

export interface CredentialWatchOptions {
  viewer: Viewer;
  /** Verifies the viewer's credential again; throws InvalidCredentialError once it is refused. */
  reverify?: () => Promise<unknown>;
  recheckMs?: number;
  /** Called once, possibly before watchCredential returns (a credential already expired). */
  onEnd: (end: CredentialEnd) => void;
}

/**
 * Tells when a viewer's credential stops being valid while a connection or stream outlives the
 * request that authenticated it: at its expiry, and for API keys (JWTs cannot be revoked) when a
 * periodic re-verification refuses the key. A re-check that fails for another reason (database
 * unreachable) keeps the viewer: the next one decides, as a new request would.
 */
export function watchCredential(options: CredentialWatchOptions): { stop(): void } {
  const { viewer, reverify, recheckMs = API_KEY_RECHECK_MS, onEnd } = options;
  let done = false;
  let expiryTimer: NodeJS.Timeout | undefined;
  let recheckTimer: NodeJS.Timeout | undefined;
  const stop = () => {
    done = true;
    clearTimeout(expiryTimer);
    clearInterval(recheckTimer);
  };
  const end = (credentialEnd: CredentialEnd) => {
    if (done) return;
    stop();
    onEnd(credentialEnd);
  };

  const expiredReason = viewer.kind === 'apiKey' ? 'API key expired' : 'token expired';
  const armExpiry = (expiresAt: number) => {
    const remaining = expiresAt - Date.now();
    if (remaining <= 0) return end({ kind: 'expired', reason: expiredReason });
    expiryTimer = setTimeout(() => armExpiry(expiresAt), Math.min(remaining, MAX_TIMER_MS));
    expiryTimer.unref();
  };
  if (viewer.expiresAt !== undefined) armExpiry(viewer.expiresAt);

  if (!done && viewer.kind === 'apiKey' && reverify) {
    let checking = false;
    recheckTimer = setInterval(() => {
      if (checking) return;
      checking = true;
      reverify()
        .catch((error: unknown) => {
          if (error instanceof InvalidCredentialError) {
            end({ kind: 'revoked', reason: error.message });
          }
        })
        .finally(() => {
          checking = false;
        });
    }, recheckMs);
    recheckTimer.unref();
  }
  return { stop };
}
