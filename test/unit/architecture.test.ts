/**
 * The dependency rules of DESIGN.md that issue #9 made true, checked on the
 * import statements of lib/ (type-only imports included: a cycle of types is
 * still a cycle a reader has to untangle).
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../lib');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Module specifiers a file imports or re-exports, resolved to lib-relative paths for local ones. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((m) => m[1] ?? '');
  return specs.map((s) => (s.startsWith('.') ? relative(root, resolve(dirname(file), s)).replace(/\.js$/, '.ts') : s));
}

const graph = new Map(sources(root).map((f) => [relative(root, f), importsOf(f)]));

function filesUnder(folder: string): [string, string[]][] {
  return [...graph].filter(([f]) => f.startsWith(`${folder}/`));
}

/** Every import cycle's members, found by a depth-first walk (Tarjan's strongly connected components). */
function cycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v) ?? 0);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, index.get(w) ?? 0));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      scc.push(w);
      if (w === v) break;
    }
    if (scc.length > 1) out.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('architecture: import rules of lib/', () => {
  it('reads the sources', () => expect(graph.size).to.be.greaterThan(100));

  it('the admin shell names no typeorm type (it passes lib/db\'s Tx on)', () => {
    const offenders = filesUnder('shell').filter(([, deps]) => deps.some((d) => d === 'typeorm' || d.startsWith('typeorm/')));
    expect(offenders.map(([f]) => f)).to.deep.equal([]);
  });

  it('the shell\'s inspect view is not a backup module', () => {
    // `config backup`/`config restore` use the backup's entry points (and the restore's checks type), nothing else.
    const entry = new Set(['db/backup/export.ts', 'db/backup/restore.ts', 'db/backup/plan.ts']);
    const offenders = filesUnder('shell').filter(([, deps]) => deps.some((d) => d.startsWith('db/backup/') && !entry.has(d)));
    expect(offenders.map(([f]) => f)).to.deep.equal([]);
  });

  it('lib/db imports neither routing nor acl (the bastion\'s reads are per-aggregate queries)', () => {
    const offenders = filesUnder('db').flatMap(([f, deps]) => deps.filter((d) => d.startsWith('routing/') || d.startsWith('acl/')).map((d) => `${f} → ${d}`));
    expect(offenders).to.deep.equal([]);
  });

  it('no module of lib/shell imports lib/shell/index.ts (the shell\'s entry point)', () => {
    const offenders = filesUnder('shell').filter(([f, deps]) => f !== 'shell/index.ts' && deps.includes('shell/index.ts'));
    expect(offenders.map(([f]) => f)).to.deep.equal([]);
  });

  it('ssh2\'s server-side channel and request events are translated in lib/ssh only (one boundary, exhaustive switches)', () => {
    // ('x11' is left out: ssh2's client emits it too, for X11 channels the target opens, which lib/proxy relays.)
    const events = /\.on(?:ce)?\('(?:session|tcpip|openssh\.streamlocal|request|pty|env|auth-agent|window-change|signal|shell|exec|subsystem|sftp)'/;
    const offenders = [...graph.keys()].filter((f) => !f.startsWith('ssh/') && events.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).to.deep.equal([]);
  });

  it('unit tests mirror lib/: each folder and top-level test names a folder or module of lib/', () => {
    const unit = resolve(import.meta.dirname);
    const strays = readdirSync(unit, { withFileTypes: true }).flatMap((e) => {
      if (e.isDirectory()) return graph.has(`${e.name}.ts`) || [...graph.keys()].some((f) => f.startsWith(`${e.name}/`)) ? [] : [e.name];
      const module = e.name.replace(/\.test\.ts$/, '.ts');
      return e.name === 'architecture.test.ts' || graph.has(module) ? [] : [e.name];
    });
    expect(strays).to.deep.equal([]);
  });

  it('lib/ has no import cycle (but between entities, whose relations name each other)', () => {
    const found = cycles().filter((c) => !c.every((f) => f.startsWith('db/entities/')));
    expect(found).to.deep.equal([]);
  });
});
