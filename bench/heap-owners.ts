/**
 * Who holds what a session adds to the heap (issue 13), from two snapshots of
 * one process (bench/session-memory.ts's BENCH_SNAPSHOTS):
 *
 *   npx tsx bench/heap-owners.ts before.heapsnapshot after.heapsnapshot [sessions]
 *
 * The objects new in `after` (ids absent from `before`) are charged, by self
 * size, to their nearest dominator that is a class instance or a named
 * closure (the object that alone keeps them alive), divided by `sessions`.
 * Where bench/heap-diff.ts says what kinds of objects grew, this says whose.
 *
 * Env: TOP (rows, default 50); BREAK=<type:Name> splits one owner's share by
 * its dominated children, DEPTH levels deep (default 1); PATHOF=<type:name
 * substring> prints one retainer path of SHOW (default 3) new objects
 * matching; NAMED=1 counts the new closures that carry their own properties
 * (tsx's keepNames name records) by what holds them; GROUP=<Name,...> charges
 * only to instances of these classes.
 */
import { readFileSync } from 'node:fs';
interface Snap { snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } }; nodes: number[]; edges: number[]; strings: string[] }
const load = (p: string): Snap => JSON.parse(readFileSync(p, 'utf8')) as Snap;
const [bp, ap, nArg] = process.argv.slice(2) as (string | undefined)[];
if (!bp || !ap) throw new Error('usage: heap-owners.ts before.heapsnapshot after.heapsnapshot [sessions]');
const before = load(bp);
const s = load(ap);
const nf = s.snapshot.meta.node_fields, ef = s.snapshot.meta.edge_fields;
const NF = nf.length, EF = ef.length;
const iType = nf.indexOf('type'), iName = nf.indexOf('name'), iId = nf.indexOf('id'), iSize = nf.indexOf('self_size'), iEc = nf.indexOf('edge_count');
const eType = ef.indexOf('type'), eName = ef.indexOf('name_or_index'), eTo = ef.indexOf('to_node');
const ntypes = s.snapshot.meta.node_types[0], etypes = s.snapshot.meta.edge_types[0];
const N = s.nodes.length / NF;
const oldIds = new Set<number>();
for (let i = 0; i < before.nodes.length; i += before.snapshot.meta.node_fields.length) oldIds.add(before.nodes[i + before.snapshot.meta.node_fields.indexOf('id')]);
const firstEdge = new Int32Array(N + 1);
for (let n = 0, e = 0; n < N; n++) { firstEdge[n] = e; e += s.nodes[n * NF + iEc] * EF; }
firstEdge[N] = s.edges.length;
const skip = (t: string): boolean => t === 'weak' || t === 'shortcut';
// postorder DFS from root 0
const post = new Int32Array(N).fill(-1); const order: number[] = [];
const stack: number[] = [0]; const it = new Int32Array(N); const visited = new Uint8Array(N); visited[0] = 1; it[0] = firstEdge[0];
while (stack.length) {
  const n = stack[stack.length - 1];
  if (it[n] < firstEdge[n + 1]) {
    const e = it[n]; it[n] = e + EF;
    if (skip(etypes[s.edges[e + eType]])) continue;
    const to = s.edges[e + eTo] / NF;
    if (!visited[to]) { visited[to] = 1; it[to] = firstEdge[to]; stack.push(to); }
  } else { stack.pop(); post[n] = order.length; order.push(n); }
}
// predecessors
const predCount = new Int32Array(N + 1);
for (let n = 0; n < N; n++) for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += EF) { if (skip(etypes[s.edges[e + eType]])) continue; predCount[s.edges[e + eTo] / NF]++; }
const predStart = new Int32Array(N + 1); for (let i = 0; i < N; i++) predStart[i + 1] = predStart[i] + predCount[i];
const preds = new Int32Array(predStart[N]); const fill = predStart.slice();
for (let n = 0; n < N; n++) for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += EF) { if (skip(etypes[s.edges[e + eType]])) continue; const to = s.edges[e + eTo] / NF; preds[fill[to]++] = n; }
const idom = new Int32Array(N).fill(-1); idom[0] = 0;
const intersect = (a: number, b: number): number => { while (a !== b) { while (post[a] < post[b]) a = idom[a]; while (post[b] < post[a]) b = idom[b]; } return a; };
for (let changed = true; changed;) {
  changed = false;
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k]; if (n === 0) continue;
    let nd = -1;
    for (let p = predStart[n]; p < predStart[n + 1]; p++) { const q = preds[p]; if (post[q] === -1 || idom[q] === -1) continue; nd = nd === -1 ? q : intersect(q, nd); }
    if (nd !== -1 && idom[n] !== nd) { idom[n] = nd; changed = true; }
  }
}
const type = (n: number): string => ntypes[s.nodes[n * NF + iType]];
const name = (n: number): string => s.strings[s.nodes[n * NF + iName]];
const generic = new Set(['Object', 'Array', 'Promise', 'system / Context', '', 'Map', 'Set', 'Buffer', 'ArrayBuffer', 'Uint8Array', 'native_bind', 'Timeout', 'Date', 'Function']);
const GROUP = process.env.GROUP ?? '';
const groupNames = new Set(GROUP.split(',').filter(Boolean));
function label(n: number): string | undefined {
  const t = type(n), nm = name(n);
  if (groupNames.size) return (t === 'object' || t === 'closure') && groupNames.has(nm) ? nm : undefined;
  if ((t === 'object' && !generic.has(nm) && !nm.startsWith('system')) || (t === 'closure' && nm !== '' && !generic.has(nm))) return `${t}:${nm}`;
  return undefined;
}
const out = new Map<string, number>();
const n0 = Number(nArg ?? 1);
let total = 0;
for (let n = 0; n < N; n++) {
  if (oldIds.has(s.nodes[n * NF + iId]) || idom[n] === -1) continue;
  const size = s.nodes[n * NF + iSize]; total += size;
  let d = n; let l: string | undefined;
  for (let k = 0; k < 200 && d !== 0; k++) { l = label(d); if (l) break; d = idom[d]; }
  const key = l ?? 'root:' + `${type(n)}:${name(n).slice(0, 30)}`;
  out.set(key, (out.get(key) ?? 0) + size);
}
console.log(`new: ${(total / 1024 / n0).toFixed(1)} KiB per unit`);
for (const [k, v] of [...out].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 50))) console.log(`${(v / n0).toFixed(0).padStart(7)} B  ${k}`);
// PATH=<type:name substring>: print the dominator chain and one retainer path of a few new nodes matching.
if (process.env.PATHOF) {
  const want = process.env.PATHOF;
  const ret = new Int32Array(N).fill(-1), retE = new Int32Array(N).fill(-1);
  for (let n = 0; n < N; n++) for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += EF) { const t = etypes[s.edges[e + eType]]; if (skip(t)) continue; const to = s.edges[e + eTo] / NF; if (ret[to] === -1 || post[n] > post[ret[to]]) { ret[to] = n; retE[to] = e; } }
  let shown = 0;
  for (let n = 0; n < N && shown < Number(process.env.SHOW ?? 3); n++) {
    if (oldIds.has(s.nodes[n * NF + iId])) continue;
    if (!`${type(n)}:${name(n)}`.includes(want)) continue;
    shown++;
    const chain: string[] = [];
    for (let d = n, k = 0; d !== 0 && k < 25; k++) {
      const e = retE[d]; const et = e >= 0 ? etypes[s.edges[e + eType]] : '?';
      const en = e >= 0 ? (et === 'element' || et === 'hidden' ? String(s.edges[e + eName]) : s.strings[s.edges[e + eName]]) : '?';
      chain.push(`${type(d)}:${name(d).slice(0, 40)} <-[${en}]`); d = ret[d]; if (d < 0) break;
    }
    console.log(chain.join('\n   '));
    console.log('--');
  }
}
// BREAK=<label>: for new nodes charged to that label, group by the dominator child of the labeled node (edge name from it).
if (process.env.BREAK) {
  const want = process.env.BREAK;
  const edgeTo = (from: number, to: number): string => { for (let e = firstEdge[from]; e < firstEdge[from + 1]; e += EF) if (s.edges[e + eTo] / NF === to) { const et = etypes[s.edges[e + eType]]; return et === 'element' || et === 'hidden' ? `[${s.edges[e + eName]}]` : s.strings[s.edges[e + eName]]; } return '?'; };
  const g = new Map<string, number>(); let cnt = 0;
  const seen = new Set<number>();
  for (let n = 0; n < N; n++) {
    if (oldIds.has(s.nodes[n * NF + iId]) || idom[n] === -1) continue;
    let d = n, l: string | undefined; const walked: number[] = [];
    for (let k = 0; k < 200 && d !== 0; k++) { l = label(d); if (l) break; walked.push(d); d = idom[d]; }
    if (l !== want) continue;
    if (!seen.has(d)) { seen.add(d); cnt++; }
    const depth = Number(process.env.DEPTH ?? 1); let key = walked.length === 0 ? '(self)' : ''; let from = d;
    for (let k = 0; k < depth; k++) { const c = walked.pop(); if (c === undefined) break; key += ` ${edgeTo(from, c)} -> ${type(c)}:${name(c).slice(0, 30)}`; from = c; }
    g.set(key, (g.get(key) ?? 0) + s.nodes[n * NF + iSize]);
  }
  console.log(`${want}: ${cnt} instances`);
  for (const [k, v] of [...g].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(v / n0).toFixed(0).padStart(7)} B  ${k}`);
}
if (process.env.NAMED) {
  const g = new Map<string, number>(); const want = new Set<number>(); const ctxOwner = new Map<number, string>();
  for (let m = 0; m < N; m++) if (type(m) === 'closure') for (let e = firstEdge[m]; e < firstEdge[m + 1]; e += EF) if (s.strings[s.edges[e + eName]] === 'context') ctxOwner.set(s.edges[e + eTo] / NF, name(m) || '(anon)');
  for (let n = 0; n < N; n++) {
    if (oldIds.has(s.nodes[n * NF + iId]) || type(n) !== 'closure') continue;
    let has = false;
    for (let e = firstEdge[n]; e < firstEdge[n + 1]; e += EF) { const en = s.strings[s.edges[e + eName]]; const to = s.edges[e + eTo] / NF; if (etypes[s.edges[e + eType]] === 'internal' && en === 'properties' && type(to) === 'array') has = true; }
    if (!has) continue;
    want.add(n);
  }
  for (let m = 0; m < N; m++) for (let e = firstEdge[m]; e < firstEdge[m + 1]; e += EF) {
    const n = s.edges[e + eTo] / NF; if (!want.has(n) || skip(etypes[s.edges[e + eType]])) continue;
    const et = etypes[s.edges[e + eType]]; let r = `${type(m)}:${name(m).slice(0, 30)}.${et === 'element' || et === 'hidden' ? '[]' : s.strings[s.edges[e + eName]]}`;
    if (name(m) === 'system / Context') r += ` (ctx of ${ctxOwner.get(m) ?? '?'})`;
    g.set(r, (g.get(r) ?? 0) + 1);
  }
  console.log([...g].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${(v / n0).toFixed(2)} ${k}`).join('\n'));
}
