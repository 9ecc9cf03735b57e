// Groupings of request statuses, and who may do what to a request.

import type { AccessRequest, Roles, Settings, Status } from '../api/types';
import { addHours } from './time';

/** Sessions that are coming or running. */
export const ACTIVE_STATUSES: readonly Status[] = ['approved', 'scheduled', 'in progress'];
/** Requests that are over. */
export const ENDED_STATUSES: readonly Status[] = ['ended', 'revoked', 'cancelled', 'expired', 'error'];
/** Requests that have not started: the requester or a TEAM admin may cancel them. */
export const NOT_STARTED_STATUSES: readonly Status[] = ['pending', 'approved', 'scheduled'];
/** Statuses nothing leaves (the server's `is_terminal`), plus ended/revoked which only fail. */
export const FINAL_STATUSES: readonly Status[] = ['rejected', 'cancelled', 'expired', 'error', 'ended', 'revoked'];

export type IndicatorType = 'pending' | 'success' | 'error' | 'in-progress' | 'stopped' | 'info' | 'warning';

/** How each status is drawn by a Cloudscape StatusIndicator. */
export function indicatorFor(status: Status): IndicatorType {
  switch (status) {
    case 'pending':
      return 'pending';
    case 'approved':
      return 'success';
    case 'rejected':
      return 'error';
    case 'cancelled':
      return 'stopped';
    case 'expired':
      return 'stopped';
    case 'scheduled':
      return 'info';
    case 'in progress':
      return 'in-progress';
    case 'ended':
      return 'stopped';
    case 'revoked':
      return 'warning';
    case 'error':
      return 'error';
  }
}

/** "In progress" for "in progress". */
export function statusLabel(status: Status): string {
  return status.charAt(0).toUpperCase() + status.slice(1);
}

/** The requester may withdraw it before access starts. */
export function canCancel(r: AccessRequest, userId: string): boolean {
  return r.requester.userId === userId && NOT_STARTED_STATUSES.includes(r.status);
}

/** The requester may end a running session early. */
export function canEndEarly(r: AccessRequest, userId: string): boolean {
  return r.requester.userId === userId && r.status === 'in progress';
}

/** One of the request's approvers (never the requester). */
export function isApproverOf(r: AccessRequest, userId: string): boolean {
  return r.requester.userId !== userId && r.approvers.some((a) => a.userId === userId);
}

/** An approver who has not decided yet may approve or reject a pending request. */
export function canDecide(r: AccessRequest, userId: string): boolean {
  return r.status === 'pending' && isApproverOf(r, userId) && !r.decisions.some((d) => d.by.userId === userId);
}

/** An approver may take access away before or during the session. */
export function canRevoke(r: AccessRequest, userId: string): boolean {
  return isApproverOf(r, userId) && ACTIVE_STATUSES.includes(r.status);
}

/**
 * A TEAM admin may cancel anyone's request that has not started (the kill switch; the
 * comment is required). The requester has their own Cancel button instead.
 */
export function canAdminCancel(r: AccessRequest, userId: string, roles: Pick<Roles, 'admin'>): boolean {
  return roles.admin && r.requester.userId !== userId && NOT_STARTED_STATUSES.includes(r.status);
}

/**
 * A TEAM admin may revoke anyone's coming or running session (the comment is required).
 * The requester (End early, Cancel) and the request's approvers (Revoke) have their own
 * buttons, and the server treats their calls as theirs, not an admin's.
 */
export function canAdminRevoke(r: AccessRequest, userId: string, roles: Pick<Roles, 'admin'>): boolean {
  return roles.admin && r.requester.userId !== userId && !isApproverOf(r, userId) && ACTIVE_STATUSES.includes(r.status);
}

/**
 * The window starts when access is granted (the requester chose no start time) and it
 * has not been granted yet: `startTime` and `endTime` are not the session's yet.
 */
export function startsOnGrant(r: AccessRequest): boolean {
  return !r.fixedWindow && NOT_STARTED_STATUSES.includes(r.status);
}

/** Whether a request may still change (worth refreshing). */
export function isLive(r: AccessRequest): boolean {
  return !FINAL_STATUSES.includes(r.status);
}

/** TEAM's default approval window, used when the settings cannot be read. */
export const DEFAULT_APPROVAL_EXPIRY_HOURS = 3;

/** When a pending request expires, and whether that is exact (settings known) or approximate. */
export function approvalDeadline(r: AccessRequest, settings: Settings | null): { at: number; approx: boolean } {
  const hours = settings?.approvalExpiryHours ?? DEFAULT_APPROVAL_EXPIRY_HOURS;
  return { at: addHours(r.createdAt, hours), approx: settings === null };
}
