/**
 * A dispenser's printable label: its QR code with the human-readable code, name
 * and location under it, as one SVG a browser prints at any size. Every text is
 * escaped: a dispenser's name is typed by staff and must never become markup.
 */
import type { Dispenser } from './generated/prisma/client';
import { describeLocation } from './data/dispensers';

const escapeXml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' } as const)[c as '<']};`,
  );

/** The label around `qrSvg` (the code at `size` pixels). */
export function labelSvg(dispenser: Dispenser, qrSvg: string, size: number): string {
  const width = size;
  const lines = [
    { text: dispenser.code, px: Math.round(size / 9), weight: 'bold' },
    { text: dispenser.name, px: Math.round(size / 16), weight: 'normal' },
    { text: describeLocation(dispenser), px: Math.round(size / 18), weight: 'normal' },
  ];
  let y = size;
  const texts = lines.map((line) => {
    y += Math.round(line.px * 1.4);
    return `<text x="${width / 2}" y="${y}" text-anchor="middle" font-family="sans-serif" font-size="${line.px}" font-weight="${line.weight}">${escapeXml(line.text)}</text>`;
  });
  const height = y + Math.round(size / 16);
  // The code's own root element, placed at the top at `size` pixels.
  const code = qrSvg.replace(
    /^<svg\b([^>]*)>/,
    (_, attributes: string) =>
      `<svg${attributes.replace(/\s(width|height|x|y)="[^"]*"/g, '')} x="0" y="0" width="${size}" height="${size}">`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="#fff"/>${code}${texts.join('')}</svg>`;
}
