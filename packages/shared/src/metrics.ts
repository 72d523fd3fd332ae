/**
 * Prometheus metrics. Process-wide ones (Node's defaults, events published and
 * consumed, outbox backlog, live subscriptions) live in one registry; each
 * service adds its own HTTP and GraphQL metrics labelled `service`, so `npm
 * start` (every service in one process) and one-service containers expose the
 * same series. Every service serves both at `GET /metrics`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';

const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

/** Seconds: from sub-millisecond health checks to slow cross-subgraph queries. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Metrics of this process, whatever services it runs. */
export const processMetrics = {
  eventsPublished: new Counter({
    name: 'asky_events_published_total',
    help: 'Events the broker confirmed, by routing key',
    labelNames: ['routing_key'],
    registers: [processRegistry],
  }),
  eventsConsumed: new Counter({
    name: 'asky_events_consumed_total',
    help: 'Events delivered to a consumer, by queue kind',
    labelNames: ['kind'],
    registers: [processRegistry],
  }),
  eventsDeadLettered: new Counter({
    name: 'asky_events_dead_lettered_total',
    help: 'Events a consumer gave up on (its dead-letter queue), by queue and reason',
    labelNames: ['queue', 'reason'],
    registers: [processRegistry],
  }),
  liveConnections: new Gauge({
    name: 'asky_live_connections',
    help: 'Open graphql-ws connections (acknowledged)',
    registers: [processRegistry],
  }),
  liveSubscriptions: new Gauge({
    name: 'asky_live_subscriptions',
    help: 'Open live subscriptions',
    registers: [processRegistry],
  }),
  liveDropped: new Counter({
    name: 'asky_live_dropped_total',
    help: 'Subscribers closed for not reading their updates (4413)',
    registers: [processRegistry],
  }),
  liveEventsRefused: new Counter({
    name: 'asky_live_events_refused_total',
    help: "Broker messages live updates ignored: not matching their routing key's schema, or too large",
    labelNames: ['hub'],
    registers: [processRegistry],
  }),
  liveListenerFailures: new Counter({
    name: 'asky_live_listener_failures_total',
    help: 'Live listeners that threw on an event (the others still got it)',
    labelNames: ['hub'],
    registers: [processRegistry],
  }),
  liveUnreadable: new Counter({
    name: 'asky_live_unreadable_total',
    help: 'Live updates that could not be read from their service now (subscribers told to refetch)',
    registers: [processRegistry],
  }),
};

/** A gauge read when scraped (e.g. the outbox backlog, counted in the database). */
export function registerSampledGauge(name: string, help: string, sample: () => Promise<number>): void {
  processRegistry.removeSingleMetric(name); // a restarted service in the same process (tests) measures anew
  new Gauge({
    name,
    help,
    registers: [processRegistry],
    async collect() {
      this.set(await sample().catch(() => NaN));
    },
  });
}

export interface ServiceMetrics {
  /** Counts one HTTP request that took `seconds` (`route`: the pattern, never the raw path). */
  readonly http: (method: string, route: string, status: number, seconds: number) => void;
  /** One more (+1) or one fewer (-1) HTTP request being answered. */
  readonly inFlight: (change: 1 | -1) => void;
  /** Apollo plugin timing operations by name and counting errors by code. */
  readonly graphql: ApolloServerPlugin<BaseContext>;
  /** The text exposition of this service's and the process's metrics. */
  exposition(): Promise<{ contentType: string; body: string }>;
}

/** Operation names are the client's to choose: past this many distinct ones, the rest count as `other`. */
const MAX_OPERATION_NAMES = 200;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function createServiceMetrics(service: string): ServiceMetrics {
  const seenNames = new Set<string>();
  const operationLabel = (name: string | null | undefined): string => {
    if (!name) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (!seenNames.has(name) && seenNames.size >= MAX_OPERATION_NAMES) return 'other';
    seenNames.add(name);
    return name;
  };
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  const httpDuration = new Histogram({
    name: 'asky_http_request_duration_seconds',
    help: 'HTTP requests by route, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: 'asky_graphql_operation_duration_seconds',
    help: 'GraphQL operations by name and type',
    labelNames: ['operation', 'type'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'asky_http_requests_in_flight',
    help: 'HTTP requests received and not yet answered',
    registers: [registry],
  });
  const errors = new Counter({
    name: 'asky_graphql_errors_total',
    help: 'GraphQL errors by extensions.code',
    labelNames: ['code'],
    registers: [registry],
  });

  return {
    http(method, route, status, seconds) {
      httpDuration.observe({ method, route, status: String(status) }, seconds);
    },
    inFlight(change) {
      inFlight.inc(change);
    },
    graphql: {
      async requestDidStart() {
        const end = operationDuration.startTimer();
        let type = 'unknown';
        let name = 'anonymous';
        return {
          // After validation; and a name is only taken from a logged-in caller (a person or a
          // service): strangers cannot spend the label budget.
          async didResolveOperation({ operation, operationName, contextValue }) {
            type = operation?.operation ?? 'unknown';
            const caller = contextValue as { viewer?: unknown; authorization?: string };
            name = caller.viewer || caller.authorization ? operationLabel(operationName) : 'unauthenticated';
          },
          async didEncounterErrors({ errors: found }) {
            for (const error of found) errors.inc({ code: String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
          },
          async willSendResponse() {
            end({ operation: name, type });
          },
        };
      },
    },
    async exposition() {
      const [own, shared] = await Promise.all([registry.metrics(), processRegistry.metrics()]);
      return { contentType: registry.contentType, body: `${own}\n${shared}` };
    },
  };
}
