import { expect } from 'chai';
import { createFieldCipher } from '../../../../lib/crypto/field-cipher.js';
import { parseBackup } from '../../../../lib/db/backup/parse.js';
import { prepareBackup } from '../../../../lib/db/backup/prepare.js';
import { backupChecks } from '../../../../lib/shell/backup-checks.js';
import { goBackup } from './go-backup.fixture.js';

const now = new Date('2024-01-01T00:00:00Z');
const prep = { cipher: createFieldCipher('0123456789abcdef'), storeClear: false, now, inviteTtlMs: 3600_000, checks: backupChecks };
const rows = (d: Record<string, unknown>, key: string): Record<string, unknown>[] => d[key] as Record<string, unknown>[];
const event = (fields: Record<string, unknown>): Record<string, unknown> => ({ ID: 7, Domain: 'host', Action: 'create', Entity: 'x', ...fields });
/** A character outside the BMP: two UTF-16 units, one character for MySQL. */
const astral = '😀';

describe('backup: every string fits its column (MySQL refuses longer ones; SQLite would keep what MySQL cannot)', () => {
  const cases: { name: string; edit: (d: Record<string, unknown>) => void; message: RegExp | null }[] = [
    { name: "an event's Entity of 255 characters", edit: (d) => { d.events = [event({ Entity: 'e'.repeat(255) })]; }, message: null },
    { name: "an event's Entity of 256", edit: (d) => { d.events = [event({ Entity: 'e'.repeat(256) })]; }, message: /^invalid backup: events 7: entity: longer than its column holds \(255 characters\)$/ },
    { name: "an event's Domain of 65", edit: (d) => { d.events = [event({ Domain: 'd'.repeat(65) })]; }, message: /^invalid backup: events 7: domain: longer than its column holds \(64 characters\)$/ },
    { name: '255 characters outside the BMP (510 UTF-16 units)', edit: (d) => { d.events = [event({ Entity: astral.repeat(255) })]; }, message: null },
    { name: '256 characters outside the BMP', edit: (d) => { d.events = [event({ Entity: astral.repeat(256) })]; }, message: /events 7: entity: longer than its column holds \(255 characters\)/ },
    { name: "a user's Email of 256", edit: (d) => { rows(d, 'users')[0].Email = `${'e'.repeat(250)}@x.org`; }, message: /^invalid backup: users 'admin': email: longer than its column holds \(255 characters\)$/ },
    { name: "a session's RemoteAddr of 256", edit: (d) => { rows(d, 'sessions')[0].RemoteAddr = '1'.repeat(256); }, message: /^invalid backup: sessions \d+: remote_addr: longer than its column holds \(255 characters\)$/ },
    { name: "a host's User of 256 (named by the host's name)", edit: (d) => { rows(d, 'hosts')[0].User = 'u'.repeat(256); rows(d, 'hosts')[0].URL = ''; rows(d, 'hosts')[0].Addr = 'example.org:22'; }, message: /^invalid backup: hosts 'example': user: longer than its column holds \(255 characters\)$/ },
  ];
  for (const c of cases) {
    it(`${c.message ? 'refuses' : 'accepts'} ${c.name}`, () => {
      const { doc } = goBackup();
      c.edit(doc);
      const run = (): unknown => prepareBackup(parseBackup(doc, now, backupChecks), prep);
      if (c.message) expect(run).to.throw(c.message);
      else expect(run).not.to.throw();
    });
  }
});
