import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { useTestSystem } from '@asky/testing';
import { askingAs } from './helpers/asking';

const UTI = '44444444-4444-4444-8444-000000000001';
const ctx = useTestSystem();

const decode = (png: Buffer) => {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
};
const label = (path: string, auth = true) =>
  fetch(new URL(path, ctx.system.subgraphUrls.pyxis), {
    headers: auth ? { authorization: `Bearer ${ctx.tokens.nurse}` } : {},
  });

describe('dispenser QR codes', () => {
  it('come as a PNG data URL of the requested size, or as SVG text', async () => {
    const { data, errors } = await ctx.system.graphql(
      `query ($id: ID!) { dispenser(id: $id) { png: qrCode(size: 128) svg: qrCode(format: SVG) } }`,
      { id: UTI },
      { token: ctx.tokens.nurse },
    );
    expect(errors).toBeUndefined();
    const png = PNG.sync.read(Buffer.from(data.dispenser.png.split(',')[1], 'base64'));
    expect(png.width).toBe(128);
    expect(data.dispenser.svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });

  it('refuses sizes outside 64 to 1024 pixels', async () => {
    const body = await ctx.system.graphql(
      `query ($id: ID!) { dispenser(id: $id) { qrCode(size: 5000) } }`,
      { id: UTI },
      { token: ctx.tokens.nurse },
    );
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('resolve a scanned label back to its dispenser, and refuse forged ones', async () => {
    const res = await label(`/dispensers/${UTI}/qr.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const scanned = decode(Buffer.from(await res.arrayBuffer()))!;
    const found = await ctx.system.graphql(
      `query ($p: String!) { dispenserByQr(payload: $p) { id code location } }`,
      { p: scanned },
      { token: ctx.tokens.nurse },
    );
    expect(found.data.dispenserByQr).toEqual({
      id: UTI,
      code: 'UTI-2-A',
      location: 'UTI Adulto · 2º andar · Sala 201',
    });

    const forged = JSON.stringify({ ...JSON.parse(scanned), code: 'CC-3-A' });
    for (const payload of [forged, 'https://evil.example/x', '{"v":1}']) {
      const body = await ctx.system.graphql(
        `query ($p: String!) { dispenserByQr(payload: $p) { id } }`,
        { p: payload },
        { token: ctx.tokens.nurse },
      );
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('serve printable labels as SVG too, to logged-in people only', async () => {
    const svg = await label(`/dispensers/${UTI}/qr.svg?size=512`);
    expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await svg.text()).toContain('<svg');
    expect((await label(`/dispensers/${UTI}/qr.png`, false)).status).toBe(401);
    expect((await label(`/dispensers/00000000-0000-4000-8000-000000000000/qr.png`)).status).toBe(404);
    expect((await label(`/dispensers/${UTI}/qr.gif`)).status).toBe(404);
    expect((await label(`/dispensers/${UTI}/qr.png?size=9`)).status).toBe(400);
  });

  it("bound one person's new renderings a minute across label URLs (HTTP 429, Retry-After), not a colleague's", async () => {
    const as = (token: string, size: number) =>
      fetch(new URL(`/dispensers/${UTI}/qr.png?size=${size}`, ctx.system.subgraphUrls.pyxis), {
        headers: { authorization: `Bearer ${token}` },
      });
    // 120 units a minute: 24 full-size labels (sizes no other test asks for, so none is cached).
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let size = 1001; size <= 1024 && !refused; size++) {
      const res = await as(ctx.tokens.admin, size);
      statuses.push(res.status);
      if (res.status === 429) refused = res;
      else await res.arrayBuffer();
    }
    for (let size = 990; size <= 1000 && !refused; size++) {
      const res = await as(ctx.tokens.admin, size);
      statuses.push(res.status);
      if (res.status === 429) refused = res;
      else await res.arrayBuffer();
    }
    expect(refused).toBeDefined();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(20);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused!.json()) as { error: string }).error).toMatch(/QR codes/);
    const cached = await as(ctx.tokens.admin, 1001);
    expect([cached.status, (await cached.arrayBuffer()).byteLength > 0]).toEqual([200, true]); // cached: free
    const colleague = await as(ctx.tokens.pharmacist, 989);
    expect([colleague.status, (await colleague.arrayBuffer()).byteLength > 0]).toEqual([200, true]);
  }, 120_000);
});

describe('printable labels through the gateway', () => {
  const atGateway = (path: string, token?: string) =>
    fetch(new URL(path, ctx.system.gatewayUrl), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const { ok } = askingAs(ctx);

  it('carry the code with its human-readable code, name and room under it, and the code scans', async () => {
    const png = await atGateway(`/dispensers/${UTI}/qr.png`, ctx.tokens.nurse);
    expect(png.status).toBe(200);
    expect(decode(Buffer.from(await png.arrayBuffer()))).toContain('UTI-2-A');
    const label = await atGateway(`/dispensers/${UTI}/label.svg?size=400`, ctx.tokens.nurse);
    expect(label.status).toBe(200);
    expect(label.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(label.headers.get('content-security-policy')).toContain("default-src 'none'");
    const svg = await label.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="400"/);
    for (const text of ['>UTI-2-A</text>', '>UTI Adulto A</text>', '>UTI Adulto · 2º andar · Sala 201</text>'])
      expect(svg).toContain(text);
    const unauthenticated = await atGateway(`/dispensers/${UTI}/label.svg`);
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.headers.get('www-authenticate')).toBe('Bearer');
  });

  it("escape what staff typed, and answer a retired cabinet's label as gone", async () => {
    const { createDispenser } = await ok(
      ctx.tokens.technician,
      'mutation ($input: DispenserInput!) { createDispenser(input: $input) { id } }',
      {
        input: {
          code: `LBL-${Math.floor(Math.random() * 1e6)}`,
          name: '<script>alert(1)</script> & "B"',
          unit: 'Ala Rótulo',
          floor: '3',
          room: 'Sala <b>7</b>',
        },
      },
    );
    const svg = await (await atGateway(`/dispensers/${createDispenser.id}/label.svg`, ctx.tokens.nurse)).text();
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;B&quot;');
    expect(svg).toContain('Sala &lt;b&gt;7&lt;/b&gt;');
    await ok(ctx.tokens.technician, 'mutation ($id: ID!) { retireDispenser(id: $id) { retired } }', {
      id: createDispenser.id,
    });
    const gone = await atGateway(`/dispensers/${createDispenser.id}/label.svg`, ctx.tokens.nurse);
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: string }).error).toMatch(/retired on \d{4}-\d{2}-\d{2}/);
    expect((await atGateway(`/dispensers/${createDispenser.id}/qr.png`, ctx.tokens.nurse)).status).toBe(410);
  });
});
