import { expect } from 'chai';
import { parseGlobalRequest } from '../../../lib/ssh/global-requests.js';

describe('ssh/global-requests parse', () => {
  const cases: Array<[string, unknown, unknown]> = [
    ['tcpip-forward', { bindAddr: 'localhost', bindPort: 0 }, { name: 'tcpip-forward', address: 'localhost', port: 0 }],
    ['cancel-tcpip-forward', { bindAddr: '', bindPort: 8080 }, { name: 'cancel-tcpip-forward', address: '', port: 8080 }],
    ['streamlocal-forward@openssh.com', { socketPath: '/tmp/s' }, { name: 'streamlocal-forward@openssh.com', socketPath: '/tmp/s' }],
    ['cancel-streamlocal-forward@openssh.com', { socketPath: '/tmp/s' }, { name: 'cancel-streamlocal-forward@openssh.com', socketPath: '/tmp/s' }],
    ['tcpip-forward', { bindAddr: 'x' }, undefined],
    ['tcpip-forward', null, undefined],
    ['something-else', {}, undefined],
  ];
  for (const [name, info, expected] of cases) {
    it(`${name} ${JSON.stringify(info)}`, () => expect(parseGlobalRequest(name, info)).to.deep.equal(expected));
  }
});
