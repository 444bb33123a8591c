/**
 * No Docker engine runs here: the cluster example is checked statically. The
 * compose file must parse, wire HAProxy (TCP) → two portal nodes → MariaDB,
 * and only use env vars, ports and paths that the config code, the Dockerfile
 * and the README agree on.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { cidrContains, parseCidr } from '../../../lib/config/cidr.js';
import { resolveServerConfig } from '../../../lib/config/server-config.js';
import { HAPROXY_PATH, requireHaproxy } from '../../support/haproxy.js';
import { runProcess } from '../../support/process.js';
import { tempDir } from '../../support/tmp.js';

const root = process.cwd();
const dir = join(root, 'examples/mysql');
const read = (p: string): string => readFileSync(p, 'utf8');

type Dict = Record<string, unknown>;
const dict = (v: unknown, what: string): Dict => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${what} is not a mapping`);
  return v as Dict;
};
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** `${VAR:?msg}` / `${VAR:-default}` interpolation as compose does it, with `vars`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::?[-?][^}]*)?\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`compose needs \${${name}}`);
    return v;
  });
}

describe('ops: examples/mysql compose file, cross-checked with the Dockerfile, config and README', () => {
  const compose = dict(parse(read(join(dir, 'docker-compose.yml')), { merge: true }), 'compose file');
  const services = dict(compose.services, 'services');
  const portals = ['portal1', 'portal2'];
  const env = (name: string): Record<string, string> => {
    const e = dict(dict(services[name], name).environment, `${name}.environment`);
    return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
  };
  const dockerfile = read(join(root, 'Dockerfile'));
  const configSource = read(join(root, 'lib/config/server-config.ts'));
  const knownEnv = new Set([...configSource.matchAll(/env\.(SSHPORTAL_[A-Z_]+)/g)].map((m) => m[1]));
  const aesKey = 'k'.repeat(32);

  it('runs MariaDB, two portal nodes and HAProxy', () => {
    expect(Object.keys(services)).to.have.members(['mariadb', ...portals, 'haproxy']);
    expect(String(dict(services.mariadb, 'mariadb').image)).to.match(/^mariadb:/);
    expect(String(dict(services.haproxy, 'haproxy').image)).to.match(/^haproxy:/);
    expect(dict(services.haproxy, 'haproxy').ports).to.deep.equal(['2222:2222']);
  });

  it('builds each node from the repository Dockerfile, after MariaDB is healthy', () => {
    for (const name of portals) {
      const s = dict(services[name], name);
      const build = dict(s.build, `${name}.build`);
      expect(existsSync(resolve(dir, String(build.context), String(build.dockerfile)))).to.equal(true);
      expect(dict(dict(s.depends_on, 'depends_on').mariadb, 'mariadb dep').condition).to.equal('service_healthy');
    }
  });

  it('uses only env vars the server reads, the same AES key and distinct node names', () => {
    expect(knownEnv.size).to.be.greaterThan(10);
    for (const name of portals) for (const k of Object.keys(env(name))) expect(knownEnv, `${name}: ${k}`).to.include(k);
    const [a, b] = portals.map(env);
    expect(a?.SSHPORTAL_AES_KEY).to.equal(b?.SSHPORTAL_AES_KEY);
    expect(a?.SSHPORTAL_NODE_NAME).to.not.equal(b?.SSHPORTAL_NODE_NAME);
    for (const name of portals) expect(env(name).SSHPORTAL_NODE_NAME).to.equal(name);
  });

  it('gives each node a configuration the server accepts, pointing at the compose MariaDB', () => {
    const db = env('mariadb');
    for (const name of portals) {
      const vars = Object.fromEntries(Object.entries(env(name)).map(([k, v]) => [k, interpolate(v, { SSHPORTAL_AES_KEY: aesKey })]));
      const config = resolveServerConfig({}, vars, 'unused');
      if (config.db.driver !== 'mysql') throw new Error('expected the mysql driver');
      expect(config.db.conn).to.include({ host: 'mariadb', port: 3306, user: db.MARIADB_USER, password: db.MARIADB_PASSWORD, database: db.MARIADB_DATABASE });
      expect(config.aesKey?.reveal()).to.equal(aesKey);
      expect(config.nodeName).to.equal(name);
      expect(config.listen.port).to.equal(2222);
      expect(strings(dict(services[name], name).expose)).to.include.members([String(config.listen.port), String(config.metricsListen?.port)]);
    }
  });

  it('refuses to start without an AES key rather than running nodes with different keys', () => {
    expect(() => interpolate(env('portal1').SSHPORTAL_AES_KEY ?? '', {})).to.throw(/SSHPORTAL_AES_KEY/);
  });

  it('mounts each node volume where the Dockerfile declares it', () => {
    const volume = /^VOLUME \["([^"]+)"\]/m.exec(dockerfile)?.[1];
    expect(volume).to.equal('/var/lib/sshportal');
    for (const name of portals) expect(strings(dict(services[name], name).volumes)).to.deep.equal([`${name}:${volume}`]);
    expect(Object.keys(dict(compose.volumes, 'volumes'))).to.include.members(['mariadb', ...portals]);
  });

  it('has a Dockerfile that is multi-stage, non-root, with a healthcheck through `sshportal healthcheck`', () => {
    expect(dockerfile.match(/^FROM /gm)).to.have.length.at.least(2);
    expect(/^USER (\S+)/m.exec(dockerfile)?.[1]).to.not.match(/^(root|0)$/);
    expect(dockerfile).to.match(/^HEALTHCHECK [\s\S]*?dist\/cmd\/sshportal\.js", "healthcheck"/m);
    expect(/^EXPOSE (\d+)/m.exec(dockerfile)?.[1]).to.equal('2222');
    // An init reaps orphans (Node as PID 1 does not): the runtime stage installs tini and runs the portal under it.
    expect(dockerfile).to.match(/^RUN apt-get update && apt-get install -y --no-install-recommends tini /m);
    expect(dockerfile).to.match(/^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "\/app\/dist\/cmd\/sshportal\.js"\]$/m);
    for (const m of dockerfile.matchAll(/\b(SSHPORTAL_[A-Z_]+)=/g)) expect(knownEnv).to.include(m[1]);
  });

  it('balances in TCP mode over every portal node on its SSH port', () => {
    const cfg = read(join(dir, 'haproxy.cfg'));
    const mount = strings(dict(services.haproxy, 'haproxy').volumes)[0] ?? '';
    expect(mount).to.match(/^\.\/haproxy\.cfg:\/usr\/local\/etc\/haproxy\/haproxy\.cfg/);
    expect(cfg).to.match(/^\s*mode tcp$/m);
    expect(cfg).to.match(/^\s*bind :2222$/m);
    const servers = [...cfg.matchAll(/^\s*server (\S+) (\S+):(\d+)/gm)].map((m) => [m[1], m[2], m[3]]);
    expect(servers).to.deep.equal(portals.map((p) => [p, p, '2222']));
  });

  it('introduces every client with a PROXY v2 header that the nodes trust from HAProxy alone', () => {
    const cfg = read(join(dir, 'haproxy.cfg'));
    const serverLines = cfg.split('\n').filter((l) => /^\s*server /.test(l));
    for (const l of serverLines) expect(l, l).to.match(/\ssend-proxy-v2(\s|$)/);
    // Health checks need a header too, or the nodes refuse them.
    expect(cfg).to.match(/^\s*tcp-check connect send-proxy$/m);
    // A draining node greets with "SSH-2.0-sshportal draining": the check must fail on that comment.
    expect(cfg).to.include('tcp-check expect rstring ^SSH-2\\.0-[^\\ \\r]*\\r\n');
    const haproxy = dict(services.haproxy, 'haproxy');
    const address = String(dict(dict(haproxy.networks, 'haproxy.networks').default, 'haproxy network').ipv4_address);
    const ipam = dict(dict(dict(compose.networks, 'networks').default, 'default network').ipam, 'ipam');
    const subnet = parseCidr(String(dict((ipam.config as unknown[])[0], 'ipam config').subnet));
    expect(subnet && cidrContains(subnet, address), `${address} in the compose subnet`).to.equal(true);
    for (const name of portals) {
      const vars = Object.fromEntries(Object.entries(env(name)).map(([k, v]) => [k, interpolate(v, { SSHPORTAL_AES_KEY: aesKey })]));
      const trusted = resolveServerConfig({}, vars, 'unused').trustedProxies;
      expect(trusted.some((r) => cidrContains(r, address)), `${name} trusts HAProxy`).to.equal(true);
      // Only HAProxy: a neighbour container must not be able to claim an address.
      expect(trusted.some((r) => cidrContains(r, '172.30.0.11')), `${name} trusts only HAProxy`).to.equal(false);
    }
  });

  it('has an haproxy.cfg the real HAProxy accepts', async function () {
    requireHaproxy(this);
    const tmp = tempDir('sshportal-haproxy-cfg-');
    try {
      // The node names only resolve inside compose: check the same file with loopback addresses.
      const cfg = read(join(dir, 'haproxy.cfg')).replace(/\b(portal\d):2222/g, '127.0.0.1:2222');
      writeFileSync(join(tmp.path, 'haproxy.cfg'), cfg);
      const r = await runProcess(HAPROXY_PATH, ['-c', '-f', join(tmp.path, 'haproxy.cfg')]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
    } finally {
      tmp.remove();
    }
  });

  it('is documented in the README with the env vars it uses', () => {
    const readme = read(join(root, 'README.md'));
    expect(readme).to.include('examples/mysql');
    expect(readme).to.match(/docker compose .*up/);
    for (const name of portals) for (const k of Object.keys(env(name))) expect(readme, k).to.include(k);
  });
});
