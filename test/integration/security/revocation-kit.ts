/**
 * Shared steps of the revocation tests: enroll a user through the real admin
 * shell and invite flow, give it access to `web01` through its own group and
 * ACL, and revoke that access in each of the ways an administrator can.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import type { EntityManager } from 'typeorm';
import { Acl, Event, User, UserKey } from '../../../lib/db/entities/index.js';
import { generateKey } from '../../support/keys.js';
import { ssh } from '../../support/openssh.js';
import type { RunResult } from '../../support/process.js';
import type { SshdTarget } from '../../support/sshd.js';
import { waitFor } from '../../support/wait.js';

/** Runs one admin command (as the enrolled admin), failing the test on a non-zero exit. */
export type AdminRun = (args: string[]) => Promise<RunResult>;

/** The ways access is taken away. */
export const revocations = ['user rm', 'user update --unassign-group', 'userkey rm', 'acl expires', 'acl update --action deny', 'acl rm'] as const;
/** One of {@link revocations}. */
export type Revocation = (typeof revocations)[number];

/** An enrolled user with access to `web01`. */
export interface Enrolled {
  name: string;
  key: string;
  group: string;
  aclId: number;
  keyId: number;
  /** When its ACL expires (only for 'acl expires'). */
  expiresAt: Date | null;
}

/** How long an 'acl expires' ACL stays valid: time to open a master, channels and a tunnel. */
const EXPIRY_MS = 8_000;

async function ok(admin: AdminRun, args: string[]): Promise<RunResult> {
  const r = await admin(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0);
  return r;
}

/** Creates the `web` host group and `web01` in it (the bootstrap ACL does not cover it). */
export async function addWebHost(admin: AdminRun, target: SshdTarget): Promise<void> {
  await ok(admin, ['hostgroup', 'create', '--name', 'web']);
  await ok(admin, ['host', 'create', '--name', 'web01', '--group', 'web', `${target.user}@127.0.0.1:${target.port}`]);
}

/** Invites `name` into its own group, binds a new key through `invite:` on `port`, and allows the group on `web`. */
export async function enroll(admin: AdminRun, m: EntityManager, port: number, dir: string, name: string, kind?: Revocation): Promise<Enrolled> {
  const group = `g-${name}`;
  await ok(admin, ['usergroup', 'create', '--name', group]);
  const invite = await ok(admin, ['user', 'invite', '--name', name, '--group', group, `${name}@example.com`]);
  const token = /invite:([^'\s]+)/.exec(invite.stdout)?.[1];
  if (!token) throw new Error(`no invite token in: ${invite.stdout}`);
  const key = generateKey(join(dir, `${name}_key`), name).path;
  const redeemed = await ssh(port, key, `invite:${token}`, []);
  expect(redeemed.code, redeemed.stderr).to.equal(0);
  const expiresAt = kind === 'acl expires' ? new Date(Date.now() + EXPIRY_MS) : null;
  await ok(admin, ['acl', 'create', '--ug', group, '--hg', 'web', ...(expiresAt ? ['--expiration', expiresAt.toISOString()] : [])]);
  const [acl] = await m.find(Acl, { order: { id: 'DESC' }, take: 1 });
  const user = await m.findOneByOrFail(User, { name });
  const userKey = await m.findOneByOrFail(UserKey, { userId: user.id });
  return { name, key, group, aclId: acl?.id ?? 0, keyId: userKey.id, expiresAt };
}

/** Takes `u`'s access to `web01` away the way `kind` says; resolves once it is gone (for an expiry: once the time passed). */
export async function revoke(admin: AdminRun, kind: Revocation, u: Enrolled): Promise<void> {
  switch (kind) {
    case 'user rm':
      await ok(admin, ['user', 'rm', u.name]);
      return;
    case 'user update --unassign-group':
      await ok(admin, ['user', 'update', '--unassign-group', u.group, u.name]);
      return;
    case 'userkey rm':
      await ok(admin, ['userkey', 'rm', String(u.keyId)]);
      return;
    case 'acl expires':
      await waitFor(() => Date.now() > (u.expiresAt?.getTime() ?? 0), EXPIRY_MS + 5_000, 'the ACL to expire');
      return;
    case 'acl update --action deny':
      await ok(admin, ['acl', 'update', '--action', 'deny', String(u.aclId)]);
      return;
    case 'acl rm':
      await ok(admin, ['acl', 'rm', String(u.aclId)]);
      return;
    default: {
      const never: never = kind;
      throw new Error(`unknown revocation ${String(never)}`);
    }
  }
}

/** The `session revoke` events naming `user`. */
export async function revokeEvents(m: EntityManager, user: string): Promise<{ reason: string; node: string; login: string }[]> {
  const rows = await m.find(Event, { where: { domain: 'session', action: 'revoke' } });
  return rows.map((e) => JSON.parse(e.args ?? '{}') as { user: string; reason: string; node: string; login: string }).filter((a) => a.user === user);
}

/** Waits for `n` `session revoke` events naming `user` (they are written as the connection ends); returns them. */
export async function waitForRevokeEvents(m: EntityManager, user: string, n: number): Promise<{ reason: string; node: string; login: string }[]> {
  await waitFor(async () => (await revokeEvents(m, user)).length >= n, 5_000, `${n} revoke event(s) for ${user}`);
  return revokeEvents(m, user);
}

/** Times one admin command of another user; it must be answered within 2 s. */
export async function adminAnswersQuickly(admin: AdminRun): Promise<number> {
  const start = Date.now();
  const r = await admin(['info']);
  const ms = Date.now() - start;
  expect(r.code, r.stderr).to.equal(0);
  expect(ms, 'another admin command answered within 2 s').to.be.below(2_000);
  return ms;
}
