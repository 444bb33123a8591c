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
  /** `watch:ID` / `join:ID`: an admin views (or types into) a live PTY session. */
  | { kind: 'live'; mode: 'watch' | 'join'; session: string }
  | { kind: 'host'; target: string };

/** The login names that have a fixed meaning. */
export interface LoginNames {
  configUser: string;
  healthcheckUser: string;
}

/**
 * Classifies an SSH login name (sshportal's forms): the healthcheck user,
 * `invite:TOKEN`, `peer:NODE` (the node link), `host-invite:TOKEN` and
 * `tunnel:NAME` (reverse-tunnel connectors), `watch:ID` / `join:ID` (live
 * sessions), the config user, or else a host
 * name or id. Pure.
 */
export function classifyLogin(username: string, names: LoginNames): LoginKind {
  if (username === names.healthcheckUser) return { kind: 'healthcheck' };
  if (username.startsWith('invite:')) return { kind: 'invite', token: username.slice('invite:'.length) };
  if (username.startsWith('host-invite:')) return { kind: 'tunnel-invite', token: username.slice('host-invite:'.length) };
  if (username.startsWith('tunnel:')) return { kind: 'tunnel', host: username.slice('tunnel:'.length) };
  if (username.startsWith('peer:')) return { kind: 'peer', node: username.slice('peer:'.length) };
  if (username.startsWith('watch:')) return { kind: 'live', mode: 'watch', session: username.slice('watch:'.length) };
  if (username.startsWith('join:')) return { kind: 'live', mode: 'join', session: username.slice('join:'.length) };
  if (username === names.configUser) return { kind: 'config' };
  return { kind: 'host', target: username };
}

/** Where an authenticated user's login leads. */
export type UserLogin = { kind: 'shell' } | { kind: 'host'; target: string } | { kind: 'live'; mode: 'watch' | 'join'; session: string };

/**
 * Where a user's login leads once the user is known: the config user, and a
 * login equal to the user's own name (`ssh alice@portal` for alice, as in
 * sshportal), open the admin shell; any other name is a host. Null for logins
 * that are no user's (healthcheck, invite, peer, connectors). Pure.
 */
export function userLogin(login: LoginKind, userName: string): UserLogin | null {
  switch (login.kind) {
    case 'config':
      return { kind: 'shell' };
    case 'host':
      return login.target === userName ? { kind: 'shell' } : { kind: 'host', target: login.target };
    case 'live':
      return { kind: 'live', mode: login.mode, session: login.session };
    case 'healthcheck':
    case 'invite':
    case 'peer':
    case 'tunnel-invite':
    case 'tunnel':
      return null;
    default: {
      const never: never = login;
      return never;
    }
  }
}
