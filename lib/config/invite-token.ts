/** What {@link isStrongInviteToken} requires, for error messages. */
export const inviteTokenRule = '10 to 128 letters, digits, - or _';

/**
 * Whether a token chosen by a person (`user update --invite_token`,
 * SSHPORTAL_DEFAULT_ADMIN_INVITE_TOKEN) is strong enough to stand for a login:
 * {@link inviteTokenRule}. Generated tokens have 32 letters and digits. Pure.
 */
export function isStrongInviteToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{10,128}$/.test(token);
}
