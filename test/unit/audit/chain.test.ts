import { generateKeyPairSync, sign } from 'node:crypto';
import { expect } from 'chai';
import { checkChain, checkCheckpoints, type CheckpointRowData, type EventRowData } from '../../../lib/audit/events.js';
import { formatProblem } from '../../../lib/audit/problem.js';
import { canonicalEvent, checkpointMessage, eventHash, genesisHash } from '../../../lib/db/chain/encoding.js';
import { parsePublicKeys, publicKeyId, publicKeyPem } from '../../../lib/db/chain/signer.js';
import { encodeSealFile, parseSealFile, parseSessionSeals } from '../../../lib/recording/seal.js';

/** A valid chain of `n` events, ids 10, 20, 30… */
function chain(n: number): EventRowData[] {
  const out: EventRowData[] = [];
  let prev = genesisHash;
  for (let i = 1; i <= n; i++) {
    const f = { seq: i, prevHash: prev, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), chainAuthorId: i % 2 ? 1 : null,
      domain: 'host', action: 'update', entity: `h${i}`, args: `{"n":${i}}`, deletedAt: null };
    const hash = eventHash(f);
    out.push({ ...f, id: i * 10, hash, authorId: f.chainAuthorId });
    prev = hash;
  }
  return out;
}

describe('audit: canonical encoding', () => {
  it('is a tagged JSON array in a fixed order, and its hash is stable', () => {
    const f = { seq: 1, prevHash: genesisHash, createdAt: new Date('2026-01-01T00:00:00.123Z'), chainAuthorId: 7, domain: 'user', action: 'create',
      entity: 'bob', args: '{"email":"b@x"}', deletedAt: null };
    expect(canonicalEvent(f)).to.equal(`["sshportal-event-v1",1,"${genesisHash}","2026-01-01T00:00:00.123Z",7,"user","create","bob","{\\"email\\":\\"b@x\\"}",null]`);
    expect(eventHash(f)).to.equal(eventHash({ ...f }));
    expect(eventHash(f)).to.not.equal(eventHash({ ...f, entity: 'bob ' }));
    expect(checkpointMessage({ seq: 3, hash: 'ab', node: 'n1', createdAt: new Date(0) }).toString()).to.equal('["sshportal-checkpoint-v1",3,"ab","n1","1970-01-01T00:00:00.000Z"]');
  });
});

describe('audit: chain check', () => {
  const cases: { name: string; change(e: EventRowData[]): EventRowData[]; expected: string | null }[] = [
    { name: 'an untouched chain', change: (e) => e, expected: null },
    { name: 'rows given in any order', change: (e) => [...e].reverse(), expected: null },
    { name: 'an edited entity', change: (e) => e.map((x) => (x.seq === 3 ? { ...x, entity: 'other' } : x)), expected: 'event 30 edited: its content does not match its hash' },
    { name: 'a changed author', change: (e) => e.map((x) => (x.seq === 3 ? { ...x, authorId: 9 } : x)), expected: 'event 30 edited: its author was changed (written by user 1)' },
    { name: 'an author removed with its user (ON DELETE SET NULL)', change: (e) => e.map((x) => (x.seq === 3 ? { ...x, authorId: null } : x)), expected: null },
    { name: 'a deleted event', change: (e) => e.filter((x) => x.seq !== 2), expected: 'event 30 deleted: event #2 of the chain before it is missing' },
    { name: 'two deleted events', change: (e) => e.filter((x) => x.seq !== 2 && x.seq !== 3), expected: 'event 40 deleted: events #2–#3 of the chain before it are missing' },
    { name: 'two rows swapped', change: (e) => e.map((x) => (x.seq === 2 ? { ...x, id: 30 } : x.seq === 3 ? { ...x, id: 20 } : x)), expected: 'event 20 reordered: it is chained after event 30 but has a smaller id' },
    { name: 'an event rewritten with a recomputed hash', change: (e) => e.map((x) => {
      if (x.seq !== 2) return x;
      const y = { ...x, entity: 'forged' };
      return { ...y, hash: eventHash({ ...y, seq: 2, prevHash: y.prevHash as string }) };
    }), expected: 'event 20 edited: it was rewritten: event 30 links a different previous hash' },
    { name: 'an unchained event newer than the chain', change: (e) => [...e, { ...(e[0]), id: 25, seq: null, hash: null, prevHash: null }], expected: 'event 25 inserted: it is newer than the chain but not part of it' },
    { name: 'an unchained event older than the chain', change: (e) => [...e, { ...(e[0]), id: 5, seq: null, hash: null, prevHash: null }], expected: null },
  ];
  for (const c of cases) {
    it(`${c.expected === null ? 'accepts' : 'names'} ${c.name}`, () => {
      const p = checkChain(c.change(chain(4)));
      expect(p === null ? null : formatProblem(p)).to.equal(c.expected);
    });
  }
});

