import { expect } from 'chai';
import { renderJson } from '../../../lib/shell/render/json.js';
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
