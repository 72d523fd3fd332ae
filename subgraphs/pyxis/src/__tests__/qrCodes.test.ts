import type { Dispenser } from '../generated/prisma/client';
import {
  DispenserQrCodes,
  parseQrPayload,
  qrCallerAllowance,
  QrRenderBudget,
  qrPayload,
  type QrRenderer,
} from '../qrCodes';

const dispenser = (updatedAt: Date): Dispenser => ({
  id: '44444444-4444-4444-8444-000000000001',
  code: 'UTI-2-A',
  name: 'UTI Adulto A',
  unit: 'UTI Adulto',
  floor: '2º andar',
  room: 'Sala 201',
  status: 'ACTIVE',
  retiredAt: null,
  createdAt: new Date(0),
  updatedAt,
});

describe('DispenserQrCodes', () => {
  it('renders once per dispenser version, format and size', async () => {
    const render = jest.fn<ReturnType<QrRenderer>, Parameters<QrRenderer>>(
      async (text, format, size) => `${format}:${size}:${text}`,
    );
    const codes = new DispenserQrCodes(render);
    const v1 = dispenser(new Date(1_000));
    await codes.code(v1);
    await codes.code(v1);
    expect(render).toHaveBeenCalledTimes(1);
    await codes.code(v1, 'SVG');
    await codes.code(v1, 'PNG', 512);
    expect(render).toHaveBeenCalledTimes(3);
    await codes.code({ ...dispenser(new Date(2_000)), room: 'Sala 202' }); // the label changed
    expect(render).toHaveBeenCalledTimes(4);
    expect(render.mock.calls[3]![0]).toContain('Sala 202');
  });

  it('drops a failed rendering so the next request tries again', async () => {
    const render = jest
      .fn<ReturnType<QrRenderer>, Parameters<QrRenderer>>()
      .mockRejectedValueOnce(new Error('boom'))
      .mockResolvedValue('ok');
    const codes = new DispenserQrCodes(render);
    await expect(codes.code(dispenser(new Date(1)))).rejects.toThrow('boom');
    await expect(codes.code(dispenser(new Date(1)))).resolves.toBe('ok');
  });
});

describe('parseQrPayload', () => {
  it('reads back what a label carries', () => {
    expect(parseQrPayload(JSON.stringify(qrPayload(dispenser(new Date()))))).toEqual({
      id: '44444444-4444-4444-8444-000000000001',
      code: 'UTI-2-A',
    });
  });

  it.each([
    'not json',
    '{}',
    '{"v":2,"type":"dispenser","id":"44444444-4444-4444-8444-000000000001","code":"X"}',
    '{"v":1,"type":"dispenser","id":"1; DROP","code":"X"}',
    'null',
  ])('refuses %s with BAD_USER_INPUT', (scanned) => {
    expect(() => parseQrPayload(scanned)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    );
  });
});

describe('QrRenderBudget', () => {
  const render: QrRenderer = async (text, format, size) => `${format}:${size}:${text}`;

  it('lets one operation render a bounded amount, and cached codes cost nothing', async () => {
    const codes = new DispenserQrCodes(render);
    const budget = new QrRenderBudget();
    const sizes = [1024, 1023, 1022, 1021]; // four full-size renderings: 20 units
    for (const size of sizes) await codes.code(dispenser(new Date(1)), 'PNG', size, budget);
    await expect(codes.code(dispenser(new Date(1)), 'PNG', 1020, budget)).rejects.toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
    });
    await expect(codes.code(dispenser(new Date(1)), 'PNG', 1024, budget)).resolves.toContain('PNG:1024'); // cached
    await expect(codes.code(dispenser(new Date(1)), 'PNG', 1020, new QrRenderBudget())).resolves.toContain('PNG:1020'); // the next operation
  });

  it('charges by size: sixteen default labels fit in one operation', async () => {
    const budget = new QrRenderBudget();
    for (let i = 0; i < 16; i++) await budget.spend('PNG', 256);
    await expect(budget.spend('PNG', 256)).rejects.toThrow(/QR codes/);
  });

  it("bounds one caller's renderings a minute across operations, never another's, and cache hits stay free", async () => {
    const codes = new DispenserQrCodes(render);
    const allowance = qrCallerAllowance();
    const operation = (key: string) => new QrRenderBudget({ key, allowance });
    // 120 units a minute: 24 full-size codes, four per operation.
    let size = 1024;
    for (let op = 0; op < 6; op++) {
      const budget = operation('user:ana');
      for (let i = 0; i < 4; i++) await codes.code(dispenser(new Date(1)), 'PNG', size--, budget);
    }
    const refused = codes.code(dispenser(new Date(1)), 'PNG', size, operation('user:ana'));
    await expect(refused).rejects.toMatchObject({
      extensions: { code: 'TOO_MANY_REQUESTS', retryAfter: expect.any(Number) },
    });
    await expect(codes.code(dispenser(new Date(1)), 'PNG', 1024, operation('user:ana'))).resolves.toContain('PNG:1024'); // cached
    await expect(codes.code(dispenser(new Date(1)), 'PNG', size, operation('user:bruno'))).resolves.toContain(
      `PNG:${size}`,
    ); // her refusal was not cached
  });
});
