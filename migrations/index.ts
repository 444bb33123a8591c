/** Every migration, oldest first. */
import { Initial1732000000001 } from './1732000000001-initial.js';
import { Nodes1732000000002 } from './1732000000002-nodes.js';
import { AclPolicy1732000000003 } from './1732000000003-acl-policy.js';
import { Audit1732000000004 } from './1732000000004-audit.js';
import { SessionCommand1732000000005 } from './1732000000005-session-command.js';
import { Tunnels1732000000006 } from './1732000000006-tunnels.js';
import { HistoryOrder1732000000007 } from './1732000000007-history-order.js';
import { ForeignKeyIndexes1732000000008 } from './1732000000008-foreign-key-indexes.js';

export const migrations = [Initial1732000000001, Nodes1732000000002, AclPolicy1732000000003, Audit1732000000004, SessionCommand1732000000005, Tunnels1732000000006, HistoryOrder1732000000007,
  ForeignKeyIndexes1732000000008];
