import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/index.js';
import { createLogger } from '../logger.js';
import type { AttemptOutcome, ClaimedDelivery } from '../ports/notification-repository.js';
import type { DeliveryAttempt } from '../domain/notifications.js';
import { createNotificationDispatcher } from './dispatcher.js';
import { TOO_HOT_RULE } from '../../test/support/alert-fixtures.js';

const delivery = (id: string, overrides: Partial<ClaimedDelivery> = {}): ClaimedDelivery => ({
  id,
  organizationId: 'org-1',
  channelId: `channel-${id}`,
  episodeId: 'episode-1',
  event: 'FIRING',
  message: {
    type: 'alert.firing',
    timestamp: '2026-12-07T10:00:00.000Z',
    data: {
      organizationId: 'org-1',
      episodeId: 'episode-1',
      status: 'FIRING',
      rule: { id: 'rule-1', ...TOO_HOT_RULE },
      device: { id: 'device-1', name: 'Boiler', type: 'boiler', labels: {} },
      startedAt: '2026-12-07T10:00:00.000Z',
      endedAt: null,
      startValue: 31,
      peakValue: 31,
      endValue: null,
    },
  },
  target: {
    kind: 'WEBHOOK',
    url: 'https://hooks.example.com/a',
    signingSecret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  },
  channelEnabled: true,
  createdAt: Date.now(),
  attemptCount: 0,
  ...overrides,
});

describe('the notification dispatcher', () => {
  it('fails, to retry, a delivery whose channel secret is unreadable or unusable, and sends the others', async () => {
    const recorded = new Map<string, { attempt: DeliveryAttempt; outcome: AttemptOutcome }>();
    const unreadable = delivery('a', {
      target: { kind: 'WEBHOOK', url: 'https://hooks.example.com/a', signingSecret: '' },
      secretProblem:
        'channel secret unreadable: sealed with key k1, which this process does not have',
    });
    const readable = delivery('b');
    const unusable = delivery('c', {
      target: {
        kind: 'WEBHOOK',
        url: 'https://hooks.example.com/c',
        signingSecret: 'whsec_not base64!',
      },
    });
    let claims = 0;
    const post = vi.fn(async (_url: string, _body: string, _headers: Record<string, string>) => ({
      status: 204,
      latencyMs: 3,
      error: null,
    }));
    const dispatcher = createNotificationDispatcher({
      notifications: {
        claimDeliveries: async () => (claims++ === 0 ? [unreadable, readable, unusable] : []),
        recordAttempt: async (id, attempt, outcome) => {
          recorded.set(id, { attempt, outcome });
        },
      },
      settings: loadConfig({}).notifications,
      post,
      logger: createLogger('silent', 'test'),
    });
    dispatcher.start();
    await vi.waitFor(() => expect(recorded.size).toBe(3));
    await dispatcher.stop();

    expect(recorded.get('a')).toMatchObject({
      attempt: { statusCode: null, error: unreadable.secretProblem },
      outcome: { delivery: 'RETRY' },
    });
    expect(recorded.get('b')).toMatchObject({ outcome: { delivery: 'DELIVERED' } });
    expect(recorded.get('c')).toMatchObject({
      attempt: { statusCode: null, error: expect.stringMatching(/^signing secret unusable: /) },
      outcome: { delivery: 'RETRY' },
    });
    expect(post).toHaveBeenCalledTimes(1);
    expect(post.mock.calls[0]![0]).toBe('https://hooks.example.com/a');
  });
});
