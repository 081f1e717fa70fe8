// Summarises a V8 .cpuprofile: self time per function and inclusive time per function, top N.
//   node scripts/cpuprofile-top.mjs .tmp/prof/api1.cpuprofile [N] [filter]
// Used to find where the API processes spend CPU under `pnpm bench` (BENCH_PROFILE_DIR).
import { readFileSync } from 'node:fs';

const [file, topArg, filter] = process.argv.slice(2);
const top = Number(topArg ?? 40);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const dt = new Map();
for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const label = (n) => {
  const f = n.callFrame;
  const url = f.url.replace(/^.*node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^file:\/\/.*\/server\/dist\//, 'dist/');
  return `${f.functionName || '(anon)'} ${url}:${f.lineNumber + 1}`;
};
const self = new Map();
const incl = new Map();
for (const [id, t] of dt) {
  const n = byId.get(id);
  const l = label(n);
  self.set(l, (self.get(l) ?? 0) + t);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const cl = label(byId.get(cur));
    if (seen.has(cl)) continue;
    seen.add(cl);
    incl.set(cl, (incl.get(cl) ?? 0) + t);
  }
}
const show = (title, m) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms)`);
  [...m.entries()]
    .filter(([l]) => !filter || l.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([l, t]) => console.log(`${((100 * t) / total).toFixed(1).padStart(5)}%  ${l}`));
};
show('self', self);
show('inclusive', incl);
