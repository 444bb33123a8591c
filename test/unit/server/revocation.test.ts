/**
 * The revocation service with its io stubbed: what a re-check decides (case
 * table), how a sweep asks `--acl-check-cmd` (one run per distinct input, a
 * bounded number at once, verdicts that need no hook applied without
 * waiting), joins re-checked against their host, and a failing sweep that
 * never becomes an unhandled rejection.
 */
import { expect } from 'chai';
import { aclInputOf, type AccessDecision, type AccessRequest } from '../../../lib/acl/decide.js';
import { POLICY_DEFAULTS, decisivePolicy } from '../../../lib/acl/policy.js';
import type { LiveSubject, Revalidation } from '../../../lib/acl/revalidate.js';
import type { EventInput } from '../../../lib/db/events.js';
import type { LiveFacts, LiveFactsQuery, LiveHost, LiveUser } from '../../../lib/db/live-facts.js';
import type { AclRow } from '../../../lib/db/queries/acls.js';
import { createLogger, type Logger } from '../../../lib/log.js';
import { HOOK_CONCURRENCY, HookRuns, hookKey, verdictOf, type HookAnswer } from '../../../lib/server/revocation-verdict.js';
import { Revocation, type LiveTicket, type RevocationIo } from '../../../lib/server/revocation.js';

const now = new Date('2025-06-01T12:00:00Z');
const devs = { id: 10, name: 'devs' };
const ops = { id: 11, name: 'ops' };
const web: LiveHost = { id: 5, name: 'web01', addr: '10.0.0.1:22', user: 'root', groups: [{ id: 20, name: 'web' }] };
const allowAcl: AclRow = {
  id: 1, action: 'allow', weight: 0, inception: null, expiration: null, hostPattern: '', ...POLICY_DEFAULTS, userGroupIds: [devs.id, ops.id], hostGroupIds: [20],
};

const decision = (action: 'allow' | 'deny', reason = `hook says ${action}`): AccessDecision => ({ action, reason, policy: decisivePolicy(null) });
const userOf = (id: number, groups: { id: number; name: string }[]): LiveUser => ({ id, name: `u${id}`, email: `u${id}@x`, groups, roles: ['admin'] });
const fingerprint = (userId: number): string => `SHA256:key${userId}`;

/** The request a login checked, for user `id` in `groups`. */
function requestOf(id: number, groups: { id: number; name: string }[]): AccessRequest {
  return { user: { id, name: `u${id}`, email: `u${id}@x`, groups }, host: web, acls: [aclInputOf(allowAcl)], now };
}

function factsOf(users: LiveUser[], acls: AclRow[] = [allowAcl]): LiveFacts {
  return {
    users: new Map(users.map((u) => [u.id, u])),
    keyOwners: new Map(users.map((u) => [fingerprint(u.id), u.id])),
    hosts: new Map([[web.id, web]]),
    acls,
  };
}

/** A stubbed io: fixed facts, a hook that answers `verdict` after `hookMs`, events kept. */
class StubIo implements RevocationIo {
  runs = 0;
  active = 0;
  maxActive = 0;
  readonly events: EventInput[] = [];
  readonly queries: LiveFactsQuery[] = [];
  /** In order: 'hook' when a hook run answers, 'end:NAME' when a connection is ended. */
  readonly order: string[] = [];

  readonly #facts: LiveFacts;
  readonly #hookMs: number;
  readonly #verdict: 'allow' | 'deny';

  constructor(facts: LiveFacts, hookMs: number, verdict: 'allow' | 'deny') {
    this.#facts = facts;
    this.#hookMs = hookMs;
    this.#verdict = verdict;
  }

