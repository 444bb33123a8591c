import { expect } from 'chai';
import { LineEditor, utf8Bytes, type EditResult } from '../../../lib/shell/editor.js';
import type { Key } from '../../../lib/shell/keys.js';

type K = Key['kind'];
const t = (text: string): Key => ({ kind: 'text', text });
const k = (kind: Exclude<K, 'text'>): Key => ({ kind });

/** A completer over a fixed word list (the real one is tested with the completion tree). */
const words = ['hostgroup', 'host', 'hostile', 'user'];
const completer = (before: string): [string[], string] => {
  const word = before.split(' ').pop() ?? '';
  const hits = words.filter((w) => w.startsWith(word));
  return [hits.length === 1 ? [`${hits[0]} `] : hits, word];
};

describe('shell: line editor', () => {
  const cases: { keys: Key[]; line: string; cursor?: number; last?: EditResult }[] = [
    { keys: [t('abc')], line: 'abc', last: { kind: 'append', text: 'abc' } },
    { keys: [t('abc'), k('left'), t('X')], line: 'abXc', cursor: 3, last: { kind: 'redraw' } },
    { keys: [t('abc'), k('home'), k('delete')], line: 'bc', cursor: 0 },
    { keys: [t('abc'), k('backspace')], line: 'ab' },
    { keys: [k('backspace'), k('left'), k('delete')], line: '', last: { kind: 'none' } },
    { keys: [t('a😀'), k('backspace')], line: 'a' },
    { keys: [t('😀b'), k('home'), k('right'), k('delete')], line: '😀', cursor: 2 },
    { keys: [t('one two  three'), k('kill-word')], line: 'one two  ' },
    { keys: [t('one two'), k('word-left'), k('word-left'), k('word-right')], line: 'one two', cursor: 3 },
    { keys: [t('one two'), k('word-left'), k('kill-start')], line: 'two', cursor: 0 },
    { keys: [t('one two'), k('word-left'), k('kill-end')], line: 'one ', cursor: 4 },
    { keys: [t('abc'), k('interrupt')], line: '', last: { kind: 'interrupt' } },
    { keys: [k('eof')], line: '', last: { kind: 'eof' } },
    { keys: [t('ab'), k('home'), k('eof')], line: 'b', cursor: 0 },
    { keys: [t('abc'), k('enter')], line: '', last: { kind: 'line', line: 'abc' } },
    { keys: [t('a'), k('enter'), t('b'), k('enter'), k('up')], line: 'b', last: { kind: 'redraw' } },
    { keys: [t('a'), k('enter'), t('b'), k('enter'), t('c'), k('up'), k('up'), k('up'), k('down'), k('down')], line: 'c' },
    { keys: [t('a'), k('enter'), t('a'), k('enter'), k('up'), k('up')], line: 'a', last: { kind: 'none' } },
    { keys: [t(' '), k('enter'), k('up')], line: '', last: { kind: 'none' } },
    { keys: [t('us'), k('tab')], line: 'user ', last: { kind: 'append', text: 'er ' } },
    { keys: [t('ho'), k('tab')], line: 'host', last: { kind: 'append', text: 'st' } },
    { keys: [t('host'), k('tab'), k('tab')], line: 'host', last: { kind: 'list', items: ['hostgroup', 'host', 'hostile'] } },
    { keys: [t('zz'), k('tab')], line: 'zz', last: { kind: 'none' } },
    { keys: [t('x'.repeat(5000)), k('tab')], line: 'x'.repeat(5000), last: { kind: 'none' } },
    { keys: [t('a'.repeat(3000)), k('word-left')], line: 'a'.repeat(3000), cursor: 3000 - 1024 },
    { keys: [t('abc'), k('clear')], line: 'abc', last: { kind: 'clear' } },
  ];
  for (const c of cases) {
    it(c.keys.map((key) => (key.kind === 'text' ? JSON.stringify(key.text.slice(0, 12)) : key.kind)).join(' '), () => {
      const e = new LineEditor(completer);
      let last: EditResult = { kind: 'none' };
      for (const key of c.keys) last = e.apply(key);
      expect(e.line).to.equal(c.line);
      expect(e.cursor).to.equal(c.cursor ?? c.line.length);
      if (c.last) expect(last).to.deep.equal(c.last);
    });
  }

  it('keeps at most 500 history entries', () => {
    const e = new LineEditor(completer);
    for (let i = 0; i < 600; i++) { e.apply(t(`cmd${i}`)); e.apply(k('enter')); }
    let n = 0;
    while (e.apply(k('up')).kind !== 'none') n++;
    expect(n).to.equal(500);
    expect(e.line).to.equal('cmd100');
  });
});

describe('shell: line editor byte count (what the line limit is checked against)', () => {
  for (const text of ['', 'abc', 'é', '日本', '😀', 'a😀é日\u0000']) {
    it(`utf8Bytes(${JSON.stringify(text)})`, () => expect(utf8Bytes(text)).to.equal(Buffer.byteLength(text)));
  }

  const cases: Key[][] = [
    [t('héllo 日本😀')],
    [t('héllo'), k('backspace'), k('backspace')],
    [t('a😀b'), k('left'), k('backspace')],
    [t('日本 語'), k('word-left'), t('é'), k('kill-end')],
    [t('😀😀'), k('home'), k('delete'), t('x')],
    [t('one'), k('enter'), t('tw😀'), k('up')],
    [t('one'), k('enter'), t('tw😀'), k('up'), k('down')],
    [t('abc'), k('interrupt')],
    [t('ab'), k('kill-start'), t('é')],
  ];
  for (const keys of cases) {
    it(keys.map((key) => (key.kind === 'text' ? JSON.stringify(key.text) : key.kind)).join(' '), () => {
      const e = new LineEditor(completer);
      for (const key of keys) {
        e.apply(key);
        expect(e.bytes).to.equal(Buffer.byteLength(e.line));
      }
    });
  }
});
