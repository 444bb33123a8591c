import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { DbConfig } from '../../lib/config/server-config.js';

/** Where the tests' MariaDB lives (the machine's own, root without password). */
export const mariaAddr = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

/** Whether MariaDB answers on 127.0.0.1:3306. */
export async function mariadbAvailable(): Promise<boolean> {
  try {
    const c = await mysql.createConnection({ ...mariaAddr, connectTimeout: 2000 });
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** A fresh, empty database for one suite; `drop()` removes it. */
export async function freshMariaDb(): Promise<{ config: DbConfig; name: string; dsn: string; drop: () => Promise<void> }> {
  const name = `sshportal_test_${randomBytes(6).toString('hex')}`;
  const c = await mysql.createConnection({ ...mariaAddr });
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await c.end();
  return {
    name,
    dsn: `root@tcp(127.0.0.1:3306)/${name}?parseTime=true`,
    config: { driver: 'mysql', conn: { ...mariaAddr, database: name, tls: 'off' } },
    drop: async () => {
      const d = await mysql.createConnection({ ...mariaAddr });
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await d.end();
    },
  };
}