  facts(q: LiveFactsQuery): Promise<LiveFacts> {
    this.queries.push(q);
    return Promise.resolve(this.#facts);
  }

  async decide(): Promise<AccessDecision> {
    this.runs++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    await new Promise((r) => setTimeout(r, this.#hookMs));
    this.active--;
    this.order.push('hook');
    return decision(this.#verdict);
  }

  record(e: EventInput): Promise<void> {
    this.events.push(e);
    return Promise.resolve();
  }
}

const quiet = createLogger({ level: 'error', sink: () => undefined });

function service(io: RevocationIo, opts: { hook?: string | null; log?: Logger; now?: () => Date; intervalMs?: number } = {}): Revocation {
  return new Revocation({
    io, log: opts.log ?? quiet, now: opts.now ?? (() => now), aclCheckCmd: opts.hook === undefined ? '/bin/hook' : opts.hook, nodeName: 'n1', intervalMs: opts.intervalMs,
  });
}

/** Tracks a connection of user `id`; `ended` gets its name once it is ended. */
function track(r: Revocation, io: StubIo, id: number, name: string, login: LiveSubject['login'] = { kind: 'host', hostId: null }): LiveTicket {
  return r.track({
    subject: { userId: id, fingerprint: fingerprint(id), login }, userName: name, remoteAddr: '127.0.0.1:1', log: quiet,
    end: () => io.order.push(`end:${name}`),
  });
}

/** Lets the deferred ends run. */
const ends = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('server/revocation: verdictOf', () => {
  const req = requestOf(1, [devs]);
  const byAcl = (action: 'allow' | 'deny', request = req): Revalidation => ({ action: 'access', request, byAcl: decision(action, `acl ${action}`) });
  const keyOf = (r: Revalidation): string => (r.action === 'access' ? hookKey(r.byAcl, r.request) : '');
  const known = (r: Revalidation, action: 'allow' | 'deny'): HookAnswer => ({ key: keyOf(r), decision: decision(action) });
  const cases: { name: string; r: Revalidation; hooked: boolean; known?: HookAnswer; want: string }[] = [
    { name: 'keep', r: { action: 'keep' }, hooked: true, want: 'keep' },
    { name: 'end needs no hook', r: { action: 'end', reason: 'user removed' }, hooked: true, want: 'end: user removed' },
    { name: 'ACLs allow, no hook', r: byAcl('allow'), hooked: false, want: 'keep' },
    { name: 'ACLs deny, no hook', r: byAcl('deny'), hooked: false, want: "end: access to host 'web01' no longer allowed (acl deny)" },
    { name: 'hooked, never asked', r: byAcl('allow'), hooked: true, want: 'ask' },
    { name: 'hooked, same input allowed before', r: byAcl('deny'), hooked: true, known: known(byAcl('deny'), 'allow'), want: 'keep' },
    { name: 'hooked, same input denied before', r: byAcl('allow'), hooked: true, known: known(byAcl('allow'), 'deny'), want: "end: access to host 'web01' no longer allowed (hook says deny)" },
    { name: 'hooked, input changed (the ACLs now deny)', r: byAcl('deny'), hooked: true, known: known(byAcl('allow'), 'allow'), want: 'ask' },
    { name: 'hooked, input changed (the groups)', r: byAcl('allow', requestOf(1, [ops])), hooked: true, known: known(byAcl('allow'), 'allow'), want: 'ask' },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.want}`, () => {
      const v = verdictOf(c.r, c.hooked, c.known);
      expect(v.kind === 'end' ? `end: ${v.reason}` : v.kind).to.equal(c.want);
    });
  }
});

describe('server/revocation: HookRuns', () => {
  it(`runs each distinct input once, at most ${HOOK_CONCURRENCY} at a time`, async () => {
    const io = new StubIo(factsOf([]), 50, 'allow');
    const runs = new HookRuns(() => io.decide(), quiet);
    const answers = [];
    for (let i = 0; i < 10; i++) for (let j = 0; j < 3; j++) answers.push(runs.answer(`k${i}`, requestOf(i, [])));
    const got = await Promise.all(answers);
    expect(got.every((d) => d?.action === 'allow')).to.equal(true);
    expect([io.runs, io.maxActive]).to.deep.equal([10, HOOK_CONCURRENCY]);
  });

  it('answers null (and logs once per input) when the hook cannot be asked; the next inputs still run', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', format: 'json', sink: (l) => lines.push(l) });
    let calls = 0;
    const runs = new HookRuns((req) => (++calls === 1 ? Promise.reject(new Error('spawn failed')) : Promise.resolve(decision('allow', req.user.name))), log);
    const got = await Promise.all([runs.answer('a', requestOf(1, [])), runs.answer('a', requestOf(1, [])), runs.answer('b', requestOf(2, []))]);
    expect(got.map((d) => d?.reason ?? null)).to.deep.equal([null, null, 'u2']);
    expect(lines).to.have.length(1);
  });
});

describe('server/revocation: a sweep with --acl-check-cmd', function () {
  this.timeout(20_000);
  const N = 20;
  const HOOK_MS = 300;

  /** `n` connections of user 1 to web01, granted when the user was in devs; the user is in ops now. */
  function groupsChanged(verdict: 'allow' | 'deny', n: number): { io: StubIo; r: Revocation } {
    const io = new StubIo(factsOf([userOf(1, [ops])]), HOOK_MS, verdict);
    const r = service(io);
    for (let i = 0; i < n; i++) track(r, io, 1, `c${i}`).grantHost(web, 100 + i, requestOf(1, [devs]), decision('allow'));
    return { io, r };
  }

  it(`${N} connections of one user and host whose groups changed: one hook run, the sweep well under ${N} × ${HOOK_MS} ms`, async () => {
    const { io, r } = groupsChanged('allow', N);
    const t0 = performance.now();
    await r.sweep();
    const ms = performance.now() - t0;
    expect(io.runs).to.equal(1);
    expect(ms).to.be.below(3 * HOOK_MS);
    expect(r.size).to.equal(N);
    // The answer is kept per connection: the next sweep asks nothing.
    await r.sweep();
    expect(io.runs).to.equal(1);
  });

  it('one hook run that denies ends all of them, each with its event', async () => {
    const { io, r } = groupsChanged('deny', N);
    await r.sweep();
    await ends();
    expect(io.runs).to.equal(1);
    expect(io.order.filter((o) => o.startsWith('end:'))).to.have.length(N);
    expect(io.events.map((e) => e.action)).to.deep.equal(Array<string>(N).fill('revoke'));
    expect(r.size).to.equal(0);
  });

  it(`distinct inputs run ${HOOK_CONCURRENCY} at a time; a verdict that needs no hook is applied before any hook answers`, async () => {
    const users = Array.from({ length: 10 }, (_, i) => userOf(i + 1, [ops]));
    const io = new StubIo(factsOf(users), 100, 'allow');
    const r = service(io);
    for (const u of users) track(r, io, u.id, u.name).grantHost(web, u.id, requestOf(u.id, [devs]), decision('allow'));
    // A user removed meanwhile: no hook needed to end it.
    track(r, io, 99, 'gone');
    const t0 = performance.now();
    await r.sweep();
    const ms = performance.now() - t0;
    await ends();
    expect([io.runs, io.maxActive]).to.deep.equal([10, HOOK_CONCURRENCY]);
    expect(ms, 'three rounds of 100 ms, not ten').to.be.below(800);
    expect(io.order[0]).to.equal('end:gone');
    expect(r.size).to.equal(10);
  });
});

describe('server/revocation: joins', () => {
  /** A join of user 1 to session 12 on web01 (tracked as a shell with the admin role, then let in). */
  function joined(io: StubIo, r: Revocation): void {
    track(r, io, 1, 'joiner', { kind: 'shell', roles: ['admin'] }).grantJoin(web, 12, requestOf(1, [devs]), decision('allow'));
  }

  it("ends a join once no ACL allows the joiner to the session's host, with a revoke event naming it", async () => {
    const io = new StubIo(factsOf([userOf(1, [devs])], []), 0, 'allow');
    const r = service(io, { hook: null });
    joined(io, r);
    await r.sweep();
    await ends();
    expect(io.queries[0]?.hostIds).to.deep.equal([web.id]);
    expect(io.order).to.deep.equal(['end:joiner']);
    const [event] = io.events;
    expect(event?.entity).to.equal('web01');
    expect(event?.args).to.include({ login: 'join', host: 'web01', session_id: 12, user: 'joiner' });
    expect(String(event?.args?.reason)).to.match(/^access to host 'web01' no longer allowed/);
  });

  it('keeps a join its ACL still allows, and a watcher (roles only) whatever the ACLs say', async () => {
    const io = new StubIo(factsOf([userOf(1, [devs])]), 0, 'allow');
    const r = service(io, { hook: null });
    joined(io, r);
    track(r, io, 1, 'watcher', { kind: 'shell', roles: ['admin'] });
    await r.sweep();
    const noAcl = new StubIo(factsOf([userOf(1, [devs])], []), 0, 'allow');
    const r2 = service(noAcl, { hook: null });
    track(r2, noAcl, 1, 'watcher', { kind: 'shell', roles: ['admin'] });
    await r2.sweep();
    await ends();
    expect([io.order, noAcl.order]).to.deep.equal([[], []]);
  });

  it('keeps the hook answer the join was let in with: the hook runs again only once its input changes', async () => {
    const io = new StubIo(factsOf([userOf(1, [devs])]), 0, 'allow');
    const r = service(io);
    joined(io, r);
    await r.sweep();
    expect(io.runs).to.equal(0);
  });
});

describe('server/revocation: the periodic sweep', () => {
  it('a sweep that fails is logged, never an unhandled rejection, and the next one still runs', async () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'error', format: 'json', sink: (l) => lines.push(l) });
    const io = new StubIo(factsOf([userOf(1, [devs])]), 0, 'allow');
    const r = service(io, { log, intervalMs: 10, now: () => { throw new Error('clock broke'); } });
    track(r, io, 1, 'a');
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason); };
    process.on('unhandledRejection', onUnhandled);
    try {
      r.start();
      await new Promise((resolve) => setTimeout(resolve, 150));
      r.stop();
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).to.deep.equal([]);
    const failed = lines.filter((l) => l.includes('access re-check sweep failed'));
    expect(failed.length, 'one line per failed sweep').to.be.at.least(2);
    expect(failed[0]).to.include('clock broke');
  });
});
