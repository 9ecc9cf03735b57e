// Prints the size of the built app (dist/), raw and gzip: what the first page load
// fetches (index.html's scripts and styles) and everything including lazy pages.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const size = (file) => {
  const bytes = readFileSync(join(dist, file));
  return [bytes.length, gzipSync(bytes, { level: 9 }).length];
};
const sum = (files) => files.map(size).reduce(([a, b], [c, d]) => [a + c, b + d], [0, 0]);
const kb = ([raw, gz]) => `${(raw / 1024).toFixed(0)} KiB raw, ${(gz / 1024).toFixed(0)} KiB gzip`;

const html = readFileSync(join(dist, 'index.html'), 'utf8');
const initial = [...html.matchAll(/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const all = readdirSync(join(dist, 'assets')).map((f) => `assets/${f}`);
console.log(`first load (${initial.length} files): ${kb(sum(initial))}`);
console.log(`  scripts: ${kb(sum(initial.filter((f) => f.endsWith('.js'))))}`);
console.log(`  styles:  ${kb(sum(initial.filter((f) => f.endsWith('.css'))))}`);
console.log(`everything (${all.length} files): ${kb(sum(all))}`);
