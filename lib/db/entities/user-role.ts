import { Column, Entity, Index } from 'typeorm';
import { BaseRow } from './base.js';

/** A role: `admin` (everything) or `listhosts` (may run `host ls`). */
@Entity('user_roles')
@Index('uq_user_roles_name', ['name'], { unique: true })
export class UserRole extends BaseRow {
  @Column({ type: 'varchar', length: 255 })
  name: string;
}
