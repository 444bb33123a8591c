import { expect } from 'chai';
import { defaultMaxConnections, openFilesShortfall, parseOpenFilesLimit } from '../../../lib/server/connection-limit.js';

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

describe('server: openFilesShortfall (the warning at start)', () => {
  const explicit = (maxConnections: number): { maxConnections: number; explicit: boolean; maxStartups: number } => ({ maxConnections, explicit: true, maxStartups: 256 });
  const sized = (openFiles: number): { maxConnections: number; explicit: boolean; maxStartups: number } => ({ maxConnections: defaultMaxConnections(openFiles), explicit: false, maxStartups: 256 });
  const cases: [string, number | null, ReturnType<typeof explicit>, RegExp | null][] = [
    ['limit unknown', null, explicit(100_000), null],
    ['explicit cap that fits', 20_000, explicit(5_000), null],
    ['explicit cap exactly at the limit', 3_064, explicit(1_000), null],
    ['explicit cap one descriptor short', 3_063, explicit(1_000), /open-files limit 3063 is below the 3064 descriptors --max-connections 1000/],
    ['explicit cap far above the limit', 1_024, explicit(2_000), /lower --max-connections/],
    ['sized from 20000', 20_000, sized(20_000), null],
    ['sized from 1024 (320 ≥ --max-startups 256)', 1_024, sized(1_024), null],
    ['sized from 832 (256 = --max-startups)', 832, sized(832), null],
    ['sized from 831 (255 < --max-startups)', 831, sized(831), /caps connections at 255, below --max-startups 256/],
    ['sized at the floor', 64, sized(64), /LimitNOFILE/],
    ['unlimited', Number.POSITIVE_INFINITY, explicit(10_000), null],
  ];
  for (const [name, openFiles, limits, want] of cases) {
    it(name, () => {
      const got = openFilesShortfall(openFiles, limits);
      if (want === null) expect(got).to.equal(null);
      else expect(got).to.match(want);
    });
  }
});
