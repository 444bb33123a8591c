import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseRow } from './base.js';
import type { Host } from './host.js';

/** A public key a reverse-tunnel connector may use for one host (bound by a host invite). */
@Entity('tunnel_keys')
@Index('uq_tunnel_keys_host_fingerprint', ['hostId', 'fingerprint'], { unique: true })
@Index('idx_tunnel_keys_fingerprint', ['fingerprint'])
export class TunnelKey extends BaseRow {
  @Column({ type: 'integer', name: 'host_id' })
  hostId: number;

  @ManyToOne('Host', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'host_id' })
  host?: Host;

  /** `SHA256:…` fingerprint of the key, the lookup index. */
  @Column({ type: 'varchar', length: 128 })
  fingerprint: string;

  /** `algo base64`, as authorized_keys spells it. */
  @Column({ type: 'text', name: 'authorized_key' })
  authorizedKey: string;

  @Column({ type: 'varchar', length: 1024, default: '' })
  comment: string;
}
