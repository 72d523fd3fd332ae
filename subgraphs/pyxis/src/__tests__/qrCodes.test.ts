import type { Dispenser } from '../generated/prisma/client';
import { DispenserQrCodes, parseQrPayload, qrPayload, type QrRenderer } from '../qrCodes';

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
    const render = jest.fn<ReturnType<QrRenderer>, Parameters<QrRenderer>>(async (text, format, size) => `${format}:${size}:${text}`);
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
    const render = jest.fn<ReturnType<QrRenderer>, Parameters<QrRenderer>>().mockRejectedValueOnce(new Error('boom')).mockResolvedValue('ok');
    const codes = new DispenserQrCodes(render);
    await expect(codes.code(dispenser(new Date(1)))).rejects.toThrow('boom');
    await expect(codes.code(dispenser(new Date(1)))).resolves.toBe('ok');
  });
});

describe('parseQrPayload', () => {
  it('reads back what a label carries', () => {
    expect(parseQrPayload(JSON.stringify(qrPayload(dispenser(new Date()))))).toEqual({ id: '44444444-4444-4444-8444-000000000001', code: 'UTI-2-A' });
  });

  it.each(['not json', '{}', '{"v":2,"type":"dispenser","id":"44444444-4444-4444-8444-000000000001","code":"X"}', '{"v":1,"type":"dispenser","id":"1; DROP","code":"X"}', 'null'])(
    'refuses %s with BAD_USER_INPUT',
    (scanned) => {
      expect(() => parseQrPayload(scanned)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    },
  );
});
