import { createByIdLoader } from '@asky/shared';
import type { AuthPrisma } from './client';

/** Users, read through a per-request loader so N lookups cost one query. */
export class UserRepository {
  private readonly byId = createByIdLoader((ids) => this.prisma.user.findMany({ where: { id: { in: ids } } }));

  constructor(private readonly prisma: AuthPrisma) {}

  findById(id: string) {
    return this.byId.load(id);
  }
}
