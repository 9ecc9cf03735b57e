// Small presentational pieces shared by the pages.

import Box from '@cloudscape-design/components/box';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Alert from '@cloudscape-design/components/alert';
import Link from '@cloudscape-design/components/link';
import Spinner from '@cloudscape-design/components/spinner';
import { useNavigate } from 'react-router-dom';
import type { ReactNode } from 'react';
import type { AccessRequest, Status, UserRef } from '../api/types';
import { ApiError, errorMessage } from '../api/client';
import { approvalDeadline, indicatorFor, statusLabel } from '../lib/status';
import { useApp } from '../context';
import { formatCountdown, formatDateTime } from '../lib/time';
import { useNow } from '../lib/hooks';

export function StatusBadge({ status, testId }: { status: Status; testId?: string }) {
  return (
    <span data-testid={testId} data-status={status}>
      <StatusIndicator type={indicatorFor(status)}>{statusLabel(status)}</StatusIndicator>
    </span>
  );
}

/** Time left until `at` (epoch ms), ticking every second. */
export function Countdown({ at, approx, testId }: { at: number; approx?: boolean; testId?: string }) {
  const now = useNow(1000);
  const left = at - now;
  if (left <= 0) {
    return (
      <span data-testid={testId}>
        <Box variant="span" color="text-status-inactive">
          now
        </Box>
      </span>
    );
  }
  return (
    <span data-testid={testId} title={formatDateTime(new Date(at).toISOString())}>
      {approx ? `≈ ${formatCountdown(left)} (approx.)` : formatCountdown(left)}
    </span>
  );
}

export function UserName({ user }: { user: UserRef | undefined }) {
  if (!user) return <>system</>;
  return <span title={user.email ?? user.userId}>{user.username}</span>;
}

export function AccountName({ r }: { r: AccessRequest }) {
  return (
    <span>
      {r.account.name || r.account.id}
      <Box variant="small" display="block" color="text-body-secondary">
        {r.account.id}
      </Box>
    </span>
  );
}

/** A link that navigates inside the app. */
export function AppLink({ to, children, testId }: { to: string; children: ReactNode; testId?: string }) {
  const navigate = useNavigate();
  return (
    <Link
      href={to}
      data-testid={testId}
      onFollow={(e) => {
        e.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </Link>
  );
}

/** A failed load, with the server's message. */
export function LoadError({ error, what }: { error: unknown; what: string }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <Alert type="error" header={`Could not load ${what}`} data-testid="load-error">
      {errorMessage(error)}
      {code && code !== 'HttpError' ? ` (${code})` : ''}
    </Alert>
  );
}

/** A page the caller's roles do not open; `role` may name several ("admins and auditors"). */
export function Forbidden({ role }: { role: string | readonly string[] }) {
  const roles = typeof role === 'string' ? [role] : role;
  return (
    <Alert type="warning" header="Not available" data-testid="forbidden">
      This page is for TEAM {roles.map((r) => `${r}s`).join(' and ')}. Your account does not have{' '}
      {roles.length > 1 ? 'any of these roles' : 'that role'}.
    </Alert>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Box textAlign="center" color="inherit" padding="m">
      <Box variant="strong" color="inherit">
        {title}
      </Box>
      {children ? (
        <Box variant="p" color="inherit">
          {children}
        </Box>
      ) : null}
    </Box>
  );
}

/** A label-value pair for detail views. */
export function Field({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div data-testid={testId}>
      <Box variant="awsui-key-label">{label}</Box>
      <div>{children === '' || children === undefined || children === null ? '-' : children}</div>
    </div>
  );
}

/** A page's content while it loads. */
export function PageSpinner() {
  return (
    <Box textAlign="center" padding="xxl">
      <Spinner size="large" />
    </Box>
  );
}

/** A page whose data has not arrived: the failure when loading failed, else a spinner. */
export function Loading({ error, what }: { error: unknown; what: string }) {
  return error ? <LoadError error={error} what={what} /> : <PageSpinner />;
}

/** A narrow column in the middle of the page (start-up, sign-in). */
export function Centered({ children }: { children: ReactNode }) {
  return (
    <Box padding={{ top: 'xxxl', horizontal: 'l' }}>
      <div style={{ maxWidth: 560, margin: '0 auto' }}>{children}</div>
    </Box>
  );
}

/** Time left for approvers to decide on a pending request. */
export function ApprovalExpiry({ r }: { r: AccessRequest }) {
  const { settings } = useApp();
  if (r.status !== 'pending') return <>-</>;
  const { at, approx } = approvalDeadline(r, settings);
  return <Countdown at={at} approx={approx} testId={`expiry-${r.id}`} />;
}
