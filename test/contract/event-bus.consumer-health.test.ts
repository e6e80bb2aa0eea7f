/**
 * A consumer's health, as the pipeline's /ready reports it: failing batches are retried without
 * limit, so "failing for longer than the threshold" and "crashed" are what make it not ready.
 * The clock is injected; nothing here waits.
 */
import { EventEmitter } from 'node:events';
import type { Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createConsumerHealth } from '../../src/adapters/event-bus/consumer-health.js';
import { watchConsumerCrashes } from '../../src/adapters/event-bus/kafka-consumer.js';

function clock() {
  const state = { now: 1_000_000 };
  return { state, now: () => state.now };
}

describe('consumer health', () => {
  it('turns unhealthy only once a batch has failed for longer than the threshold, with the reason', () => {
    const time = clock();
    const health = createConsumerHealth({ unhealthyAfterMs: 30_000, now: time.now });
    expect(health.health()).toEqual({ ok: true });
    health.failed('partition telemetry/2', new Error('InfluxDB answered 503'));
    time.state.now += 20_000;
    health.failed('partition telemetry/2', new Error('connect ECONNREFUSED'));
    expect(health.health()).toEqual({ ok: true });
    time.state.now += 10_001;
    expect(health.health()).toEqual({
      ok: false,
      reason: 'batches of partition telemetry/2 failing for 30 s (retrying): connect ECONNREFUSED',
    });
    health.succeeded('partition telemetry/2');
    expect(health.health()).toEqual({ ok: true });
  });

  it('is not hidden by other partitions that succeed', () => {
    const time = clock();
    const health = createConsumerHealth({ unhealthyAfterMs: 1_000, now: time.now });
    health.failed('partition t/0', new Error('stuck'));
    time.state.now += 5_000;
    health.succeeded('partition t/1');
    expect(health.health()).toMatchObject({ ok: false, reason: expect.stringContaining('t/0') });
    // A partition that is no longer ours (revoked) stops counting.
    health.forget('partition t/0');
    expect(health.health()).toEqual({ ok: true });
  });

  it('is unhealthy after a crash until a batch succeeds', () => {
    const health = createConsumerHealth();
    health.crashed('The group is rebalancing');
    expect(health.health()).toEqual({
      ok: false,
      reason: 'consumer crashed: The group is rebalancing',
    });
    health.succeeded('partition t/0');
    expect(health.health()).toEqual({ ok: true });
  });
});

/** Just enough of a kafkajs consumer to emit its instrumentation events. */
function fakeConsumer() {
  const emitter = new EventEmitter();
  const consumer = {
    events: { CRASH: 'consumer.crash', GROUP_JOIN: 'consumer.group_join' },
    on(event: string, listener: (event: unknown) => void) {
      emitter.on(event, listener);
      return () => emitter.off(event, listener);
    },
  } as unknown as Consumer;
  const emit = (event: string, payload: object) => emitter.emit(event, { payload });
  return { consumer, emit };
}

describe('Kafka consumer crashes', () => {
  it('a crash kafkajs restarts from counts until the consumer rejoins its group', () => {
    const { consumer, emit } = fakeConsumer();
    const health = createConsumerHealth();
    watchConsumerCrashes(consumer, health);
    emit('consumer.crash', { error: new Error('Connection timeout'), restart: true });
    expect(health.health()).toEqual({
      ok: false,
      reason: 'consumer crashed: Connection timeout (restarting)',
    });
    emit('consumer.group_join', {});
    expect(health.health()).toEqual({ ok: true });
  });

  it('a crash it does not restart from stays', () => {
    const { consumer, emit } = fakeConsumer();
    const health = createConsumerHealth();
    watchConsumerCrashes(consumer, health);
    emit('consumer.crash', { error: new Error('not authorized'), restart: false });
    emit('consumer.group_join', {});
    expect(health.health()).toEqual({
      ok: false,
      reason: 'consumer crashed: not authorized (not restarting)',
    });
  });
});
