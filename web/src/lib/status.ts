// Groupings of request statuses, and who may do what to a request.

import type { AccessRequest, Settings, Status } from '../api/types';
import { addHours } from './time';

/** Sessions that are coming or running. */
export const ACTIVE_STATUSES: readonly Status[] = ['approved', 'scheduled', 'in progress'];
/** Requests that are over. */
export const ENDED_STATUSES: readonly Status[] = ['ended', 'revoked', 'cancelled', 'expired', 'error'];
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
  return r.requester.userId === userId && ['pending', 'approved', 'scheduled'].includes(r.status);
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
