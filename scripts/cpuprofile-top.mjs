// Summarises a V8 .cpuprofile: self time per function and inclusive time per function, top N.
//   node scripts/cpuprofile-top.mjs .tmp/prof/api1.cpuprofile [N] [filter]
// Used to find where the API processes spend CPU under `pnpm bench` (BENCH_PROFILE_DIR).
// PROF_FROM / PROF_TO (seconds since the profile started) keep only that window, e.g. the measured
// run without the set-up; PROF_BUCKETS=5 prints the busy share per 5 s first, to find the window.
import { readFileSync } from 'node:fs';

const [file, topArg, filter] = process.argv.slice(2);
const top = Number(topArg ?? 40);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const from = Number(process.env.PROF_FROM ?? 0) * 1e6;
const to = Number(process.env.PROF_TO ?? Infinity) * 1e6;
const bucketSec = Number(process.env.PROF_BUCKETS ?? 0);
const busy = new Map();
const dt = new Map();
let at = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const d = prof.timeDeltas[i] ?? 0;
  at += d;
  if (bucketSec > 0 && byId.get(prof.samples[i]).callFrame.functionName !== '(idle)') {
    const b = Math.floor(at / 1e6 / bucketSec);
    busy.set(b, (busy.get(b) ?? 0) + d);
  }
  if (at < from || at > to) continue;
  dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + d);
}
if (bucketSec > 0) for (const [b, t] of [...busy.entries()].sort((x, y) => x[0] - y[0])) console.log(`${String(b * bucketSec).padStart(5)} s  busy ${((100 * t) / (bucketSec * 1e6)).toFixed(0)} %`);
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
