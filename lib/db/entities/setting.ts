import { Column, Entity, Index } from 'typeorm';
import { BaseRow } from './base.js';

/** A named value of portal-wide state. */
@Entity('settings')
@Index('uq_settings_name', ['name'], { unique: true })
export class Setting extends BaseRow {
  @Column({ type: 'varchar', length: 255 })
  name: string;

  @Column({ type: 'text' })
  value: string;
}
