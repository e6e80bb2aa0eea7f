import { Counter, Gauge } from 'prom-client';

export const liveSubscriptions = new Gauge({
  name: 'live_subscriptions',
  help: 'GraphQL subscriptions open in this api process (graphql-ws and SSE)',
});

export const liveFanoutGroups = new Gauge({
  name: 'live_fanout_groups',
  help: 'Groups of identical subscriptions sharing one source (each reads the live hub once)',
});

export const liveUpdatesDropped = new Counter({
  name: 'live_updates_dropped_total',
  help: 'Live updates dropped for subscribers too slow to read them (each told how many)',
});
