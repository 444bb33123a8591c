import type { Command } from 'commander';
import { hostJson, sshKeyJson } from '../../db/json/go-json.js';
import { SshKey } from '../../db/entities/index.js';
import { insertRow } from '../../db/queries/common.js';
import { assertKeyNameFree, findSshKeys, listSshKeys, removeSshKeys, type SshKeyWithCount } from '../../db/queries/ssh-keys.js';
import { checkKeySpec, generateKeyPairAsync, parsePrivateKey, parsePublicKey, type KeyPair } from '../../crypto/ssh-keys.js';
import { InvalidArgumentError } from '../../errors.js';
import { mapPaced } from '../../paced-map.js';
import type { ShellContext } from '../context.js';
import { randomName } from '../names.js';
import { checkComment, checkName } from '../parse/values.js';
import { humanizeTime } from '../render/humanize.js';
import { act, audit, change, defineInspect, defineLs, defineRm } from './common.js';

function parseLength(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text)) throw new InvalidArgumentError(`invalid key length '${text}': expected a number of bits`);
  return Number(text);
}

async function saveKey(ctx: ShellContext, pair: KeyPair, name: string, comment: string, action: string): Promise<SshKey> {
  return change(ctx, async (m) => {
    await assertKeyNameFree(m, name);
    const key = await insertRow(m, SshKey, {
      name, type: pair.type, length: pair.length, fingerprint: pair.fingerprint,
      privKey: ctx.deps.db.cipher.encrypt(pair.privateKey), pubKey: pair.publicKey, comment,
    });
    await audit(m, ctx, { domain: 'key', action, entity: name, args: { name, type: pair.type, length: pair.length, fingerprint: pair.fingerprint, comment } });
    return key;
  });
}

function defineCreate(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('create').description('creates a new key pair (used to log into hosts)')
    .option('-n, --name <name>', 'name of the key (random when not given)')
    .option('-t, --type <type>', 'ed25519, rsa or ecdsa', 'ed25519')
    .option('--length <bits>', 'key size: rsa 2048-8192, ecdsa 256, 384 or 521')
    .option('-c, --comment <comment>', 'adds a comment');
  act(cmd, ctx, ['admin'], async ({ opts }) => {
    const name = checkName(opts.string('name') ?? randomName(), 'key');
    const comment = checkComment(opts.string('comment') ?? '');
    const spec = checkKeySpec(opts.string('type') ?? 'ed25519', parseLength(opts.string('length')));
    const pair = await generateKeyPairAsync(spec.type, spec.length, comment || name);
    ctx.out(`${(await saveKey(ctx, pair, name, comment, 'create')).id}\n`);
  });
}

function defineImport(parent: Command, ctx: ShellContext): void {
  const cmd = parent.command('import').description('imports a private key (OpenSSH or PEM) read from standard input')
    .option('-n, --name <name>', 'name of the key (random when not given)')
    .option('-c, --comment <comment>', 'adds a comment');
  act(cmd, ctx, ['admin'], async ({ opts }) => {
    const name = checkName(opts.string('name') ?? randomName(), 'key');
    const comment = checkComment(opts.string('comment') ?? '');
    const text = (await ctx.input.readBlock('Paste your key and end with a blank line> ')).trim();
    if (text === '') throw new InvalidArgumentError('no private key given on standard input');
    const pair = parsePrivateKey(text + '\n', comment);
    ctx.out(`${(await saveKey(ctx, pair, name, comment, 'import')).id}\n`);
  });
}

/** The authorized_keys line that installs a key on a target: `type base64 sshportal`. */
export function setupLine(pubKey: string): string {
  const info = parsePublicKey(pubKey);
  return `${info.algo} ${info.blob} sshportal`;
}

function defineShowAndSetup(parent: Command, ctx: ShellContext): void {
  act(parent.command('show').description('prints the public key in authorized_keys format').argument('<KEY>'), ctx, ['admin'], async ({ args }) => {
    const key = (await findSshKeys(ctx.deps.db.manager, args)).at(0);
    if (key) ctx.out(`${key.pubKey.trim()}\n`);
  });
  const setup = parent.command('setup').description('prints a shell command that installs the public key on a host').argument('<KEY>');
  act(setup, ctx, ['admin'], async ({ args }) => {
    const key = (await findSshKeys(ctx.deps.db.manager, args)).at(0);
    if (key) ctx.out(`umask 077; mkdir -p .ssh; echo '${setupLine(key.pubKey)}' >> .ssh/authorized_keys\n`);
  });
}

/** Registers `key`: manages the portal's key pairs (client keys, and its own host key). */
export function registerKey(root: Command, ctx: ShellContext): void {
  const parent = root.command('key').description('manages keys');
  defineCreate(parent, ctx);
  defineImport(parent, ctx);
  defineInspect(parent, ctx, {
    argName: 'KEY', noun: 'keys', decrypt: 'shows the private keys', find: (m, ids) => findSshKeys(m, ids, true),
    // The key as a nested one (no Hosts), then its hosts (10,000 for a portal's `default` key) converted paced, all of them
    // before anything is written: a password that cannot be decrypted fails the command with nothing printed.
    json: async (k, o) => ({ ...sshKeyJson(k, o, true), Hosts: await mapPaced(k.hosts ?? [], (h) => hostJson(h, o, true)) }),
  });
  defineLs<SshKeyWithCount>(parent, ctx, ['admin'], {
    columns: ['ID', 'Name', 'Type', 'Length', 'Hosts', 'Updated', 'Created', 'Comment'],
    noun: 'keys',
    fetch: listSshKeys,
    row: (k, now) => [String(k.id), k.name, k.type, String(k.length), String(k.hostCount), humanizeTime(k.updatedAt, now), humanizeTime(k.createdAt, now), k.comment],
  });
  defineRm(parent, ctx, { argName: 'KEY', noun: 'keys', domain: 'key', find: (m, ids) => findSshKeys(m, ids), remove: removeSshKeys, label: (k) => k.name });
  defineShowAndSetup(parent, ctx);
}
