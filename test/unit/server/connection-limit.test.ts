import { expect } from 'chai';
import { defaultMaxConnections, parseOpenFilesLimit } from '../../../lib/server/connection-limit.js';

describe('server: default --max-connections', () => {
  const cases: [number | null, number][] = [
    [1024, 320],
    [20_000, 6_645],
    [1_048_576, 10_000],
    [Number.POSITIVE_INFINITY, 10_000],
    [256, 64],
    [64, 16],
    [0, 16],
    [null, 320],
  ];
  for (const [openFiles, want] of cases) {
    it(`open-files limit ${String(openFiles)} → ${want}`, () => expect(defaultMaxConnections(openFiles)).to.equal(want));
  }
});

describe('server: parseOpenFilesLimit', () => {
  const limits = (soft: string): string =>
    `Limit                     Soft Limit           Hard Limit           Units     \nMax processes             unlimited            unlimited            processes \n` +
    `Max open files            ${soft.padEnd(20)} 1048576              files     \n`;
  const cases: [string, number | null][] = [
    [limits('20000'), 20_000],
    [limits('unlimited'), Number.POSITIVE_INFINITY],
    ['Max processes  1 1 processes\n', null],
    ['', null],
  ];
  for (const [text, want] of cases) it(`reads ${JSON.stringify(text.slice(-60))}`, () => expect(parseOpenFilesLimit(text)).to.equal(want));
});
