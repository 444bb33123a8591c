import { Column, Entity, Index, JoinTable, ManyToMany } from 'typeorm';
import { BaseRow } from './base.js';
import type { Acl } from './acl.js';
import type { User } from './user.js';

/** A group of users, the subject side of ACLs. */
@Entity('user_groups')
@Index('uq_user_groups_name', ['name'], { unique: true })
export class UserGroup extends BaseRow {
  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'varchar', length: 1024, default: '' })
  comment: string;

  @ManyToMany('User', (u: User) => u.groups)
  users?: User[];

  @ManyToMany('Acl', (a: Acl) => a.userGroups)
  @JoinTable({
    name: 'user_group_acls',
    joinColumn: { name: 'user_group_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'acl_id', referencedColumnName: 'id' },
  })
  acls?: Acl[];
}
