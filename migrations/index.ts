/** Every migration, oldest first. */
import { Initial1732000000001 } from './1732000000001-initial.js';

export const migrations = [Initial1732000000001];
