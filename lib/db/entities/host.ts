import { Column, Entity, Index, JoinColumn, JoinTable, ManyToMany, ManyToOne } from 'typeorm';
import type { RecordingMode } from '../../recording-mode.js';
import { BaseRow } from './base.js';
import { fkIndex } from './fk-index.js';
import type { HostGroup } from './host-group.js';
import type { SshKey } from './ssh-key.js';

/** A target the portal relays to. */
@Entity('hosts')
@Index('uq_hosts_name', ['name'], { unique: true })
export class Host extends BaseRow {
  @Column({ type: 'varchar', length: 255 })
  name: string;

  /** `host:port`. */
  @Column({ type: 'varchar', length: 255 })
  addr: string;

  @Column({ type: 'varchar', length: 255, default: '' })
  user: string;

  /** Password, encrypted when an AES key is configured; empty when unset. */
  @Column({ type: 'text', nullable: true })
  password: string | null;

  @Column({ type: 'varchar', length: 1024, default: '' })
  url: string;

  @Column({ type: 'integer', name: 'ssh_key_id', nullable: true })
  @Index('idx_hosts_ssh_key_id', fkIndex)
  sshKeyId: number | null;

  @ManyToOne('SshKey', { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'ssh_key_id' })
  sshKey?: SshKey | null;

  /** Pinned target host key: base64 of the SSH wire-format public key. */
  @Column({ type: 'text', name: 'host_key', nullable: true })
  hostKey: string | null;

  @Column({ type: 'varchar', length: 1024, default: '' })
  comment: string;

  /** Recording mode. Typed, but a row edited outside the portal may hold anything: readers check it with `parseRecordingMode`. */
  @Column({ type: 'varchar', length: 16, default: 'everything' })
  logging: RecordingMode;

  @Column({ type: 'integer', name: 'hop_id', nullable: true })
  @Index('idx_hosts_hop_id', fkIndex)
  hopId: number | null;

  @ManyToOne('Host', { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'hop_id' })
  hop?: Host | null;

  @ManyToMany('HostGroup', (g: HostGroup) => g.hosts)
  @JoinTable({
    name: 'host_host_groups',
    joinColumn: { name: 'host_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'host_group_id', referencedColumnName: 'id' },
  })
  groups?: HostGroup[];
}
