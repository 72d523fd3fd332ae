/**
 * Web Push to staff who are not looking at a screen (the original system's phone
 * notifications): consumes request events from its own durable queue and pushes
 * each to the browsers registered by who should know — a new request to the
 * roles that work its kind, an escalation to them and to the charge nurses of
 * its unit, a status change to its requester. The message only names the
 * request: what is pushed is read from the request service's own database. Who
 * someone is (active, role, units) is asked at each push, not taken from when
 * they registered. Payloads
 * name the request, its kind, priority, status and unit, never the patient.
 * Pushes are encrypted for each browser (RFC 8291) and signed with VAPID (RFC
 * 8292) by `web-push`; a subscription the push service no longer knows (404,
 * 410) is removed. A push that fails otherwise is logged, not retried: a
 * notification minutes late is worse than none, and boards show everything.
 */
import https from 'node:https';
import tls from 'node:tls';
import webpush from 'web-push';
import {
  HANDLERS,
  parseEvent,
  ROUTING_KEYS,
  type EventBus,
  type Logger,
  type PushConfig,
  type RequestEscalatedEvent,
  type RequestEvent,
  type Role,
  type Subscription,
  type UserStatusSource,
} from '@asky/shared';
import { recordedChange } from '../data/changes';
import type { RequestPrisma } from '../data/client';
import type { PushSubscription } from '../generated/prisma/client';

export const PUSH_QUEUE = 'request.push';

export interface Vapid {
  readonly publicKey: string;
  readonly privateKey: string;
  readonly subject: string;
}

/** The configured VAPID keys, or a pair for this process (browsers must subscribe again after a restart). */
export function vapidKeys(config: PushConfig, logger: Logger): Vapid {
  if (config.vapidPublicKey && config.vapidPrivateKey)
    return { publicKey: config.vapidPublicKey, privateKey: config.vapidPrivateKey, subject: config.vapidSubject };
  logger.warn(
    'VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY unset: push keys generated for this process, browsers subscribe again after a restart',
  );
  return { ...webpush.generateVAPIDKeys(), subject: config.vapidSubject };
}

/** What a notification says: enough to find the request, nothing about the patient. */
interface Notice {
  readonly title: string;
  readonly body: string;
  readonly requestId: string;
  readonly kind: string;
  readonly priority: string;
  readonly status: string;
  readonly unit: string | null;
  readonly type: string;
}

type AnyRequestEvent = RequestEvent | RequestEscalatedEvent;

export class PushNotifier {
  private subscription?: Subscription;
  private loop?: Promise<void>;
  /** Connections to push services, trusting the configured CA too. */
  private readonly agent?: https.Agent;

  constructor(
    private readonly prisma: RequestPrisma,
    private readonly bus: EventBus,
    private readonly users: UserStatusSource,
    private readonly vapid: Vapid,
    private readonly logger: Logger,
    private readonly queuePrefix = '',
    extraCa?: string,
  ) {
    if (extraCa) this.agent = new https.Agent({ keepAlive: true, ca: [...tls.rootCertificates, extraCa] });
  }

