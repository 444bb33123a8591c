import { expect } from 'chai';
import { jsonChunks, renderJson } from '../../../lib/shell/render/json.js';
import { cleanCell, layoutsForTest, renderTable } from '../../../lib/shell/render/table.js';

describe('shell: table renderer', () => {
  it('renders a borderless table with upper-case headers and the total', () => {
    const text = renderTable({ columns: ['ID', 'Name', 'Comment'], noun: 'hosts', rows: [['1', 'web', 'front'], ['22', 'database', '']] });
    expect(text).to.equal([
      'ID  NAME      COMMENT',
      '1   web       front',
      '22  database',
      'Total: 2 hosts.',
      '',
    ].join('\n'));
  });

  it('renders an empty table', () => {
    expect(renderTable({ columns: ['ID', 'Name'], noun: 'keys', rows: [] })).to.equal('ID  NAME\nTotal: 0 keys.\n');
  });

  it('keeps control characters (terminal escapes, new lines) out of cells', () => {
    expect(cleanCell('a\nb\u001b[2Jc\u0007')).to.equal('a b [2Jc ');
    const text = renderTable({ columns: ['ID', 'Comment'], noun: 'hosts', rows: [['1', 'evil\u001b]0;title\u0007\nline']] });
    expect(text).not.to.match(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('aligns wide characters', () => {
    const text = renderTable({ columns: ['Name', 'X'], noun: 'users', rows: [['日本', 'a'], ['ab', 'b']] });
    const [head, first, second] = text.split('\n');
    expect(head).to.equal('NAME  X');
    expect(first).to.equal('日本  a');
    expect(second).to.equal('ab    b');
  });

  it('lays out large ASCII tables exactly as cli-table3 does', () => {
    const head = ['ID', 'NAME', 'URL', 'COMMENT'];
    const rows = Array.from({ length: 120 }, (_, i) => [String(i), `host${i}`, i % 7 === 0 ? '' : `ssh://root@h${i}.example.org:22`, i % 3 === 0 ? 'x'.repeat(i % 40) : '']);
    const trim = (s: string): string => s.split('\n').map((l) => l.trimEnd()).join('\n');
    expect(trim(layoutsForTest.renderFast(head, rows))).to.equal(trim(layoutsForTest.renderWithCliTable(head, rows)));
  });

  it('lays out non-ASCII tables (accents, wide, combining characters) as cli-table3 does', () => {
    const head = ['ID', 'AUTHOR', 'ENTITY', 'DATE'];
    const samples = ['é', 'Zoë', '日本語', 'e\u0301te\u0301', 'ｆｕｌｌ', '한국어', 'ascii', '', 'mixé日'];
    const rows = Array.from({ length: 60 }, (_, i) => [String(i), samples[i % samples.length] ?? '', (samples[(i * 7) % samples.length] ?? '').repeat(i % 4), `${i} minutes ago`]);
    const trim = (s: string): string => s.split('\n').map((l) => l.trimEnd()).join('\n');
    expect(trim(layoutsForTest.renderFast(head, rows))).to.equal(trim(layoutsForTest.renderWithCliTable(head, rows)));
  });

  it('renders non-ASCII cells in linear time (12,000 rows, long accented and wide cells)', () => {
    const rows = Array.from({ length: 12_000 }, (_, i) => [String(i), i === 5 ? 'é' : 'admin', 'auth', i % 100 === 0 ? 'é'.repeat(1000) : 'failure', '日本'.repeat(i % 50)]);
    const start = performance.now();
    const text = renderTable({ columns: ['ID', 'Author', 'Action', 'Entity', 'Args'], noun: 'events', rows });
    expect(performance.now() - start).to.be.below(2000);
    expect(text.split('\n')).to.have.length(12_003);
    const widths = text.split('\n').slice(1, 3).map((l) => l.indexOf('auth'));
    expect(widths[0]).to.equal(widths[1]);
  });

  it('renders 10,000 rows quickly', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => [String(i), `host${i}`, `ssh://root@host${i}.example.org:22`, 'default']);
    const start = performance.now();
    const text = renderTable({ columns: ['ID', 'Name', 'URL', 'Key'], noun: 'hosts', rows });
    expect(performance.now() - start).to.be.below(2000);
    expect(text.split('\n')).to.have.length(10_003);
  });
});

describe('shell: JSON renderer', () => {
  it('writes indented JSON with ISO dates', () => {
    expect(renderJson([{ ID: 1, At: new Date('2024-01-02T03:04:05.006Z') }])).to.equal('[\n  {\n    "ID": 1,\n    "At": "2024-01-02T03:04:05.006Z"\n  }\n]\n');
  });
  it('writes compact JSON on demand', () => {
    expect(renderJson({ a: [1, null] }, true)).to.equal('{"a":[1,null]}\n');
  });
});

describe('shell: JSON in pieces (config backup)', () => {
  const host = (i: number): Record<string, unknown> => ({ ID: i, Name: `host${i}`, URL: `ssh://root@h${i}:22`, Groups: [{ ID: 1, Name: 'all' }], At: new Date(i * 1000), Note: 'line\nbreak "quoted"' });
  const hosts = Array.from({ length: 2_000 }, (_, i) => host(i));
  const cases: { name: string; value: unknown }[] = [
    { name: 'an empty object', value: {} },
    { name: 'an empty array', value: [] },
    { name: 'null, a string, a number', value: [null, 'x', 1.5] },
    { name: 'undefined alone', value: undefined },
    { name: 'a date alone', value: new Date(0) },
    { name: 'a boxed string and a date in a document', value: { s: Object('ab') as unknown, d: new Date(5), m: new Map([[1, 2]]) } },
    { name: 'members without a JSON form (left out) and elements without one (null)', value: { a: undefined, b: () => 1, c: [undefined, () => 1, 2], d: Array.from({ length: 40 }, (_, i) => (i % 2 ? undefined : i)) } },
    { name: 'a document of empty and short lists', value: { keys: [], hosts: [host(1)], events: null, date: 'now', audit_keys: undefined } },
    { name: 'a document whose first member has no JSON form', value: { skipped: undefined, hosts: hosts.slice(0, 40) } },
    { name: 'a backup-like document: long lists, a group of 2,000 hosts, a key of 40', value: {
      keys: [{ ID: 1, Hosts: hosts.slice(0, 40) }], hosts, host_groups: [{ ID: 1, Name: 'all', Hosts: hosts, ACLs: [] }, { ID: 2, Hosts: [] }], date: 'd',
    } },
    { name: 'a long array of long arrays', value: Array.from({ length: 40 }, (_, i) => Array.from({ length: 40 + i }, (_v, j) => ({ j }))) },
    { name: 'a sparse long array (holes are null)', value: { list: Object.assign(new Array<unknown>(40), { 3: 'x' }) } },
    { name: 'a long array with a toJSON of its own', value: { list: Object.assign(Array.from({ length: 40 }, (_, i) => i), { toJSON: () => 'whole' }) } },
    { name: 'an object held in a long array, holding one', value: [{ deep: { list: Array.from({ length: 50 }, (_, i) => i) } }, ...Array.from({ length: 40 }, () => ({ x: [1] }))] },
  ];
  const collect = async (value: unknown, compact = false): Promise<string[]> => {
    const pieces: string[] = [];
    for await (const piece of jsonChunks(value, compact)) pieces.push(piece);
    return pieces;
  };
  for (const c of cases) {
    for (const compact of [false, true]) {
      it(`${c.name} (${compact ? 'compact' : 'indented'}): the pieces joined are renderJson's text`, async () => {
        expect((await collect(c.value, compact)).join('')).to.equal(renderJson(c.value, compact));
      });
    }
  }

  /** `items` as a streamed list, counting how many were asked for. */
  const streamed = <T>(items: readonly T[]): { list: AsyncIterable<T>; asked: () => number } => {
    let asked = 0;
    async function* list(): AsyncGenerator<T> {
      for (const item of items) {
        asked++;
        await Promise.resolve();
        yield item;
      }
    }
    return { list: list(), asked: () => asked };
  };
  const streamedCases: { name: string; value: (s: typeof streamed) => unknown; same: unknown }[] = [
    { name: 'a streamed list as a document member', value: (s) => ({ hosts: [host(1)], events: s(hosts.slice(0, 50)).list, date: 'd' }), same: { hosts: [host(1)], events: hosts.slice(0, 50), date: 'd' } },
    { name: 'an empty streamed list, and one of one element', value: (s) => ({ events: s([]).list, sessions: s([host(2)]).list }), same: { events: [], sessions: [host(2)] } },
    { name: 'a streamed list alone, and elements without a JSON form (null)', value: (s) => s([1, undefined, 'x']).list, same: [1, null, 'x'] },
    { name: 'a streamed list nested deep in a short list', value: (s) => ({ a: [{ b: s([{ c: 1 }, { c: 2 }]).list }] }), same: { a: [{ b: [{ c: 1 }, { c: 2 }] }] } },
  ];
  for (const c of streamedCases) {
    for (const compact of [false, true]) {
      it(`${c.name} (${compact ? 'compact' : 'indented'}): written as the array of its elements`, async () => {
        expect((await collect(c.value(streamed), compact)).join('')).to.equal(renderJson(c.same, compact));
      });
    }
  }

  it('asks a streamed list for its elements only as its pieces are taken', async () => {
    const s = streamed(hosts);
    const pieces = jsonChunks({ keys: [], events: s.list, date: 'd' });
    let taken = '';
    for await (const piece of pieces) {
      taken += piece;
      if (taken.includes('"Name": "host9"')) break;
    }
    // The tenth host was the last one asked for; leaving early asked for no more.
    expect(s.asked()).to.equal(10);
  });

  it('writes a group of 2,000 hosts in pieces of one host at most', async () => {
    const pieces = await collect({ host_groups: [{ ID: 1, Hosts: hosts }] });
    const longest = Math.max(...pieces.map((p) => p.length));
    expect(pieces.length).to.be.above(2_000);
    // One host, indented four levels deep, and the separator before it: never the group, nor the list.
    expect(longest).to.be.at.most(2 * renderJson(host(1999)).length);
  });
});
