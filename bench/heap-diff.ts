/**
 * Compares two V8 heap snapshots by constructor (`npx tsx bench/heap-diff.ts
 * before.heapsnapshot after.heapsnapshot [n]`): count and self size added per
 * constructor, divided by `n` (sessions opened between the two), largest
 * first. A quick reading of bench/session-memory.ts's BENCH_SNAPSHOTS without DevTools.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** For each node (by ordinal), the name and edge of one object retaining it (the last one listed; weak edges skipped). */
function owners(s: Snapshot): { owner: Int32Array; edgeName: Int32Array } {
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const etypes = s.snapshot.meta.edge_types[0];
  const iEdges = nf.indexOf('edge_count');
  const [eType, eName, eTo] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f));
  const count = s.nodes.length / nf.length;
  const owner = new Int32Array(count).fill(-1);
  const edgeName = new Int32Array(count).fill(-1);
  let e = 0;
  for (let n = 0; n < count; n++) {
    const edges = s.nodes[n * nf.length + iEdges];
    for (let k = 0; k < edges; k++, e += ef.length) {
      const t = etypes[s.edges[e + eType]];
      if (t === 'weak' || t === 'shortcut') continue;
      const to = s.edges[e + eTo] / nf.length;
      owner[to] = n;
      edgeName[to] = t === 'element' || t === 'hidden' ? -1 : s.edges[e + eName];
    }
  }
  return { owner, edgeName };
}

/** Self size and count per `type:name` of one snapshot. */
function byConstructor(path: string): Map<string, { count: number; size: number }> {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const [iType, iName, iSize] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map<string, { count: number; size: number }>();
  const byOwner = process.env.BY_OWNER ? owners(s) : undefined;
  const nameOf = (n: number): string => s.strings[s.nodes[n * fields.length + iName]] ?? '?';
  for (let i = 0; i < s.nodes.length; i += fields.length) {
    const type = types[s.nodes[i + iType]] ?? '?';
    // Strings and code are grouped by type: their names are their contents.
    const name = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden' || type === 'object shape' || type === 'array'
      ? s.strings[s.nodes[i + iName]] ?? '?' : '';
    let key = `${type}:${name.slice(0, 60)}`;
    if (byOwner) {
      const o = byOwner.owner[i / fields.length];
      const en = byOwner.edgeName[i / fields.length];
      if (o >= 0) key += ` <- ${types[s.nodes[o * fields.length + iType]] ?? '?'}:${nameOf(o).slice(0, 40)}${en >= 0 ? '.' + (s.strings[en] ?? '?').slice(0, 30) : ''}`;
    }
    const e = out.get(key) ?? { count: 0, size: 0 };
    e.count++;
    e.size += s.nodes[i + iSize];
    out.set(key, e);
  }
  return out;
}

const [before, after, nArg] = process.argv.slice(2) as (string | undefined)[];
if (!before || !after) throw new Error('usage: heap-diff.ts before.heapsnapshot after.heapsnapshot [sessions]');
const n = Number(nArg ?? 1);
const a = byConstructor(before);
const b = byConstructor(after);
const rows = [...b].map(([k, v]) => {
  const o = a.get(k) ?? { count: 0, size: 0 };
  return { k, count: (v.count - o.count) / n, size: (v.size - o.size) / n };
}).sort((x, y) => y.size - x.size);
const total = rows.reduce((t, r) => t + r.size, 0);
console.log(`total self size added per unit: ${(total / 1024).toFixed(1)} KiB`);
for (const r of rows.slice(0, Number(process.env.TOP ?? 60))) console.log(`${(r.size).toFixed(0).padStart(8)} B ${r.count.toFixed(1).padStart(7)} × ${r.k}`);