describe('audit: checkpoint check', () => {
  const events = chain(4);
  const bySeq = new Map(events.map((e) => [e.seq as number, { id: e.id, hash: e.hash as string }]));
  const key = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');
  const pub = publicKeyId(key.publicKey);
  const signed = (seq: number, hash: string, k = key): CheckpointRowData => {
    const c = { id: 1, seq, hash, node: 'n', createdAt: new Date(1000) };
    return { ...c, publicKey: publicKeyId(k.publicKey), signature: sign(null, checkpointMessage(c), k.privateKey).toString('base64') };
  };
  const good = signed(4, events[3]?.hash as string);
  const cases: { name: string; cp: CheckpointRowData; expected: string | null }[] = [
    { name: 'a good checkpoint', cp: good, expected: null },
    { name: 'another key', cp: signed(4, events[3]?.hash as string, other), expected: 'checkpoint 1 bad signature: it is signed by a key that is not the audit key' },
    { name: 'a changed node', cp: { ...good, node: 'm' }, expected: 'checkpoint 1 bad signature: its signature does not match its content' },
    { name: 'a garbage signature', cp: { ...good, signature: 'AAAA' }, expected: 'checkpoint 1 bad signature: its signature does not match its content' },
    { name: 'a signed event gone', cp: signed(9, events[3]?.hash as string), expected: 'checkpoint 1 deleted: the event #9 it signs is missing' },
    { name: 'a chain that differs from the signed one', cp: signed(3, 'f'.repeat(64)), expected: 'event 30 edited: the chain up to it was rewritten: checkpoint 1 signed a different hash' },
  ];
  for (const c of cases) {
    it(`${c.expected === null ? 'accepts' : 'names'} ${c.name}`, () => {
      const p = checkCheckpoints([c.cp], bySeq, new Set([pub]));
      expect(p === null ? null : formatProblem(p)).to.equal(c.expected);
    });
  }
});

describe('audit: seals and key files', () => {
  const sha = 'a'.repeat(64);
  const sealFiles: { text: string; ok: boolean }[] = [
    { text: encodeSealFile({ length: 3, sha256: sha }, true, new Date(0)), ok: true },
    { text: '{"version":1,"length":-1,"sha256":"' + sha + '","final":true,"at":"x"}', ok: false },
    { text: '{"version":2,"length":1,"sha256":"' + sha + '","final":true,"at":"x"}', ok: false },
    { text: '{"version":1,"length":1,"sha256":"zz","final":true,"at":"x"}', ok: false },
    { text: 'not json', ok: false },
  ];
  for (const [i, c] of sealFiles.entries()) {
    it(`reads seal file ${i + 1} as ${c.ok ? 'valid' : 'invalid'}`, () => {
      expect(parseSealFile(c.text) !== null).to.equal(c.ok);
    });
  }
  it('reads session seals, refusing anything malformed', () => {
    expect(parseSessionSeals(JSON.stringify([{ path: 'a.cast', length: 1, sha256: sha }]))).to.deep.equal([{ path: 'a.cast', length: 1, sha256: sha }]);
    for (const bad of ['{}', '[{"path":"a","length":1}]', '[{"length":1,"sha256":"' + sha + '"}]', 'x']) expect(parseSessionSeals(bad)).to.equal(null);
    expect(parseSessionSeals(null)).to.equal(null);
  });
  it('reads public key files: one or several ed25519 PEM keys, nothing else', () => {
    const a = generateKeyPairSync('ed25519').publicKey;
    const b = generateKeyPairSync('ed25519').publicKey;
    const pemA = publicKeyPem(publicKeyId(a));
    expect(parsePublicKeys(pemA)).to.deep.equal([publicKeyId(a)]);
    expect(parsePublicKeys(`comment\n${pemA}\n${publicKeyPem(publicKeyId(b))}`)).to.deep.equal([publicKeyId(a), publicKeyId(b)]);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => parsePublicKeys(rsa)).to.throw(/not ed25519/);
    expect(() => parsePublicKeys('nothing here')).to.throw(/no PEM public key/);
    expect(() => parsePublicKeys('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).to.throw(/malformed/);
  });
});