  async start(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      queue: `${this.queuePrefix}${PUSH_QUEUE}`,
      bindings: [ROUTING_KEYS.requestCreated, ROUTING_KEYS.requestStatusChanged, ROUTING_KEYS.requestEscalated],
    });
    this.loop = (async () => {
      for await (const delivery of this.subscription!) {
        const parsed = parseEvent(delivery.routingKey, delivery.body);
        if ('refused' in parsed)
          this.logger.warn(
            { messageId: delivery.messageId, why: parsed.refused },
            'push: ignored an event that does not match its schema',
          );
        else
          await this.notify(parsed.event as AnyRequestEvent).catch((err: unknown) =>
            this.logger.warn({ err, messageId: delivery.messageId }, 'push: an event could not be pushed'),
          );
        delivery.ack();
      }
    })();
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
  }

  /** Pushes one event to whoever should know of it. */
  async notify(message: AnyRequestEvent): Promise<void> {
    // Only a change this service recorded (the event it wrote in the change's transaction) is pushed.
    if (!(await recordedChange(this.prisma, message.requestId, message.eventId))) return;
    const event = await this.checked(message);
    if (!event) return;
    const targets = await this.targetsOf(event);
    const notice = noticeOf(event);
    await Promise.all(
      targets.map((target) => this.push(target, notice, event.priority === 'STAT' || event.priority === 'ASAP')),
    );
  }

  /**
   * The event as this service's own database has it: a message on the broker is
   * only a hint (anyone who can publish there could forge one), so who, what,
   * how urgent and where come from the request itself, and an escalation is
   * pushed only if the request really was escalated that far and still waits.
   */
  private async checked(message: AnyRequestEvent): Promise<AnyRequestEvent | undefined> {
    const request = await this.prisma.request.findUnique({ where: { id: message.requestId } });
    if (!request) return undefined;
    const facts = {
      requestId: request.id,
      kind: request.kind,
      priority: request.priority,
      status: request.status,
      unit: request.unit,
      requesterId: request.requesterId,
      dispenserId: request.dispenserId,
    };
    if (message.type === ROUTING_KEYS.requestEscalated) {
      if (request.status !== 'PENDING' || request.escalationLevel < message.level) return undefined;
      return {
        ...message,
        ...facts,
        level: message.level,
        waitedSeconds: Math.round((Date.now() - request.createdAt.getTime()) / 1000),
      };
    }
    if (message.type === ROUTING_KEYS.requestStatusChanged) {
      const last = await this.prisma.statusHistory.findFirst({
        where: { requestId: request.id },
        orderBy: { at: 'desc' },
        select: { changedById: true },
      });
      return { ...message, ...facts, changedById: last?.changedById ?? null };
    }
    return message.type === ROUTING_KEYS.requestCreated ? { ...message, ...facts } : undefined;
  }

  private async targetsOf(event: AnyRequestEvent): Promise<PushSubscription[]> {
    const handlers: readonly Role[] = (HANDLERS[event.kind] ?? []).filter((role) => role !== 'ADMIN');
    let candidates: PushSubscription[];
    if (event.type === ROUTING_KEYS.requestStatusChanged) {
      // The requester is told of what others did to her request.
      if (event.changedById === event.requesterId) return [];
      candidates = await this.prisma.pushSubscription.findMany({ where: { userId: event.requesterId } });
    } else {
      const roles: string[] =
        event.type === ROUTING_KEYS.requestEscalated ? [...handlers, 'CHARGE_NURSE'] : [...handlers];
      candidates = await this.prisma.pushSubscription.findMany({ where: { role: { in: roles } } });
    }
    const statuses = new Map(
      await Promise.all(
        [...new Set(candidates.map((c) => c.userId))].map(async (id) => [id, await this.users.status(id)] as const),
      ),
    );
    return candidates.filter((candidate) => {
      const status = statuses.get(candidate.userId);
      if (!status?.active || status.passwordChangeRequired) return false;
      if (event.type === ROUTING_KEYS.requestStatusChanged) return true;
      if (status.role === 'CHARGE_NURSE')
        return event.type === ROUTING_KEYS.requestEscalated && !!event.unit && !!status.units?.includes(event.unit);
      return handlers.includes(status.role);
    });
  }

  private async push(target: PushSubscription, notice: Notice, urgent: boolean): Promise<void> {
    try {
      await webpush.sendNotification(
        { endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } },
        JSON.stringify(notice),
        {
          vapidDetails: this.vapid,
          TTL: 600,
          urgency: urgent ? 'high' : 'normal',
          timeout: 5_000,
          ...(this.agent ? { agent: this.agent } : {}),
        },
      );
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404 || status === 410) {
        await this.prisma.pushSubscription.deleteMany({ where: { id: target.id } });
        this.logger.info({ userId: target.userId, status }, 'push: subscription gone, removed');
        return;
      }
      this.logger.warn({ userId: target.userId, status, err: (err as Error).message }, 'push: not delivered');
    }
  }
}

function noticeOf(event: AnyRequestEvent): Notice {
  const what = `${event.priority} ${event.kind.toLowerCase()} request${event.unit ? ` · ${event.unit}` : ''}`;
  const title =
    event.type === ROUTING_KEYS.requestEscalated
      ? `Unattended ${what}`
      : event.type === ROUTING_KEYS.requestCreated
        ? `New ${what}`
        : `Your request is ${event.status}`;
  const body =
    event.type === ROUTING_KEYS.requestEscalated
      ? `Waiting ${Math.round(event.waitedSeconds / 60)} min, nobody accepted it (level ${event.level})`
      : what;
  return {
    title,
    body,
    requestId: event.requestId,
    kind: event.kind,
    priority: event.priority,
    status: event.status,
    unit: event.unit,
    type: event.type,
  };
}
