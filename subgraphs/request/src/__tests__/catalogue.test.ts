import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceTokenClient } from '@asky/shared';
import { availableAt, PyxisCatalogue } from '../catalogue';

/** Pyxis as the catalogue sees it: answers to its one query, counted; `fail` makes the next one fail. */
function pyxis() {
  const state = { asked: 0, fail: false, retired: false };
  const client = {
    async query() {
      state.asked++;
      await sleep(5);
      if (state.fail) throw new Error('pyxis catalogue facts: no answer');
      return {
        medicine: { id: 'm' },
        assistanceTypes: [],
        dispenser: {
          id: 'd',
          unit: 'UTI',
          retired: state.retired,
          status: 'ACTIVE',
          stock: [
            { unexpired: 3, reserved: 1, medicine: { id: 'm' }, material: null },
            { unexpired: 0, reserved: 0, medicine: { id: 'm' }, material: null },
          ],
          assistanceTypes: [],
        },
      };
    },
  };
  return { state, client: client as unknown as ServiceTokenClient };
}

const lookup = { medicineId: 'm', dispenserId: 'd' };

describe('the catalogue facts the request subgraph checks new requests against', () => {
  it('asks pyxis once for concurrent and repeated lookups within the TTL, and again after it', async () => {
    const { state, client } = pyxis();
    const catalogue = new PyxisCatalogue('http://pyxis', client, 100);
    const answers = await Promise.all([catalogue.facts(lookup), catalogue.facts(lookup), catalogue.facts(lookup)]);
    expect(answers.every((a) => a.medicineExists && a.dispenser?.medicineIds.has('m'))).toBe(true);
    await catalogue.facts(lookup);
    expect(state.asked).toBe(1);
    await catalogue.facts({ medicineId: 'm', dispenserId: 'other' }); // another lookup is its own question
    expect(state.asked).toBe(2);
    state.retired = true;
    await sleep(120);
    expect((await catalogue.facts(lookup)).dispenser?.retired).toBe(true); // a change shows once the TTL passed
    expect(state.asked).toBe(3);
    const { dispenser } = await catalogue.facts(lookup, { fresh: true });
    expect([dispenser?.onHand.get('m'), availableAt(dispenser!, 'm')]).toEqual([3, 2]); // only unexpired lots are on hand; one is held
    expect(state.asked).toBe(4);
  });

  it('does not keep a failure: the next lookup asks again', async () => {
    const { state, client } = pyxis();
    const catalogue = new PyxisCatalogue('http://pyxis', client, 60_000);
    state.fail = true;
    await expect(catalogue.facts(lookup)).rejects.toThrow(/no answer/);
    state.fail = false;
    expect((await catalogue.facts(lookup)).medicineExists).toBe(true);
    expect(state.asked).toBe(2);
  });
});
