import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseRow } from './base.js';
import { fkIndex } from './fk-index.js';
import type { Host } from './host.js';

/** A single-use enrollment token for a tunnel host's connector; only its hash is stored. */
@Entity('tunnel_invites')
@Index('uq_tunnel_invites_token_hash', ['tokenHash'], { unique: true })
export class TunnelInvite extends BaseRow {
  @Column({ type: 'integer', name: 'host_id' })
  @Index('idx_tunnel_invites_host_id', fkIndex)
  hostId: number;

  @ManyToOne('Host', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'host_id' })
  host?: Host;

  /** `sha256:…` of the token (lib/crypto/tokens.ts). */
  @Column({ type: 'varchar', length: 128, name: 'token_hash' })
  tokenHash: string;

  @Column({ type: 'datetime', precision: 3, name: 'expires_at' })
  expiresAt: Date;
}
