import { Column, CreateDateColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * Columns every sshportal table has (gorm's Model): id, created_at, updated_at, deleted_at.
 * Rows are deleted for real; deleted_at stays for backup compatibility and is always null.
 * The two automatic dates take the driver's own type and default (typeorm's mapping),
 * which the initial migration spells the same way.
 */
export abstract class BaseRow {
  @PrimaryGeneratedColumn({ type: 'integer', name: 'id' })
  id: number;

  @CreateDateColumn({ name: 'created_at' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt: Date;

  @Column({ type: 'datetime', name: 'deleted_at', precision: 3, nullable: true })
  deletedAt: Date | null;
}
