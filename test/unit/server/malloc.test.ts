import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { MALLOC_TUNING, mallocUntuned, onGlibc } from '../../../lib/server/malloc.js';

describe('server/malloc: glibc malloc tuning, which only the starting environment sets', () => {
  const cases: [string, Record<string, string | undefined>, boolean, string[]][] = [
    ['nothing set, glibc', {}, true, ['MALLOC_TRIM_THRESHOLD_=67108864', 'MALLOC_TOP_PAD_=16777216']],
    ['both set, glibc', { ...MALLOC_TUNING }, true, []],
    ['one set, glibc: the other is named', { MALLOC_TRIM_THRESHOLD_: '67108864' }, true, ['MALLOC_TOP_PAD_=16777216']],
    ['set to other values: the operator chose them', { MALLOC_TRIM_THRESHOLD_: '1', MALLOC_TOP_PAD_: '0' }, true, []],
    ['set through GLIBC_TUNABLES', { GLIBC_TUNABLES: 'glibc.malloc.top_pad=0:glibc.malloc.trim_threshold=1048576' }, true, []],
    ['GLIBC_TUNABLES with other tunables only', { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, true, ['MALLOC_TRIM_THRESHOLD_=67108864', 'MALLOC_TOP_PAD_=16777216']],
    ['nothing set, another C library: nothing to say', {}, false, []],
  ];
  for (const [name, env, glibc, want] of cases) {
    it(name, () => expect(mallocUntuned(env, glibc)).to.deep.equal(want));
  }

  it('knows this machine\'s C library (glibc on Debian, where CI runs)', () => {
    expect(onGlibc()).to.equal(process.platform === 'linux' && typeof (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime === 'string');
  });

  it('the Docker image and the example systemd unit set the same environment', () => {
    const docker = readFileSync('Dockerfile', 'utf8');
    const unit = readFileSync('examples/systemd/sshportal.service', 'utf8');
    for (const [name, value] of Object.entries(MALLOC_TUNING)) {
      expect(docker).to.match(new RegExp(`^(ENV |\\s+)${name}=${value}\\b`, 'm'));
      expect(unit).to.match(new RegExp(`^Environment=${name}=${value}$`, 'm'));
    }
  });
});
