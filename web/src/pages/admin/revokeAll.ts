// The kill switch page's logic: which user is meant, what is missing before it may run,
// and the server's answer as rows.

import type { AutosuggestProps } from '@cloudscape-design/components/autosuggest';
import type { RevokeAll, User } from '../../api/types';
import { commentProblem } from '../../lib/comment';
import type { FieldErrors } from '../../lib/errors';

/** Whose access is to end: a directory user, or only an id (e.g. one already deleted). */
export interface Target {
  userId: string;
  user?: User;
}

/** Picker options: the user name goes into the box; display name, e-mail and id help find it. */
export function userSuggestions(users: readonly User[]): AutosuggestProps.Option[] {
  return users
    .map((u) => ({
      value: u.username,
      description: [u.displayName, u.email].filter(Boolean).join(' · '),
      tags: [u.id],
      filteringTags: [u.id],
    }))
    .sort((a, b) => a.value.localeCompare(b.value));
}

/**
 * The user `text` names: a user id, a user name or an e-mail of the directory (names and
 * e-mails ignoring case), else the text itself as a user id; null when blank.
 */
export function resolveUser(text: string, users: readonly User[]): Target | null {
  const t = text.trim();
  if (!t) return null;
  const lower = t.toLowerCase();
  const user =
    users.find((u) => u.id === t) ??
    users.find((u) => u.username.toLowerCase() === lower) ??
    users.find((u) => u.email !== undefined && u.email.toLowerCase() === lower);
  return user ? { userId: user.id, user } : { userId: t };
}

/** Fills `errors` (fields `user` and `comment`) and returns the target when it may run. */
export function checkRevokeAll(
  text: string,
  comment: string,
  users: readonly User[],
  errors: FieldErrors,
): Target | null {
  const target = resolveUser(text, users);
  if (!target) errors.user = 'Choose a user.';
  const problem = commentProblem(comment, true);
  if (problem) errors.comment = problem;
  return Object.keys(errors).length ? null : target;
}

/** A user as named in sentences: the user name, or the id when not in the directory. */
export function targetName(t: Target): string {
  return t.user ? t.user.username : t.userId;
}

export type Outcome = 'revoked' | 'cancelled' | 'failed';

export interface ResultRow {
  requestId: string;
  outcome: Outcome;
  error?: string;
}

/** One row per request: failures first (they need attention), then revoked, then cancelled. */
export function resultRows(r: RevokeAll): ResultRow[] {
  return [
    ...r.failed.map((f) => ({ requestId: f.requestId, outcome: 'failed' as const, error: f.error })),
    ...r.revoked.map((requestId) => ({ requestId, outcome: 'revoked' as const })),
    ...r.cancelled.map((requestId) => ({ requestId, outcome: 'cancelled' as const })),
  ];
}

const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** "2 requests revoked, 1 cancelled, 1 could not be closed" (or that nothing was open). */
export function summary(r: RevokeAll): string {
  if (!r.revoked.length && !r.cancelled.length && !r.failed.length) {
    return 'Nothing was open: no session to end and no request to close.';
  }
  const parts = [`${count(r.revoked.length, 'request', 'requests')} revoked`, `${r.cancelled.length} cancelled`];
  if (r.failed.length) parts.push(`${r.failed.length} could not be closed`);
  return `${parts.join(', ')}.`;
}
