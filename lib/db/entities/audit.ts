import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A signed statement "the chain had this hash at this sequence number". */
@Entity('audit_checkpoints')
export class AuditCheckpoint {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @Column({ type: 'integer' })
  seq: number;

  @Column({ type: 'varchar', length: 64 })
  hash: string;

  /** Node that signed. */
  @Column({ type: 'varchar', length: 255, default: '' })
  node: string;

  /** Signer's ed25519 public key (base64 SPKI DER). */
  @Column({ type: 'varchar', length: 255, name: 'public_key' })
  publicKey: string;

  /** Base64 ed25519 signature of the checkpoint message. */
  @Column({ type: 'varchar', length: 255 })
  signature: string;
}

/** An audit signing key; `privateKey` is null for keys known only by their public half (restored). */
@Entity('audit_keys')
@Index('uq_audit_keys_public_key', ['publicKey'], { unique: true })
export class AuditKey {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  /** Base64 SPKI DER of the ed25519 public key. */
  @Column({ type: 'varchar', length: 255, name: 'public_key' })
  publicKey: string;

  /** PKCS#8 PEM, encrypted with `--aes-key` when set. */
  @Column({ type: 'text', name: 'private_key', nullable: true })
  privateKey: string | null;
}
