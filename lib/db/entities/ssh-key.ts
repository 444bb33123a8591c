import { Column, Entity, Index } from 'typeorm';
import { BaseRow } from './base.js';

/** A key pair the portal owns: client keys used to reach targets, and the portal's own host key (`host`). */
@Entity('ssh_keys')
@Index('uq_ssh_keys_name', ['name'], { unique: true })
export class SshKey extends BaseRow {
  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'varchar', length: 32 })
  type: string;

  @Column({ type: 'integer' })
  length: number;

  @Column({ type: 'varchar', length: 255 })
  fingerprint: string;

  /** OpenSSH private key, encrypted when an AES key is configured. */
  @Column({ type: 'text', name: 'priv_key' })
  privKey: string;

  /** authorized_keys line. */
  @Column({ type: 'text', name: 'pub_key' })
  pubKey: string;

  @Column({ type: 'varchar', length: 1024, default: '' })
  comment: string;
}
