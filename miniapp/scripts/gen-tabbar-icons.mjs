// Writes the tabBar icons (81×81 PNG) into src/assets/tabbar. Plain Node, no dependencies:
// shapes are drawn as signed-distance tests with 4×4 supersampling, then PNG-encoded with zlib.
// Run: node scripts/gen-tabbar-icons.mjs
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SIZE = 81;
const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'assets', 'tabbar');
const COLORS = { normal: [138, 138, 138], active: [255, 90, 31] };

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((SIZE * 4 + 1) * SIZE);
  for (let y = 0; y < SIZE; y++) {
    raw[y * (SIZE * 4 + 1)] = 0;
    rgba.copy(raw, y * (SIZE * 4 + 1) + 1, y * SIZE * 4, (y + 1) * SIZE * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// Shape helpers: each returns true when (x, y) in 0..81 space is inside.
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const tri = (ax, ay, bx, by, cx, cy) => (x, y) => {
  const s = (px, py, qx, qy) => (x - qx) * (py - qy) - (px - qx) * (y - qy);
  const d1 = s(ax, ay, bx, by), d2 = s(bx, by, cx, cy), d3 = s(cx, cy, ax, ay);
  return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
};
const union = (...fs) => (x, y) => fs.some((f) => f(x, y));
const minus = (a, b) => (x, y) => a(x, y) && !b(x, y);

const shapes = {
  // house: roof + body with a door cut out
  home: minus(union(tri(40.5, 10, 8, 38, 73, 38), rect(17, 36, 64, 70)), rect(34, 48, 47, 70)),
  // clipboard with three lines
  orders: minus(
    union(rect(16, 14, 65, 72), rect(30, 8, 51, 18)),
    union(rect(22, 22, 59, 66), rect(34, 12, 47, 15)),
  ),
  // person: head + shoulders
  me: union(circle(40.5, 28, 14), minus(circle(40.5, 78, 30), rect(0, 73, 81, 81))),
};
// list lines for the clipboard
const lines = union(rect(28, 32, 53, 37), rect(28, 44, 53, 49), rect(28, 56, 45, 61));
shapes.orders = union(shapes.orders, lines);

mkdirSync(OUT, { recursive: true });
const SS = 4;
for (const [name, shape] of Object.entries(shapes)) {
  for (const [variant, [r, g, b]] of Object.entries(COLORS)) {
    const rgba = Buffer.alloc(SIZE * SIZE * 4);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        let hits = 0;
        for (let sy = 0; sy < SS; sy++)
          for (let sx = 0; sx < SS; sx++) if (shape(x + (sx + 0.5) / SS, y + (sy + 0.5) / SS)) hits++;
        const i = (y * SIZE + x) * 4;
        rgba[i] = r;
        rgba[i + 1] = g;
        rgba[i + 2] = b;
        rgba[i + 3] = Math.round((255 * hits) / (SS * SS));
      }
    }
    const file = join(OUT, `${name}${variant === 'active' ? '-active' : ''}.png`);
    writeFileSync(file, png(rgba));
  }
}
process.stdout.write(`tabBar icons written to ${OUT}\n`);
