/**
 * User status for subgraphs other than auth: asked of auth with this service's
 * own token, batched per tick and cached for `ttlMs`, so a deactivation reaches
 * every subgraph within that time (auth itself reads its database every time).
 */
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { ServiceTokenClient } from './serviceToken';
import type { UserStatus, UserStatusSource } from './viewer';
import { UserStatusesDocument } from '../generated/authOperations';

export class RemoteUserStatusSource implements UserStatusSource {
  /** Bounded: one entry per person who called lately (null: no such account). */
  private readonly cache: LRUCache<string, { status: UserStatus | null }>;
  private readonly loader = new DataLoader<string, UserStatus | null>((ids) => this.fetchStatuses(ids), {
    cache: false,
  });

  /**
   * @param authUrl auth's GraphQL endpoint
   * @param ttlMs how long an answer is reused @default 10_000
   */
  constructor(
    private readonly authUrl: string,
    private readonly serviceToken: ServiceTokenClient,
    private readonly ttlMs = 10_000,
  ) {
    this.cache = new LRUCache({ max: 50_000, ttl: Math.max(ttlMs, 1) });
  }

  async status(userId: string): Promise<UserStatus | null> {
    const hit = this.ttlMs > 0 ? this.cache.get(userId) : undefined;
    if (hit) return hit.status;
    const status = await this.loader.load(userId);
    if (this.ttlMs > 0) this.cache.set(userId, { status });
    return status;
  }

  /** Statuses from auth; auth (or its database) unreachable → SERVICE_UNAVAILABLE, retryable. */
  private async fetchStatuses(ids: readonly string[]): Promise<(UserStatus | null)[]> {
    const data = await this.serviceToken.query(this.authUrl, 'auth account statuses', UserStatusesDocument, {
      ids: [...ids],
    });
    const byId = new Map(data.userStatuses.map((s) => [s.id, s]));
    return ids.map((id) => byId.get(id) ?? null);
  }
}
