/**
 * Cabinets made for one test: a fresh dispenser with the slots and lots a test
 * needs, requests moved along their workflow, and waiting for pyxis' consumer.
 */
import { adminQuery, eventually, type TestSystem } from '@asky/testing';

export { eventually };

type Tokens = Record<'nurse' | 'pharmacist' | 'technician' | 'admin', string>;

export interface LotIn {
  readonly lot: string;
  readonly expiresAt: string;
  readonly quantity: number;
}

export function cabinets(ctx: { readonly system: TestSystem; readonly tokens: Tokens }) {
  const gql = async <T = any>(token: string, query: string, variables: Record<string, unknown> = {}) => {
    const body = await ctx.system.graphql<T>(query, variables, { token });
    expect(body.errors).toBeUndefined();
    return body.data!;
  };
  const sql = (text: string) => adminQuery(text, ctx.system.database.url);

  /** A new cabinet; `slots` maps a slot name to its medicine and lots (the first assigned, the others restocked). */
  async function cabinet(
    name: string,
    medicineId: string,
    slots: Record<string, LotIn[]>,
    witness?: (subjectId: string) => Promise<string>,
  ) {
    const { createDispenser: dispenser } = await gql(
      ctx.tokens.technician,
      'mutation ($input: DispenserInput!) { createDispenser(input: $input) { id } }',
      {
        input: {
          code: `${name}-${Math.floor(Math.random() * 1e6)}`,
          name,
          unit: `Ala ${name}`,
          floor: '1',
          room: '104',
        },
      },
    );
    const ids: Record<string, string> = {};
    for (const [slot, [first, ...more]] of Object.entries(slots)) {
      const { assignSlot } = await gql(
        ctx.tokens.technician,
        'mutation ($input: AssignSlotInput!, $w: String) { assignSlot(input: $input, witnessToken: $w) { id } }',
        {
          input: { dispenserId: dispenser.id, slot, medicineId, parLevel: 10, ...first },
          w: witness && (await witness(dispenser.id)),
        },
      );
      ids[slot] = assignSlot.id;
      for (const lot of more) {
        await gql(
          ctx.tokens.technician,
          'mutation ($id: ID!, $q: Int!, $lot: String, $exp: String, $w: String) { restock(slotId: $id, quantity: $q, lot: $lot, expiresAt: $exp, witnessToken: $w) { id } }',
          {
            id: assignSlot.id,
            q: lot.quantity,
            lot: lot.lot,
            exp: lot.expiresAt,
            w: witness && (await witness(dispenser.id)),
          },
        );
      }
    }
    return { id: dispenser.id as string, slots: ids };
  }

  async function request(dispenserId: string, medicineId: string, quantity: number): Promise<string> {
    const { createRequest } = await gql(
      ctx.tokens.nurse,
      'mutation ($input: CreateRequestInput!) { createRequest(input: $input) { id } }',
      {
        input: {
          kind: 'MEDICINE',
          medicineId,
          dispenserId,
          quantity,
          patient: { identifier: 'MRN-1001' },
          orderId: 'RX-1001',
        },
      },
    );
    return createRequest.id;
  }

  const move = (
    id: string,
    status: string,
    extra: { note?: string; witnessToken?: string; overrideReason?: string; scannedBarcode?: string } = {},
  ) =>
    ctx.system.graphql(
      'mutation ($id: ID!, $s: RequestStatus!, $note: String, $w: String, $o: String, $b: String) { updateRequestStatus(id: $id, status: $s, note: $note, witnessToken: $w, overrideReason: $o, scannedBarcode: $b) { status } }',
      { id, s: status, note: extra.note, w: extra.witnessToken, o: extra.overrideReason, b: extra.scannedBarcode },
      { token: ctx.tokens.pharmacist },
    );

  /** What each slot of the cabinet holds, by slot name. */
  async function quantities(dispenserId: string): Promise<Record<string, number>> {
    const { rows } = await sql(
      `SELECT slot, quantity FROM pyxis."StockItem" WHERE "dispenserId" = '${dispenserId}' ORDER BY slot`,
    );
    return Object.fromEntries(rows.map((r: { slot: string; quantity: number }) => [r.slot, r.quantity]));
  }

  return { gql, sql, cabinet, request, move, quantities };
}
