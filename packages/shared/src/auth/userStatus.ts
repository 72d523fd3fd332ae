/**
 * User status for subgraphs other than auth: asked of auth with this service's
 * own token, batched per tick and cached for `ttlMs`, so a deactivation reaches
 * every subgraph within that time (auth itself reads its database every time).
 */
import DataLoader from 'dataloader';
import type { ServiceTokenClient } from './serviceToken';
import type { UserStatus, UserStatusSource } from './viewer';

const QUERY = 'query UserStatuses($ids: [ID!]!) { userStatuses(ids: $ids) { id role active passwordChangeRequired units } }';

export class RemoteUserStatusSource implements UserStatusSource {
  private readonly cache = new Map<string, { status: UserStatus | null; at: number }>();
  private readonly loader = new DataLoader<string, UserStatus | null>((ids) => this.fetchStatuses(ids), { cache: false });

  /**
   * @param authUrl auth's GraphQL endpoint
   * @param ttlMs how long an answer is reused @default 10_000
   */
  constructor(
    private readonly authUrl: string,
    private readonly serviceToken: ServiceTokenClient,
    private readonly ttlMs = 10_000,
  ) {}

  async status(userId: string): Promise<UserStatus | null> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.status;
    const status = await this.loader.load(userId);
    this.cache.set(userId, { status, at: Date.now() });
    return status;
  }

  /** Statuses from auth; auth (or its database) unreachable → SERVICE_UNAVAILABLE, retryable. */
  private async fetchStatuses(ids: readonly string[]): Promise<(UserStatus | null)[]> {
    const data = await this.serviceToken.query<{ userStatuses: UserStatus[] }>(this.authUrl, 'auth account statuses', QUERY, { ids });
    const byId = new Map(data.userStatuses.map((s) => [s.id, s]));
    return ids.map((id) => byId.get(id) ?? null);
  }
}
