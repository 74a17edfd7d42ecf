/**
 * Remakes docs/console.png, the README's picture of the console: a demo gateway of its own (a fresh
 * CASCADE_HOME, the embedded demo), the console's History view in headless Chromium at 1280x800 in the
 * light theme with no internet (only the gateway on loopback is reachable), the newest commit of `main`
 * selected. The PNG is then reduced to a 256-colour palette (the most used colours; every other pixel
 * takes the nearest of them), which keeps it well under 250 KB.
 *
 *   npx tsx scripts/console-screenshot.ts [out.png]
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { launchChromium, offlineContext } from '../test/support/console-browser.js';
import { startGateway } from '../test/support/gateway.js';

const OUT = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '../docs/console.png'));

async function main(): Promise<void> {
  process.stderr.write('starting a demo gateway (the demo runs take about a minute on a fresh home)…\n');
  const [gateway, browser] = await Promise.all([startGateway({ CASCADE_DEMO: '1' }), launchChromium()]);
  try {
    const { context, outside } = await offlineContext(browser, { width: 1280, height: 800 });
    const page = await context.newPage();
    await page.addInitScript(() => localStorage.setItem('cascade.theme', 'light'));
    const { defaultBranch } = await gateway.data<{ defaultBranch: { hash: string } }>('{ defaultBranch { hash } }');
    await page.goto(`${gateway.url}/console#/history/${defaultBranch.hash}`, { waitUntil: 'load' });
    await page.locator('main .view-history').waitFor();
    await page.getByText(defaultBranch.hash.slice(0, 12)).first().waitFor({ timeout: 30_000 });
    await page.waitForLoadState('networkidle');
    await page.mouse.move(0, 799); // no hover highlight in the picture
    const png = await page.screenshot({ fullPage: false });
    if (outside.length) throw new Error(`the console asked for something outside the gateway: ${outside.join(', ')}`);
    const small = toPalettePng(png);
    await fs.mkdir(path.dirname(OUT), { recursive: true });
    await fs.writeFile(OUT, small);
    process.stderr.write(`${path.relative(process.cwd(), OUT)}: ${(small.length / 1024).toFixed(0)} KB (the browser's PNG: ${(png.length / 1024).toFixed(0)} KB)\n`);
  } finally {
    await browser.close();
    await gateway.stop();
  }
}

/** Chromium's screenshot (8-bit RGB or RGBA, not interlaced) as an 8-bit palette PNG of at most 256 colours. */
export function toPalettePng(png: Buffer): Buffer {
  const chunks: { type: string; data: Buffer }[] = [];
  for (let i = 8; i < png.length; ) {
    const n = png.readUInt32BE(i);
    chunks.push({ type: png.toString('latin1', i + 4, i + 8), data: png.subarray(i + 8, i + 8 + n) });
    i += 12 + n;
  }
  const ihdr = chunks.find((c) => c.type === 'IHDR')!.data;
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const [depth, colorType, , , interlace] = [ihdr[8], ihdr[9], ihdr[10], ihdr[11], ihdr[12]];
  if (depth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) throw new Error(`unexpected PNG: depth ${depth}, colour type ${colorType}, interlace ${interlace}`);
  const bpp = colorType === 6 ? 4 : 3;
  const raw = zlib.inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const stride = width * bpp;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[x - bpp]! : 0;
      const b = prev[x]!;
      const c = x >= bpp ? prev[x - bpp]! : 0;
      let v = line[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      out[x] = v & 255;
    }
  }
  // The 256 most used colours (a screenshot of a UI is mostly a few flat colours; the rest is anti-aliasing).
  const rgb = (i: number) => (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
  const counts = new Map<number, number>();
  for (let i = 0; i < pixels.length; i += bpp) counts.set(rgb(i), (counts.get(rgb(i)) ?? 0) + 1);
  const palette = [...counts.entries()].sort((x, y) => y[1] - x[1]).slice(0, 256).map(([c]) => c);
  const index = new Map<number, number>(palette.map((c, i) => [c, i]));
  const nearest = (c: number): number => {
    let best = 0;
    let bestDistance = Infinity;
    for (let i = 0; i < palette.length; i++) {
      const p = palette[i]!;
      const dr = ((p >> 16) & 255) - ((c >> 16) & 255);
      const dg = ((p >> 8) & 255) - ((c >> 8) & 255);
      const db = (p & 255) - (c & 255);
      const d = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
      if (d < bestDistance) [best, bestDistance] = [i, d];
    }
    index.set(c, best);
    return best;
  };
  const indexed = Buffer.alloc((width + 1) * height); // filter type 0 (none) per row: best for palette images
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = rgb(y * stride + x * bpp);
      indexed[y * (width + 1) + 1 + x] = index.get(c) ?? nearest(c);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  header[9] = 3; // palette
  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((c, i) => plte.writeUIntBE(c, i * 3, 3));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('PLTE', plte),
    chunk('IDAT', zlib.deflateSync(indexed, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** PNG's CRC-32 (zlib.crc32 is Node 20.15 and later; the gateway runs on 20.12). */
function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
