import { Column, Entity, JoinColumn, ManyToOne } from 'typeorm';
import { BaseRow } from './base.js';
import type { User } from './user.js';

/** An audit trail entry. */
@Entity('events')
export class Event extends BaseRow {
  @Column({ type: 'integer', name: 'author_id', nullable: true })
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
}
