import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseRow } from './base.js';
import { fkIndex } from './fk-index.js';
import type { User } from './user.js';

/** A public key that identifies a user. */
@Entity('user_keys')
@Index('uq_user_keys_fingerprint', ['fingerprint'], { unique: true })
export class UserKey extends BaseRow {
  /** base64 of the SSH wire-format public key. */
  @Column({ type: 'text' })
  key: string;

  /** `SHA256:…` fingerprint of the key, the lookup index. */
  @Column({ type: 'varchar', length: 128 })
  fingerprint: string;

  @Column({ type: 'text', name: 'authorized_key' })
  authorizedKey: string;

  @Column({ type: 'integer', name: 'user_id' })
  @Index('idx_user_keys_user_id', fkIndex)
  userId: number;

  @ManyToOne('User', (u: User) => u.keys, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ type: 'varchar', length: 1024, default: '' })
  comment: string;
}
