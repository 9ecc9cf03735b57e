import { describe, expect, it } from 'vitest';
import type { AccessRequest, Settings } from '../api/types';
import {
  approvalDeadline,
  canAdminCancel,
  canAdminRevoke,
  canCancel,
  canDecide,
  canEndEarly,
  canRevoke,
  indicatorFor,
  isLive,
  startsOnGrant,
} from './status';
import { splitError, fieldMessage } from './errors';
import { ApiError } from '../api/client';
import { rangeToBounds } from './range';

const base: AccessRequest = {
  id: 'r1',
  requester: { userId: 'alice', username: 'alice' },
  account: { id: '111111111111', name: 'workload' },
  permissionSet: { arn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1', name: 'Admin' },
  startTime: '2026-01-01T10:00:00Z',
  fixedWindow: true,
  durationMinutes: 60,
  endTime: '2026-01-01T11:00:00Z',
  justification: 'x',
  status: 'pending',
  approvalRequired: true,
  approvalsRequired: 1,
  approvers: [
    { userId: 'bob', username: 'bob' },
    { userId: 'erin', username: 'erin' },
  ],
  decisions: [],
  createdAt: '2026-01-01T09:00:00Z',
  updatedAt: '2026-01-01T09:00:00Z',
  version: 1,
};

describe('who may do what', () => {
  it('lets approvers decide pending requests once, never the requester', () => {
    expect(canDecide(base, 'bob')).toBe(true);
    expect(canDecide(base, 'alice')).toBe(false);
    expect(canDecide(base, 'carol')).toBe(false);
    const decided = { ...base, decisions: [{ by: base.approvers[0], outcome: 'approve' as const, at: base.createdAt }] };
    expect(canDecide(decided, 'bob')).toBe(false);
    expect(canDecide(decided, 'erin')).toBe(true);
    expect(canDecide({ ...base, status: 'approved' }, 'bob')).toBe(false);
  });
  it('lets the requester cancel before access and end during it', () => {
    expect(canCancel(base, 'alice')).toBe(true);
    expect(canCancel({ ...base, status: 'scheduled' }, 'alice')).toBe(true);
    expect(canCancel({ ...base, status: 'in progress' }, 'alice')).toBe(false);
    expect(canEndEarly({ ...base, status: 'in progress' }, 'alice')).toBe(true);
    expect(canEndEarly({ ...base, status: 'in progress' }, 'bob')).toBe(false);
  });
  it('lets approvers revoke coming and running sessions', () => {
    expect(canRevoke({ ...base, status: 'in progress' }, 'bob')).toBe(true);
    expect(canRevoke({ ...base, status: 'scheduled' }, 'erin')).toBe(true);
    expect(canRevoke({ ...base, status: 'ended' }, 'bob')).toBe(false);
    expect(canRevoke({ ...base, status: 'in progress' }, 'alice')).toBe(false);
  });
  it('lets an admin cancel anyone else\'s request that has not started', () => {
    const admin = { admin: true };
    for (const status of ['pending', 'approved', 'scheduled'] as const) {
      expect(canAdminCancel({ ...base, status }, 'carol', admin)).toBe(true);
      // An approver who is also an admin may cancel too (approvers have no cancel button).
      expect(canAdminCancel({ ...base, status }, 'bob', admin)).toBe(true);
    }
    for (const status of ['in progress', 'ended', 'revoked', 'rejected', 'cancelled', 'expired', 'error'] as const) {
      expect(canAdminCancel({ ...base, status }, 'carol', admin)).toBe(false);
    }
    // Not an admin, or the requester (who has the ordinary Cancel button).
    expect(canAdminCancel(base, 'carol', { admin: false })).toBe(false);
    expect(canAdminCancel(base, 'alice', admin)).toBe(false);
    expect(canCancel(base, 'alice')).toBe(true);
  });
  it('lets an admin revoke coming and running sessions of others', () => {
    const admin = { admin: true };
    for (const status of ['approved', 'scheduled', 'in progress'] as const) {
      expect(canAdminRevoke({ ...base, status }, 'carol', admin)).toBe(true);
    }
    for (const status of ['pending', 'ended', 'revoked', 'rejected', 'cancelled', 'expired', 'error'] as const) {
      expect(canAdminRevoke({ ...base, status }, 'carol', admin)).toBe(false);
    }
    const running = { ...base, status: 'in progress' as const };
    expect(canAdminRevoke(running, 'carol', { admin: false })).toBe(false);
    // The requester ends early and an approver revokes with their own buttons.
    expect(canAdminRevoke(running, 'alice', admin)).toBe(false);
    expect(canAdminRevoke(running, 'bob', admin)).toBe(false);
    expect(canRevoke(running, 'bob')).toBe(true);
    expect(canEndEarly(running, 'alice')).toBe(true);
  });
  it('knows when the window starts at grant time', () => {
    const open = { ...base, fixedWindow: false };
    expect(startsOnGrant(open)).toBe(true);
    expect(startsOnGrant({ ...open, status: 'approved' })).toBe(true);
    expect(startsOnGrant({ ...open, status: 'in progress' })).toBe(false);
    expect(startsOnGrant({ ...open, status: 'ended' })).toBe(false);
    expect(startsOnGrant(base)).toBe(false);
  });
  it('knows which requests can still change', () => {
    expect(isLive(base)).toBe(true);
    expect(isLive({ ...base, status: 'ended' })).toBe(false);
    expect(indicatorFor('in progress')).toBe('in-progress');
  });
});

describe('approval deadline', () => {
  it('uses the settings when known, else 3 h and says it is approximate', () => {
    const settings = { approvalExpiryHours: 5 } as Settings;
    expect(approvalDeadline(base, settings)).toEqual({ at: Date.parse('2026-01-01T14:00:00Z'), approx: false });
    expect(approvalDeadline(base, null)).toEqual({ at: Date.parse('2026-01-01T12:00:00Z'), approx: true });
  });
});

describe('form errors', () => {
  it('puts a field error beside its field, without the field name', () => {
    const err = new ApiError(400, 'ValidationError', 'durationMinutes must be between 1 and 540 minutes', 'durationMinutes');
    expect(fieldMessage(err)).toBe('Must be between 1 and 540 minutes');
    expect(splitError(err, ['durationMinutes'])).toEqual({
      fieldErrors: { durationMinutes: 'Must be between 1 and 540 minutes' },
      general: null,
    });
  });
  it('sends errors for fields the form does not have, and others, to the top', () => {
    const body = new ApiError(400, 'ValidationError', 'body invalid JSON', 'body');
    expect(splitError(body, ['durationMinutes'])).toEqual({ fieldErrors: {}, general: 'body invalid JSON' });
    const forbidden = new ApiError(403, 'Forbidden', 'not eligible');
    expect(splitError(forbidden, ['durationMinutes']).general).toBe('not eligible');
  });
});

describe('audit time range', () => {
  const now = Date.parse('2026-03-10T12:00:00Z');
  it('turns relative ranges into bounds ending now', () => {
    expect(rangeToBounds({ type: 'relative', amount: 24, unit: 'hour' }, now)).toEqual({
      from: '2026-03-09T12:00:00Z',
      to: '2026-03-10T12:00:00Z',
    });
    expect(rangeToBounds(null, now)).toEqual({});
  });
  it('passes absolute ranges as UTC instants', () => {
    expect(
      rangeToBounds({ type: 'absolute', startDate: '2026-03-01T00:00:00+01:00', endDate: '2026-03-02T00:00:00Z' }, now),
    ).toEqual({ from: '2026-02-28T23:00:00Z', to: '2026-03-02T00:00:00Z' });
  });
});
