import { Column, Entity, ManyToMany } from 'typeorm';
import { BaseRow } from './base.js';
import type { HostGroup } from './host-group.js';
import type { UserGroup } from './user-group.js';

/** An access rule between user groups and host groups. */
@Entity('acls')
export class Acl extends BaseRow {
  @Column({ type: 'varchar', length: 255, name: 'host_pattern', default: '' })
  hostPattern: string;

  /** `allow` or `deny`. */
  @Column({ type: 'varchar', length: 16 })
  action: string;

  @Column({ type: 'integer', default: 0 })
  weight: number;

  @Column({ type: 'varchar', length: 1024, default: '' })
  comment: string;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  inception: Date | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  expiration: Date | null;

  /** Session policy (lib/acl/policy.ts): `yes`/`no`, or `any`/`none`/a `host:port` list for forwards. */
  @Column({ type: 'varchar', length: 8, default: 'yes' })
  shell: string;

  @Column({ type: 'varchar', length: 8, default: 'yes' })
  exec: string;

  @Column({ type: 'varchar', length: 8, name: 'file_copy', default: 'yes' })
  fileCopy: string;

  @Column({ type: 'varchar', length: 1024, name: 'local_forward', default: 'any' })
  localForward: string;

  @Column({ type: 'varchar', length: 1024, name: 'remote_forward', default: 'any' })
  remoteForward: string;

  @Column({ type: 'varchar', length: 8, name: 'agent_forward', default: 'yes' })
  agentForward: string;

  @Column({ type: 'varchar', length: 8, default: 'yes' })
  x11: string;

  @ManyToMany('UserGroup', (g: UserGroup) => g.acls)
  userGroups?: UserGroup[];

  @ManyToMany('HostGroup', (g: HostGroup) => g.acls)
  hostGroups?: HostGroup[];
}
