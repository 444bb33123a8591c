import { Column, Entity, Index, JoinTable, ManyToMany, OneToMany } from 'typeorm';
import { BaseRow } from './base.js';
import type { UserGroup } from './user-group.js';
import type { UserKey } from './user-key.js';
import type { UserRole } from './user-role.js';

/** A person who logs into the portal. */
@Entity('users')
@Index('uq_users_name', ['name'], { unique: true })
export class User extends BaseRow {
  @Column({ type: 'varchar', length: 255 })
  email: string;

  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'varchar', length: 1024, default: '' })
  comment: string;

  /** `sha256:<hex>` of the invite token, or empty when none is pending. */
  @Column({ type: 'varchar', length: 255, name: 'invite_token', default: '' })
  inviteToken: string;

  @Column({ type: 'datetime', precision: 3, name: 'invite_expires_at', nullable: true })
  inviteExpiresAt: Date | null;

  @ManyToMany('UserRole')
  @JoinTable({
    name: 'user_user_roles',
    joinColumn: { name: 'user_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'user_role_id', referencedColumnName: 'id' },
  })
  roles?: UserRole[];

  @ManyToMany('UserGroup', (g: UserGroup) => g.users)
  @JoinTable({
    name: 'user_user_groups',
    joinColumn: { name: 'user_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'user_group_id', referencedColumnName: 'id' },
  })
  groups?: UserGroup[];

  @OneToMany('UserKey', (k: UserKey) => k.user)
  keys?: UserKey[];
}
