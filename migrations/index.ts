/** Every migration, oldest first. */
import { Initial1732000000001 } from './1732000000001-initial.js';
import { Audit1732000000004 } from './1732000000004-audit.js';

export const migrations = [Initial1732000000001, Audit1732000000004];
