import { Column, Entity, Index, JoinTable, ManyToMany } from 'typeorm';
import { BaseRow } from './base.js';
import type { Acl } from './acl.js';
import type { Host } from './host.js';

/** A group of hosts, the target side of ACLs. */
@Entity('host_groups')
@Index('uq_host_groups_name', ['name'], { unique: true })
export class HostGroup extends BaseRow {
  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'varchar', length: 1024, default: '' })
  comment: string;

  @ManyToMany('Host', (h: Host) => h.groups)
  hosts?: Host[];

  @ManyToMany('Acl', (a: Acl) => a.hostGroups)
  @JoinTable({
    name: 'host_group_acls',
    joinColumn: { name: 'host_group_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'acl_id', referencedColumnName: 'id' },
  })
  acls?: Acl[];
}
