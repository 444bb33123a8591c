import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { PeerLinkError, UpstreamError, userMessage } from '../../../lib/errors.js';
import { silentLogger } from '../../../lib/log.js';
import { maxConnectorsPerHost, Tunnels, type ConnectorInput, type LocalConnector, type TunnelPeers } from '../../../lib/tunnel/index.js';

/** Nodes whose peers are each other, asked with a delay (a link round trip). */
function cluster(names: string[], delayMs = 5, unreachable = new Set<string>()): Map<string, Tunnels> {
  const nodes = new Map<string, Tunnels>();
  const ask = async <T>(node: string, fn: (t: Tunnels) => T): Promise<T> => {
    await new Promise((r) => setTimeout(r, delayMs));
    const t = nodes.get(node);
    if (!t || unreachable.has(node)) throw new Error(`node ${node} is not alive`);
    return fn(t);
  };
  for (const self of names) {
    const peers: TunnelPeers = {
      others: () => Promise.resolve(names.filter((n) => n !== self)),
      list: (node, ids) => ask(node, (t) => t.localViews(ids)),
      open: () => Promise.reject(new Error('not used')),
      drop: (node, id, fps) => ask(node, (t) => t.dropLocal(id, fps)),
      count: (node, id) => ask(node, (t) => t.localCount(id)),
    };
    nodes.set(self, new Tunnels({ self, log: silentLogger, now: () => new Date(), peers }));
  }
  return nodes;
}

const input = (hostId = 1): ConnectorInput => ({
  hostId, hostName: `pi${hostId}`, fingerprint: 'SHA256:x', remote: '192.0.2.1:1', since: new Date(), bindAddr: 'localhost', bindPort: 22,
  handle: { open: () => Promise.resolve(new PassThrough()) },
});

const node = (nodes: Map<string, Tunnels>, name: string): Tunnels => {
  const t = nodes.get(name);
  if (!t) throw new Error(name);
  return t;
};

describe('tunnel: Tunnels.register caps connectors per host across the cluster', () => {
  it(`a single node takes ${maxConnectorsPerHost}, refuses the next`, async () => {
    const t = new Tunnels({ self: 'solo', log: silentLogger, now: () => new Date() });
    const got = await Promise.all(Array.from({ length: maxConnectorsPerHost + 1 }, () => t.register(input())));
    expect(got.filter((c) => typeof c !== 'string')).to.have.length(maxConnectorsPerHost);
    expect(got[maxConnectorsPerHost]).to.equal(`tunnel host 'pi1' already has ${maxConnectorsPerHost} connectors online`);
  });

  it('counts the connectors of the other nodes; other hosts do not count', async () => {
    const nodes = cluster(['a', 'b']);
    for (let i = 0; i < 2; i++) {
      expect(await node(nodes, 'a').register(input())).to.not.be.a('string');
      expect(await node(nodes, 'b').register(input())).to.not.be.a('string');
    }
    expect(await node(nodes, 'a').register(input())).to.be.a('string');
    expect(await node(nodes, 'b').register(input())).to.be.a('string');
    expect(await node(nodes, 'b').register(input(2))).to.not.be.a('string');
    expect(await node(nodes, 'a').countAll(1)).to.equal(maxConnectorsPerHost);
  });

  for (const split of [[3, 0], [2, 1], [0, 3]]) {
    it(`never passes the cap when registrations race on several nodes (${split.join('+')} live)`, async () => {
      const nodes = cluster(['a', 'b', 'c']);
      const [onA = 0, onB = 0] = split;
      for (let i = 0; i < onA; i++) await node(nodes, 'a').register(input());
      for (let i = 0; i < onB; i++) await node(nodes, 'b').register(input());
      const raced = await Promise.all(['a', 'b', 'c', 'a', 'b', 'c'].map((n) => node(nodes, n).register(input())));
      const total = await node(nodes, 'c').countAll(1);
      expect(total).to.be.at.most(maxConnectorsPerHost);
      expect(total).to.equal(onA + onB + raced.filter((c) => typeof c !== 'string').length);
      // A pending connector never serves: every live one is listed.
      expect((await node(nodes, 'c').listAll([1])).connectors).to.have.length(total);
    });
  }

  it('a node that cannot be asked counts none (its connectors serve nobody else meanwhile)', async () => {
    const down = new Set<string>();
    const nodes = cluster(['a', 'b'], 1, down);
    for (let i = 0; i < 3; i++) await node(nodes, 'b').register(input());
    down.add('b');
    const got: (LocalConnector | string)[] = [];
    for (let i = 0; i < 2; i++) got.push(await node(nodes, 'a').register(input()));
    expect(got.every((c) => typeof c !== 'string')).to.equal(true);
  });
});

describe('tunnel: Tunnels.open through another node', () => {
  it('a node that cannot be reached: the user reads its name, not the link\'s words (its address)', async () => {
    const peers: TunnelPeers = {
      others: () => Promise.resolve(['b']),
      list: () => Promise.resolve([]),
      open: () => Promise.reject(new PeerLinkError('node b unreachable at 10.0.0.5:2222: connect ECONNREFUSED 10.0.0.5:2222')),
      drop: () => Promise.resolve(0),
      count: () => Promise.resolve(0),
    };
    const t = new Tunnels({ self: 'a', log: silentLogger, now: () => new Date(), peers });
    const route = { id: 1, hostId: 1, hostName: 'pi1', node: 'b', remote: '192.0.2.1:1', since: new Date().toISOString(), fingerprint: 'SHA256:x', lastUsed: 0 };
    const err = await t.open({ id: 1, name: 'pi1' }, route).then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(UpstreamError);
    expect(userMessage(err)).to.equal('cannot reach the connector of pi1 on node b');
  });
});
