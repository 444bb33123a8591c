import { expect } from 'chai';
import { findTarget, loadChain, resolveChain, type HostFinder, type HostRef } from '../../../lib/routing/hosts.js';

const h = (id: number, hopId: number | null): HostRef => ({ id, name: `h${id}`, hopId });

describe('routing: resolveChain', () => {
  const cases: { name: string; hosts: HostRef[]; want: number[] | RegExp }[] = [
    { name: 'a host without hop', hosts: [h(1, null)], want: [1] },
    { name: 'hops of hops, first hop first', hosts: [h(1, 2), h(2, 3), h(3, null)], want: [3, 2, 1] },
    { name: 'a missing hop', hosts: [h(1, 9)], want: /hop of host 'h1' does not exist/ },
    { name: 'a loop', hosts: [h(1, 2), h(2, 1)], want: /loops through 'h1'/ },
    { name: 'a self loop', hosts: [h(1, 1)], want: /loops through 'h1'/ },
    { name: 'a chain too long', hosts: Array.from({ length: 10 }, (_, i) => h(i + 1, i + 2 <= 10 ? i + 2 : null)), want: /longer than 8/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const byId = (id: number): HostRef | undefined => c.hosts.find((x) => x.id === id);
      const run = (): number[] => resolveChain(c.hosts[0], byId).map((x) => x.id);
      if (c.want instanceof RegExp) expect(run).to.throw(c.want);
      else expect(run()).to.deep.equal(c.want);
    });
  }
});

/** A finder over a fixed list that counts its reads. */
function finder(hosts: HostRef[]): HostFinder<HostRef> & { reads: number } {
  const f = {
    reads: 0,
    byName: (name: string) => { f.reads++; return Promise.resolve(hosts.find((x) => x.name === name) ?? null); },
    byId: (id: number) => { f.reads++; return Promise.resolve(hosts.find((x) => x.id === id) ?? null); },
  };
  return f;
}

describe('routing: findTarget and loadChain through a finder', () => {
  const hosts = [h(1, 2), h(2, 3), h(3, null), { id: 7, name: '9', hopId: null }, h(9, null)];
  const targets: { target: string; want: number | RegExp }[] = [
    { target: 'h1', want: 1 },
    { target: '3', want: 3 },
    { target: '9', want: 7 },
    { target: 'nope', want: /no such host 'nope'/ },
    { target: '99', want: /no such host '99'/ },
  ];
  for (const c of targets) {
    it(`target ${c.target}`, async () => {
      const run = findTarget(finder(hosts), c.target).then((x) => x.id);
      if (c.want instanceof RegExp) expect(await run.catch((e: unknown) => (e as Error).message)).to.match(c.want);
      else expect(await run).to.equal(c.want);
    });
  }

  it('loads hops one by one, first hop first', async () => {
    const f = finder(hosts);
    expect((await loadChain(f, hosts[0])).map((x) => x.id)).to.deep.equal([3, 2, 1]);
    expect(f.reads).to.equal(2);
  });

  it('a loop ends the reads and is an error', async () => {
    const f = finder([h(1, 2), h(2, 1)]);
    expect(await loadChain(f, h(1, 2)).catch((e: unknown) => (e as Error).message)).to.match(/loops through 'h1'/);
  });

  it('a chain without end is read no further than the longest accepted', async () => {
    const f: HostFinder<HostRef> & { reads: number } = { reads: 0, byName: () => Promise.resolve(null), byId: (id) => { f.reads++; return Promise.resolve(h(id, id + 1)); } };
    expect(await loadChain(f, h(1, 2)).catch((e: unknown) => (e as Error).message)).to.match(/longer than 8/);
    expect(f.reads).to.be.at.most(9);
  });

  it('a missing hop is an error', async () => {
    expect(await loadChain(finder([h(1, 5)]), h(1, 5)).catch((e: unknown) => (e as Error).message)).to.match(/hop of host 'h1' does not exist/);
  });
});
