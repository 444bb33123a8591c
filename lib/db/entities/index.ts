/** Every entity of the data model, in one list for the data source. */
import { Acl } from './acl.js';
import { AuditCheckpoint, AuditKey } from './audit.js';
import { Event } from './event.js';
import { Host } from './host.js';
import { HostGroup } from './host-group.js';
import { NodeRow } from './node.js';
import { Session } from './session.js';
import { Setting } from './setting.js';
import { SshKey } from './ssh-key.js';
import { TunnelInvite } from './tunnel-invite.js';
import { TunnelKey } from './tunnel-key.js';
import { User } from './user.js';
import { UserGroup } from './user-group.js';
import { UserKey } from './user-key.js';
import { UserRole } from './user-role.js';

export { Acl, AuditCheckpoint, AuditKey, Event, Host, HostGroup, NodeRow, Session, Setting, SshKey, TunnelInvite, TunnelKey, User, UserGroup, UserKey, UserRole };

/** All entity classes. */
export const entities = [Acl, AuditCheckpoint, AuditKey, Event, Host, HostGroup, NodeRow, Session, Setting, SshKey, TunnelInvite, TunnelKey, User, UserGroup, UserKey, UserRole];
