/**
 * Escalations reach live boards at once (not at their next refetch): a STAT left
 * PENDING past its wait arrives on `requestStatusChanged` as an ESCALATED change
 * with its level, to whoever may read the request.
 */
import { listen, useTestSystem } from '@asky/testing';

const ctx = useTestSystem({ escalation: { afterSeconds: { STAT: 2, ASAP: 600 }, checkEveryMs: 200 } });

it("delivers an unattended STAT's escalations live, level by level, to the pharmacy and to its requester", async () => {
  const created = await ctx.system.graphql(
    'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
    {
      input: {
        kind: 'MEDICINE',
        priority: 'STAT',
        medicineId: '22222222-2222-4222-8222-000000000002',
        dispenserId: '44444444-4444-4444-8444-000000000001',
        quantity: 1,
      },
    },
    { token: ctx.tokens.nurse },
  );
  const id = created.data.createRequest.id as string;
  const query =
    'subscription ($id: ID) { requestStatusChanged(requestId: $id) { type status previousStatus escalationLevel changedBy { id } request { id priority } } }';
  const subscribed = ctx.system.subscriptionsStarted(2);
  const boards = [
    listen(ctx.system, ctx.tokens.pharmacist, query, { id }),
    listen(ctx.system, ctx.tokens.nurse, query, { id }),
  ];
  try {
    await subscribed;
    for (const board of boards) {
      const levels = [await board.next(20_000), await board.next(20_000)].map((e) => e.data.requestStatusChanged);
      expect(levels).toEqual(
        [1, 2].map((level) => ({
          type: 'ESCALATED',
          status: 'PENDING',
          previousStatus: 'PENDING',
          escalationLevel: level,
          changedBy: null,
          request: { id, priority: 'STAT' },
        })),
      );
    }
  } finally {
    boards.forEach((board) => board.dispose());
  }
}, 60_000);
