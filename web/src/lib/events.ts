// Request timeline events: labels for people, and whether a removal of access is owed.

import type { EventKind, RequestEvent } from '../api/types';

const LABELS: Record<EventKind, string> = {
  submitted: 'Submitted',
  'approval-recorded': 'Approval recorded',
  approved: 'Approved',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
  expired: 'Expired',
  scheduled: 'Scheduled',
  granted: 'Access granted',
  ended: 'Ended',
  revoked: 'Revoked',
  'access-removed': 'Access removed',
  'access-kept': 'Access kept (another request covers it)',
  'removal-failed': 'Removing access failed (retried)',
  swept: 'Driven on by the reconciler',
  error: 'Error',
  notified: 'Notified',
};

/** "Access removed" for "access-removed"; a kind this UI does not know shows as it is. */
export function eventLabel(kind: EventKind | string): string {
  return (LABELS as Record<string, string>)[kind] ?? kind;
}

/**
 * The last failed removal of access when no removal (or keep) followed it: the access
 * may still be in place and TEAM keeps retrying. Events are in the order the server
 * recorded them.
 */
export function owedRemoval(events: readonly RequestEvent[]): RequestEvent | null {
  let last: RequestEvent | null = null;
  for (const e of events) {
    if (e.kind === 'removal-failed') last = e;
    else if (e.kind === 'access-removed' || e.kind === 'access-kept') last = null;
  }
  return last;
}
