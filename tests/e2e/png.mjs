// Real PNG files for the attachment tests (the server sniffs the content and reads the size):
// 8-bit RGB, one IDAT, built with node:zlib.
import { deflateSync } from 'node:zlib';

const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A width×height PNG whose pixel (x, y) is `color(x, y)` → [r, g, b]. */
export function png(width, height, color) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // no filter
    for (let x = 0; x < width; x++) raw.set(color(x, y), row + 1 + x * 3);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, RGB, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));

/** A 400×300 landscape: evening sky, sun, two mountain ranges and a lake. */
export function landscape(width = 400, height = 300) {
  return png(width, height, (x, y) => {
    const u = x / width;
    const v = y / height;
    const far = 0.42 + 0.08 * Math.sin(u * 7.1 + 1) + 0.04 * Math.sin(u * 19);
    const near = 0.55 + 0.07 * Math.sin(u * 4.3 + 2.5) + 0.03 * Math.sin(u * 23 + 1);
    if (v > 0.72) return mix([64, 110, 160], [30, 60, 100], (v - 0.72) / 0.28); // lake
    if (v > near) return mix([38, 84, 62], [24, 58, 44], (v - near) / 0.2);
    if (v > far) return mix([98, 112, 150], [80, 92, 130], (v - far) / 0.2);
    if (Math.hypot(x - 0.7 * width, y - 0.3 * height) < 0.07 * Math.min(width, height) * 1.4) return [255, 236, 170]; // sun
    return mix([120, 170, 230], [250, 190, 140], v / 0.55); // sky
  });
}
