/**
 * Browsers' push subscriptions. The endpoint is a URL the server will POST to,
 * so it must be a browser push service's (an allow-list of hosts, https only):
 * never an address inside the hospital's network. Keys are checked for what RFC
 * 8291 needs (a P-256 point, a 16-byte secret) so a push never fails on them.
 */
import { badUserInput, conflict, type PushConfig } from '@asky/shared';
import type { RequestPrisma } from '../data/client';

export interface PushKeys {
  readonly p256dh: string;
  readonly auth: string;
}

const fromBase64url = (value: string) =>
  /^[A-Za-z0-9_-]+={0,2}$/.test(value) ? Buffer.from(value, 'base64url') : Buffer.alloc(0);

const hostAllowed = (host: string, allowed: readonly string[]) =>
  allowed.some((entry) => (entry.startsWith('*.') ? host.endsWith(entry.slice(1)) : host === entry));

/** The endpoint, if it is a push service's this server may POST to. */
export function checkEndpoint(endpoint: string, config: PushConfig): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw badUserInput('endpoint must be a URL', { argument: 'endpoint' });
  }
  if (
    endpoint.length > 1_000 ||
    url.protocol !== 'https:' ||
    url.username ||
    url.password ||
    !hostAllowed(url.hostname.toLowerCase(), config.endpointHosts)
  ) {
    throw badUserInput("endpoint must be a browser push service's https URL (as pushManager.subscribe gives it)", {
      argument: 'endpoint',
    });
  }
  return url.href;
}

export function checkKeys(keys: PushKeys): PushKeys {
  const point = fromBase64url(keys.p256dh);
  if (point.length !== 65 || point[0] !== 0x04)
    throw badUserInput('keys.p256dh must be a P-256 public key (65 bytes, base64url)', { argument: 'keys.p256dh' });
  if (fromBase64url(keys.auth).length !== 16)
    throw badUserInput('keys.auth must be 16 bytes, base64url', { argument: 'keys.auth' });
  return keys;
}

export class PushSubscriptions {
  constructor(private readonly prisma: RequestPrisma) {}

  /**
   * This endpoint now pushes to `user`; again by her: its keys and role are
   * replaced. An endpoint belongs to whoever registered it first until she
   * unregisters it: anyone else gets CONFLICT (so nobody can silence another's
   * notifications by claiming her endpoint). A browser shared at a shift change
   * gets a new endpoint by unsubscribing and subscribing again.
   */
  async register(user: { id: string; role: string }, endpoint: string, keys: PushKeys): Promise<void> {
    const data = { userId: user.id, role: user.role, p256dh: keys.p256dh, auth: keys.auth };
    await this.prisma.pushSubscription.createMany({ data: [{ endpoint, ...data }], skipDuplicates: true });
    const own = await this.prisma.pushSubscription.updateMany({ where: { endpoint, userId: user.id }, data });
    if (own.count === 0)
      throw conflict(
        'This push endpoint is registered to another person: unsubscribe in the browser (pushManager.unsubscribe) and subscribe again',
      );
  }

  async unregister(userId: string, endpoint: string): Promise<boolean> {
    return (await this.prisma.pushSubscription.deleteMany({ where: { endpoint, userId } })).count > 0;
  }
}
