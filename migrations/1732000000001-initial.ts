import {
  type MigrationInterface, type QueryRunner, Table, TableForeignKey, type TableColumnOptions, type TableIndexOptions,
} from 'typeorm';

/**
 * Initial schema: every sshportal table. Frozen: never edit, add a new migration.
 * Driver-neutral (QueryRunner Table API); runs on SQLite and MySQL/MariaDB.
 */

/** A nullable date with milliseconds. */
const date = (name: string): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: true });

/**
 * The columns of gorm's Model. The automatic dates use the driver's own mapping
 * (typeorm's CreateDateColumn/UpdateDateColumn), so entities and schema agree.
 */
const baseColumns = (q: QueryRunner): TableColumnOptions[] => {
  const t = q.connection.driver.mappedDataTypes;
  const mysql = q.connection.driver.options.type !== 'better-sqlite3';
  return [
    { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
    { name: 'created_at', type: String(t.createDate), precision: t.createDatePrecision, default: String(t.createDateDefault) },
    { name: 'updated_at', type: String(t.updateDate), precision: t.updateDatePrecision, default: String(t.updateDateDefault),
      onUpdate: mysql ? String(t.updateDateDefault) : undefined },
    date('deleted_at'),
  ];
};

const str = (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions =>
  ({ name, type: 'varchar', length: String(length), ...extra });
const text = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'text', isNullable });
const int = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable });
const comment = str('comment', 1024, { default: "''" });

/** A named unique index. */
const unique = (table: string, column = 'name'): TableIndexOptions =>
  ({ name: `uq_${table}_${column}`, columnNames: [column], isUnique: true });

const fk = (columnNames: string[], referencedTableName: string, onDelete: string, onUpdate = 'NO ACTION'): TableForeignKey =>
  new TableForeignKey({ columnNames, referencedTableName, referencedColumnNames: ['id'], onDelete, onUpdate });

const joinTable = (name: string, left: string, leftTable: string, right: string, rightTable: string): Table =>
  new Table({
    name,
    columns: [
      { name: left, type: 'integer', isPrimary: true },
      { name: right, type: 'integer', isPrimary: true },
    ],
    indices: [{ columnNames: [left] }, { columnNames: [right] }],
    foreignKeys: [fk([left], leftTable, 'CASCADE', 'CASCADE'), fk([right], rightTable, 'CASCADE', 'CASCADE')],
  });

/** The first schema. */
export class Initial1732000000001 implements MigrationInterface {
  name = 'Initial1732000000001';

  async up(q: QueryRunner): Promise<void> {
    const base = baseColumns(q);
    const named = (name: string, columns: TableColumnOptions[], rest: Partial<Table> = {}): Table =>
      new Table({ name, columns: [...base, str('name', 255), ...columns], indices: [unique(name)], ...rest });

    await q.createTable(named('ssh_keys', [str('type', 32), int('length'), str('fingerprint', 255),
      text('priv_key'), text('pub_key'), comment]));
    await q.createTable(named('hosts', [str('addr', 255), str('user', 255, { default: "''" }), text('password', true),
      str('url', 1024, { default: "''" }), int('ssh_key_id', true), text('host_key', true), comment,
      str('logging', 16, { default: "'everything'" }), int('hop_id', true)],
      { foreignKeys: [fk(['ssh_key_id'], 'ssh_keys', 'RESTRICT'), fk(['hop_id'], 'hosts', 'RESTRICT')] }));
    await q.createTable(named('host_groups', [comment]));
    await q.createTable(named('user_groups', [comment]));
    await q.createTable(named('user_roles', []));
    await q.createTable(named('users', [str('email', 255), comment, str('invite_token', 255, { default: "''" }),
      date('invite_expires_at')]));
    await q.createTable(new Table({
      name: 'user_keys',
      columns: [...base, text('key'), str('fingerprint', 128), text('authorized_key'), int('user_id'), comment],
      indices: [unique('user_keys', 'fingerprint')],
      foreignKeys: [fk(['user_id'], 'users', 'CASCADE')],
    }));
    await q.createTable(new Table({
      name: 'acls',
      columns: [...base, str('host_pattern', 255, { default: "''" }), str('action', 16), { ...int('weight'), default: 0 },
        comment, date('inception'), date('expiration')],
    }));
    await q.createTable(new Table({
      name: 'sessions',
      columns: [...base, date('stopped_at'), str('status', 16), int('user_id', true), int('host_id', true),
        text('err_msg', true), comment, str('node', 255, { default: "''" }), str('remote_addr', 255, { default: "''" }),
        text('recordings', true)],
      indices: [{ name: 'idx_sessions_status', columnNames: ['status'] }],
      foreignKeys: [fk(['user_id'], 'users', 'SET NULL'), fk(['host_id'], 'hosts', 'SET NULL')],
    }));
    await q.createTable(new Table({
      name: 'events',
      columns: [...base, int('author_id', true), str('domain', 64), str('action', 64), str('entity', 255, { default: "''" }),
        text('args', true)],
      foreignKeys: [fk(['author_id'], 'users', 'SET NULL')],
    }));
    await q.createTable(named('settings', [text('value')]));
    await q.createTable(joinTable('host_host_groups', 'host_id', 'hosts', 'host_group_id', 'host_groups'));
    await q.createTable(joinTable('user_user_groups', 'user_id', 'users', 'user_group_id', 'user_groups'));
    await q.createTable(joinTable('user_user_roles', 'user_id', 'users', 'user_role_id', 'user_roles'));
    await q.createTable(joinTable('user_group_acls', 'user_group_id', 'user_groups', 'acl_id', 'acls'));
    await q.createTable(joinTable('host_group_acls', 'host_group_id', 'host_groups', 'acl_id', 'acls'));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['host_group_acls', 'user_group_acls', 'user_user_roles', 'user_user_groups', 'host_host_groups',
      'settings', 'events', 'sessions', 'acls', 'user_keys', 'users', 'user_roles', 'user_groups', 'host_groups', 'hosts', 'ssh_keys']) {
      await q.dropTable(t);
    }
  }
}
