import type { ThrottleStore } from '../throttle';
import type { AuthPrisma } from './client';

/** Throttling events and known clients in Postgres: every auth replica counts the same. */
export class PrismaThrottleStore implements ThrottleStore {
  constructor(private readonly prisma: AuthPrisma) {}

  async recent(key: string, since: number, limit: number): Promise<number[]> {
    const rows = await this.prisma.throttleEvent.findMany({
      where: { key, at: { gt: new Date(since) } },
      orderBy: { at: 'desc' },
      take: limit,
      select: { at: true },
    });
    return rows.map((row) => row.at.getTime()).reverse();
  }

  async record(keys: readonly string[], at: number, before: number): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.throttleEvent.deleteMany({ where: { key: { in: [...keys] }, at: { lte: new Date(before) } } }),
      this.prisma.throttleEvent.createMany({ data: keys.map((key) => ({ key, at: new Date(at) })) }),
    ]);
  }

  async forget(key: string): Promise<void> {
    await this.prisma.throttleEvent.deleteMany({ where: { key } });
  }

  async lastSignIn(account: string, client: string): Promise<number | undefined> {
    const row = await this.prisma.knownClient.findUnique({
      where: { account_client: { account, client } },
      select: { lastAt: true },
    });
    return row?.lastAt.getTime();
  }

  async markSignIn(account: string, client: string, at: number): Promise<void> {
    await this.prisma.knownClient.upsert({
      where: { account_client: { account, client } },
      create: { account, client, lastAt: new Date(at) },
      update: { lastAt: new Date(at) },
    });
  }
}
