import { expect } from 'chai';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideAccess, type AccessRequest } from '../../../lib/acl/decide.js';
import { POLICY_DEFAULTS } from '../../../lib/acl/policy.js';
import { tempDir, type TempDir } from '../../support/keys.js';

describe('acl/decide: which policy applies once --acl-check-cmd answered', () => {
  let tmp: TempDir;
  const hook = (answer: string): string => {
    const path = join(tmp.path, `${answer}.sh`);
    writeFileSync(path, `#!/bin/sh\necho ${answer}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  before(() => { tmp = tempDir(); });
  after(() => tmp.remove());

  const request = (action: 'allow' | 'deny'): AccessRequest => ({
    user: { id: 1, name: 'alice', email: 'a@x', groups: [{ id: 1, name: 'ug' }] },
    host: { id: 2, name: 'web', addr: 'web:22', user: 'root', groups: [{ id: 10, name: 'hg' }] },
    acls: [{ id: 4, action, weight: 0, userGroupIds: [1], hostGroupIds: [10], policy: { ...POLICY_DEFAULTS, x11: 'no' } }],
    now: new Date(),
  });

  const cases: Array<[string, 'allow' | 'deny', string | null, 'allow' | 'deny', number | null, boolean]> = [
    ['no hook: the decisive ACL\'s policy', 'allow', null, 'allow', 4, false],
    ['the hook agrees: still the ACL\'s policy', 'allow', 'allow', 'allow', 4, false],
    ['the hook overturns a deny: no ACL won, the defaults', 'deny', 'allow', 'allow', null, true],
    ['the hook overturns an allow: denied', 'allow', 'deny', 'deny', null, true],
  ];
  for (const [name, aclAction, answer, action, aclId, x11] of cases) {
    it(name, async () => {
      const d = await decideAccess(request(aclAction), answer === null ? null : hook(answer));
      expect(d.action).to.equal(action);
      expect(d.policy.aclId).to.equal(aclId);
      expect(d.policy.policy.x11).to.equal(x11);
    });
  }
});
