import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One portal node of a cluster, as its heartbeat last described it. */
@Entity('nodes')
@Index('uq_nodes_name', ['name'], { unique: true })
export class NodeRow {
  @PrimaryGeneratedColumn({ type: 'integer', name: 'id' })
  id: number;

  /** `--node-name`: what sessions.node names. */
  @Column({ type: 'varchar', length: 255 })
  name: string;

  /** `host:port` other nodes dial to reach this node's SSH listener. */
  @Column({ type: 'varchar', length: 255 })
  address: string;

  @Column({ type: 'varchar', length: 64 })
  version: string;

  @Column({ type: 'datetime', precision: 3, name: 'started_at' })
  startedAt: Date;

  /** Written every heartbeat interval by the node itself (its clock). */
  @Column({ type: 'datetime', precision: 3, name: 'heartbeat_at' })
  heartbeatAt: Date;
}
