import { expect } from 'chai';
import {
  CommandList, MAX_COMMAND_CHARS, MAX_COMMANDS_JSON_CHARS, commandsText, describeStart, truncateCommand, type CommandStart,
} from '../../../lib/db/session-commands.js';

describe('session commands (pure bounds)', () => {
  const starts: { start: CommandStart; entry: string }[] = [
    { start: { kind: 'shell' }, entry: 'shell' },
    { start: { kind: 'exec', command: 'uptime' }, entry: 'exec: uptime' },
    { start: { kind: 'exec', command: '' }, entry: 'exec: ' },
    { start: { kind: 'subsystem', name: 'sftp' }, entry: 'subsystem: sftp' },
    { start: { kind: 'exec', command: 'y'.repeat(2000) }, entry: `exec: ${'y'.repeat(MAX_COMMAND_CHARS)}…` },
  ];
  for (const c of starts) {
    it(`describes ${JSON.stringify(c.start).slice(0, 60)}`, () => expect(describeStart(c.start)).to.equal(c.entry));
  }

  const cuts: { name: string; input: string; out: string }[] = [
    { name: 'short text unchanged', input: 'ls -la', out: 'ls -la' },
    { name: 'exactly the limit unchanged', input: 'a'.repeat(MAX_COMMAND_CHARS), out: 'a'.repeat(MAX_COMMAND_CHARS) },
    { name: 'one over cut with an ellipsis', input: 'a'.repeat(MAX_COMMAND_CHARS + 1), out: `${'a'.repeat(MAX_COMMAND_CHARS)}…` },
    { name: 'no half surrogate pair', input: `${'a'.repeat(MAX_COMMAND_CHARS - 1)}😀😀`, out: `${'a'.repeat(MAX_COMMAND_CHARS - 1)}…` },
  ];
  for (const c of cuts) it(`truncates: ${c.name}`, () => expect(truncateCommand(c.input)).to.equal(c.out));

  it('appends while the JSON fits, then refuses without changing the list', () => {
    const list = new CommandList();
    let n = 0;
    while (list.add(`exec: ${'z'.repeat(MAX_COMMAND_CHARS)}`)) n++;
    expect(n).to.equal(list.length).and.be.greaterThan(10);
    expect(list.json().length).to.be.at.most(MAX_COMMANDS_JSON_CHARS);
    expect(JSON.parse(list.json())).to.have.length(n);
  });

  // The running length must agree with serializing the whole list: escapes, non-ASCII and lone surrogates included.
  const fills: { name: string; entry: (i: number) => string }[] = [
    { name: 'empty strings', entry: () => '' },
    { name: 'plain commands', entry: (i) => `exec: ls ${i}` },
    { name: 'quotes and backslashes', entry: (i) => `exec: echo "${i}" \\ x` },
    { name: 'control characters', entry: (i) => `exec: \u0001\n\t${i}` },
    { name: 'non-ASCII and emoji', entry: (i) => `exec: café 😀 ${i}` },
    { name: 'a lone surrogate', entry: (i) => `exec: \ud800${i}` },
  ];
  for (const c of fills) {
    it(`keeps exactly what fits, as serializing the whole list says: ${c.name}`, () => {
      const list = new CommandList();
      const reference: string[] = [];
      for (let i = 0; i < 20_000; i++) {
        const fits = JSON.stringify([...reference, c.entry(i)]).length <= MAX_COMMANDS_JSON_CHARS;
        expect(list.add(c.entry(i)), `entry ${i}`).to.equal(fits);
        if (!fits) break;
        reference.push(c.entry(i));
      }
      expect(list.json()).to.equal(JSON.stringify(reference));
    });
  }

  it('restores as many entries as fit, truncating long ones; none is null', () => {
    expect(commandsText([])).to.equal(null);
    expect(commandsText(['exec: a', 'shell'])).to.equal('["exec: a","shell"]');
    const many = commandsText(Array.from({ length: 100 }, () => 'q'.repeat(5000))) ?? '';
    expect(many.length).to.be.at.most(MAX_COMMANDS_JSON_CHARS);
    expect((JSON.parse(many) as string[])[0]).to.have.length(MAX_COMMAND_CHARS + 1);
  });
});
