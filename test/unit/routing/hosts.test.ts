import { expect } from 'chai';
import { resolveChain, type HostRef } from '../../../lib/routing/hosts.js';

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
      const run = (): number[] => resolveChain(c.hosts[0] as HostRef, byId).map((x) => x.id);
      if (c.want instanceof RegExp) expect(run).to.throw(c.want);
      else expect(run()).to.deep.equal(c.want);
    });
  }
});
