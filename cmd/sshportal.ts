#!/usr/bin/env node
// First, before anything loads ssh2: its packets' padding comes from a pool (lib/ssh/padding-pool.ts).
import '../lib/ssh/padding-pool.js';
// Likewise its curve25519 key exchange moves keys as raw bytes (lib/ssh/kex-keys.ts).
import '../lib/ssh/kex-keys.js';
import { Command, CommanderError, Option } from 'commander';
import { AppError, userMessage } from '../lib/errors.js';
import { readVersion } from '../lib/version.js';
import { parseAddr, probe } from './healthcheck.js';
import { runServer } from './server.js';
import { runVerify, type VerifyFlags } from './verify.js';

const version = readVersion();

/** Exit code for bad flags and configuration (as getopt-style tools use). */
const usageExit = 2;

function fail(message: string, code: number): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

function buildProgram(): Command {
  const program = new Command('sshportal')
    .description('SSH bastion with a built-in admin shell')
    .version(version, '-v, --version')
    .exitOverride()
    .showHelpAfterError(false);

  program.command('server')
    .description('start the SSH server')
    .option('-b, --bind-address <addr>', 'SSH listen address [$SSHPORTAL_BIND] (default ":2222")')
    .addOption(new Option('--db-driver <driver>', 'database driver: sqlite3 or mysql [$SSHPORTAL_DB_DRIVER] (default "sqlite3")'))
    .option('--db-conn <conn>', 'SQLite path or MySQL DSN [$SSHPORTAL_DATABASE_URL] (default "./sshportal.db")')
    .option('-D, --debug', 'debug logging [$SSHPORTAL_DEBUG]')
    .option('--aes-key <key>', 'encrypt secrets in the database with this key (16, 24 or 32 chars) [$SSHPORTAL_AES_KEY] (prefer the env var: ps shows flags)')
    .option('--aes-key-previous <key>', 'the key being replaced: re-encrypt every secret with --aes-key at start-up [$SSHPORTAL_AES_KEY_PREVIOUS]')
    .option('--logs-location <dir>', 'where session recordings go [$SSHPORTAL_LOGS_LOCATION] (default "./log")')
    .option('--idle-timeout <duration>', 'close connections idle for this long, e.g. 30m (default 0: never)')
    .option('--acl-check-cmd <path>', 'external ACL check program [$SSHPORTAL_ACL_CHECK_CMD]')
    .option('--config-user <name>', 'login name of the admin shell (default "admin")')
    .option('--healthcheck-user <name>', 'login name that answers OK (default "healthcheck")')
    .option('--invite-ttl <duration>', 'how long invite tokens stay valid [$SSHPORTAL_INVITE_TTL] (default "168h")')
    .option('--log-format <format>', 'text or json [$SSHPORTAL_LOG_FORMAT] (default "text")')
    .option('--node-name <name>', 'this node\'s name in a cluster [$SSHPORTAL_NODE_NAME] (default: hostname)')
    .option('--node-address <host:port>', 'where the other nodes of a cluster reach this one [$SSHPORTAL_NODE_ADDRESS] (default: the --bind-address host with the bound port; required on MySQL when it is a wildcard)')
    .option('--ciphers <list>', 'ciphers offered to clients, comma-separated [$SSHPORTAL_CIPHERS] (default: AES-GCM, then AES-CTR; chacha20-poly1305@openssh.com may be added)')
    .option('--login-grace-time <duration>', 'drop connections not authenticated within this time [$SSHPORTAL_LOGIN_GRACE_TIME] (default "2m")')
    .option('--max-startups <n>', 'most concurrent unauthenticated connections; the oldest is dropped past it [$SSHPORTAL_MAX_STARTUPS] (default 256)')
    .option('--max-connections <n>', 'most concurrent connections of any kind [$SSHPORTAL_MAX_CONNECTIONS] (default: (open-files limit - 64) / 3, at most 10000)')
    .option('--max-user-connections <n>', 'most concurrent connections of one user (or invite/connector key) [$SSHPORTAL_MAX_USER_CONNECTIONS] (default: --max-connections / 8, at least 8)')
    .option('--drain-timeout <duration>', 'on SIGTERM, refuse new logins, fail healthchecks and wait this long for live sessions to end [$SSHPORTAL_DRAIN_TIMEOUT] (default 0: stop at once)')
    .option('--max-auth-tries <n>', 'authentication attempts per connection [$SSHPORTAL_MAX_AUTH_TRIES] (default 10)')
    .option('--max-auth-failures <n>', 'failed logins per address and minute before a cool-down [$SSHPORTAL_MAX_AUTH_FAILURES] (default 20)')
    .option('--auth-cooldown <duration>', 'how long an address stays refused after too many failures [$SSHPORTAL_AUTH_COOLDOWN] (default "5m")')
    .option('--max-channels <n>', 'channels (sessions and forwards) one connection may hold open at once [$SSHPORTAL_MAX_CHANNELS] (default 128)')
    .option('--max-sessions <n>', 'session channels one connection may hold open at once [$SSHPORTAL_MAX_SESSIONS] (default 10)')
    .option('--metrics-address <addr>', 'serve Prometheus metrics on http://<addr>/metrics, e.g. 127.0.0.1:9100 [$SSHPORTAL_METRICS_ADDRESS] (default: off)')
    .option('--db-timeout <duration>', 'longest a database query may take before "database unavailable" [$SSHPORTAL_DB_TIMEOUT] (default "5s")')
    .option('--trusted-proxies <cidrs>', 'load balancers (CIDRs, comma-separated) whose connections must open with a PROXY protocol v1/v2 header naming the client [$SSHPORTAL_TRUSTED_PROXIES] (default: off)')
    .action(async (flags: Record<string, unknown>) => {
      await runServer(flags, version);
    });

  program.command('healthcheck')
    .description('exit 0 when the portal at --addr answers OK')
    .option('-a, --addr <host:port>', 'portal address', 'localhost:2222')
    .option('-w, --wait', 'retry every second until healthy')
    .option('-q, --quiet', 'print nothing')
    .option('--user <name>', 'healthcheck login name', 'healthcheck')
    .action(async (flags: { addr: string; wait?: boolean; quiet?: boolean; user: string }) => {
      const addr = parseAddr(flags.addr);
      for (;;) {
        const problem = await probe({ ...addr, user: flags.user, timeoutMs: 5_000 });
        if (problem === null) {
          if (!flags.quiet) process.stdout.write('OK\n');
          return;
        }
        if (!flags.wait) {
          if (!flags.quiet) process.stderr.write(`error: unhealthy: ${problem}\n`);
          process.exitCode = 1;
          return;
        }
        await new Promise((r) => setTimeout(r, 1_000));
      }
    });
  program.command('verify')
    .description('check the audit trail offline: event hash chain, signed checkpoints, recordings; exit 1 when something was altered')
    .addOption(new Option('--db-driver <driver>', 'database driver: sqlite3 or mysql [$SSHPORTAL_DB_DRIVER] (default "sqlite3")'))
    .option('--db-conn <conn>', 'SQLite path or MySQL DSN [$SSHPORTAL_DATABASE_URL] (default "./sshportal.db")')
    .option('--logs-location <dir>', 'where the recordings are (looked up by file name) [$SSHPORTAL_LOGS_LOCATION] (default: the paths stored in the database)')
    .option('--public-key <file>', 'trust only this audit public key (PEM, from `config audit-key`) (default: the keys stored in the database)')
    .option('--head <seq:hash>', 'fail unless the chain still holds this head, printed after `head:` by an earlier verify and kept outside the portal')
    .action(async (flags: VerifyFlags) => {
      process.exitCode = await runVerify(flags, process.env, (s) => process.stdout.write(s));
    });
  return program;
}

async function main(): Promise<void> {
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
      process.exit(usageExit);
    }
    if (err instanceof AppError && err.code === 'config') fail(err.message, usageExit);
    fail(userMessage(err) === 'internal error' ? `cannot start: ${err instanceof Error ? err.message : String(err)}` : userMessage(err), 1);
  }
}

await main();
