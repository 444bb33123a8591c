import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseRow } from './base.js';
import { fkIndex } from './fk-index.js';
import type { Host } from './host.js';
import type { User } from './user.js';

/**
 * One relayed connection through the portal. `idx_sessions_created` is the
 * order of `session ls` (newest first); `session ls --active` reads the live
 * rows through `idx_sessions_status` and sorts only those.
 */
@Entity('sessions')
@Index('idx_sessions_status', ['status'])
@Index('idx_sessions_created', ['createdAt', 'id'])
export class Session extends BaseRow {
  @Column({ type: 'datetime', precision: 3, name: 'stopped_at', nullable: true })
  stoppedAt: Date | null;

  /** `active`, `closed` or `unknown`. */
  @Column({ type: 'varchar', length: 16 })
  status: string;

  @Column({ type: 'integer', name: 'user_id', nullable: true })
  @Index('idx_sessions_user_id', fkIndex)
  userId: number | null;

  @ManyToOne('User', { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'user_id' })
  user?: User | null;

  @Column({ type: 'integer', name: 'host_id', nullable: true })
  @Index('idx_sessions_host_id', fkIndex)
  hostId: number | null;

  @ManyToOne('Host', { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'host_id' })
  host?: Host | null;

  @Column({ type: 'text', name: 'err_msg', nullable: true })
  errMsg: string | null;

  @Column({ type: 'varchar', length: 1024, default: '' })
  comment: string;

  /** Name of the portal node holding the connection. */
  @Column({ type: 'varchar', length: 255, default: '' })
  node: string;

  /** Client address `ip:port`. */
  @Column({ type: 'varchar', length: 255, name: 'remote_addr', default: '' })
  remoteAddr: string;

  /** Recording files (JSON array of paths relative to the logs location). */
  @Column({ type: 'text', nullable: true })
  recordings: string | null;

  /** What the connection ran: JSON array of `exec: CMD`, `subsystem: NAME`, `shell` (lib/db/session-commands.ts bounds it). */
  @Column({ type: 'text', nullable: true })
  commands: string | null;

  /** Seals of the recording files once closed (JSON array of `{ path, length, sha256 }`). */
  @Column({ type: 'text', nullable: true })
  seals: string | null;
}
