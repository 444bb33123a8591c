/** What a login name asks for, before authentication. */
export type LoginKind =
  | { kind: 'healthcheck' }
  | { kind: 'invite'; token: string }
  /** Another portal node opening the node link; only the cluster key may log in so. */
  | { kind: 'peer'; node: string }
  /** A reverse-tunnel connector enrolling with a host invite (`host-invite:TOKEN`). */
  | { kind: 'tunnel-invite'; token: string }
  /** A reverse-tunnel connector of host `host` (`tunnel:NAME`); only its connector keys may log in so. */
  | { kind: 'tunnel'; host: string }
  | { kind: 'config' }
  | { kind: 'host'; target: string };

/** The login names that have a fixed meaning. */
export interface LoginNames {
  configUser: string;
  healthcheckUser: string;
}

/**
 * Classifies an SSH login name (sshportal's forms): the healthcheck user,
 * `invite:TOKEN`, `peer:NODE` (the node link), `host-invite:TOKEN` and
 * `tunnel:NAME` (reverse-tunnel connectors), the config user, or else a host
 * name or id. Pure.
 */
export function classifyLogin(username: string, names: LoginNames): LoginKind {
  if (username === names.healthcheckUser) return { kind: 'healthcheck' };
  if (username.startsWith('invite:')) return { kind: 'invite', token: username.slice('invite:'.length) };
  if (username.startsWith('host-invite:')) return { kind: 'tunnel-invite', token: username.slice('host-invite:'.length) };
  if (username.startsWith('tunnel:')) return { kind: 'tunnel', host: username.slice('tunnel:'.length) };
  if (username.startsWith('peer:')) return { kind: 'peer', node: username.slice('peer:'.length) };
  if (username === names.configUser) return { kind: 'config' };
  return { kind: 'host', target: username };
}
