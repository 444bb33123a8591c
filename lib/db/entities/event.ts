import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseRow } from './base.js';
import { fkIndex } from './fk-index.js';
import type { User } from './user.js';

/**
 * An audit trail entry. `idx_events_created` is the order of `event ls`
 * (newest first): a page reads its rows from the index, not a sort of the table.
 */
@Entity('events')
@Index('uq_events_seq', ['seq'], { unique: true })
@Index('idx_events_created', ['createdAt', 'id'])
export class Event extends BaseRow {
  @Column({ type: 'integer', name: 'author_id', nullable: true })
  @Index('idx_events_author_id', fkIndex)
  authorId: number | null;

  @ManyToOne('User', { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'author_id' })
  author?: User | null;

  @Column({ type: 'varchar', length: 64 })
  domain: string;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ type: 'varchar', length: 255, default: '' })
  entity: string;

  /** JSON-encoded arguments, secrets removed. */
  @Column({ type: 'text', nullable: true })
  args: string | null;

  /** Position in the audit hash chain (null: written before the chain existed, or imported). */
  @Column({ type: 'integer', nullable: true })
  seq: number | null;

  /** Hash of the previous event of the chain (hex SHA-256). */
  @Column({ type: 'varchar', length: 64, name: 'prev_hash', nullable: true })
  prevHash: string | null;

  /** Hash of this event's canonical content, previous hash included (hex SHA-256). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  hash: string | null;

  /** The author as written: `author_id` becomes null when the user is removed, this stays. */
  @Column({ type: 'integer', name: 'chain_author_id', nullable: true })
  chainAuthorId: number | null;
}
