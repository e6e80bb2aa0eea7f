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

/** Ingest's live publish failing (Redis away): those points are stored all the same. */
export const livePointsUnpublished = new Counter({
  name: 'live_points_unpublished_total',
  help: 'Accepted points the live hub did not take: live subscribers missed them (they are stored)',
});
