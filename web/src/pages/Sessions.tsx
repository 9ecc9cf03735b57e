// Active and ended access: sessions I own or approved, with time left, end early and revoke.

import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { AccessRequest, Status } from '../api/types';
import type { TeamApi } from '../api/team';
import { useApp } from '../context';
import { Countdown, LoadError, UserName } from '../components/common';
import { RequestTable, col, type Column } from '../components/RequestTable';
import { useRequestActions } from '../components/RequestActions';
import { useAsync } from '../lib/hooks';
import { ACTIVE_STATUSES, ENDED_STATUSES, canCancel, canEndEarly, canRevoke } from '../lib/status';
import { formatDateTime } from '../lib/time';

/** My requests and the ones I decided, in these statuses, each once. */
export async function loadSessions(
  api: TeamApi,
  statuses: readonly Status[],
  signal?: AbortSignal,
): Promise<AccessRequest[]> {
  const [mine, decided] = await Promise.all([
    api.listAll({ scope: 'mine', status: statuses }, 2000, signal),
    api.listAll({ scope: 'decided', status: statuses }, 2000, signal),
  ]);
  const byId = new Map<string, AccessRequest>();
  for (const r of [...mine.items, ...decided.items]) byId.set(r.id, r);
  return [...byId.values()];
}

function roleColumn(userId: string): Column {
  return {
    id: 'role',
    header: 'My role',
    cell: (r) => (r.requester.userId === userId ? 'Requester' : 'Approver'),
  };
}

export function ActiveSessions() {
  const { api, me } = useApp();
  const list = useAsync((signal) => loadSessions(api, ACTIVE_STATUSES, signal), 'sessions:active', 10_000);
  const actions = useRequestActions(() => list.reload());
  const userId = me.user.id;
  const columns: Column[] = [
    col.request(),
    col.requester(),
    col.account(),
    col.start(),
    col.end(),
    {
      id: 'left',
      minWidth: 130,
      header: 'Time left',
      cell: (r) =>
        r.status === 'in progress' ? (
          <Countdown at={Date.parse(r.endTime)} testId={`left-${r.id}`} />
        ) : (
          <span>
            starts in <Countdown at={Date.parse(r.startTime)} />
          </span>
        ),
      sortingComparator: (a, b) => a.endTime.localeCompare(b.endTime),
    },
    col.status(),
    roleColumn(userId),
    {
      id: 'actions',
      minWidth: 150,
      header: 'Actions',
      cell: (r) => (
        <SpaceBetween direction="horizontal" size="xs">
          {canEndEarly(r, userId) ? (
            <Button variant="inline-link" onClick={() => actions.open('end', r)} data-testid={`end-${r.id}`}>
              End early
            </Button>
          ) : null}
          {canCancel(r, userId) ? (
            <Button variant="inline-link" onClick={() => actions.open('cancel', r)} data-testid={`cancel-${r.id}`}>
              Cancel
            </Button>
          ) : null}
          {canRevoke(r, userId) ? (
            <Button variant="inline-link" onClick={() => actions.open('revoke', r)} data-testid={`revoke-${r.id}`}>
              Revoke
            </Button>
          ) : null}
        </SpaceBetween>
      ),
    },
  ];
  return (
    <SpaceBetween size="m">
      <LoadError error={list.error} what="active access" />
      <RequestTable
        items={list.data ?? []}
        columns={columns}
        loading={list.loading}
        title="Active access"
        description="Approved, scheduled and running sessions that you requested or approved. Refreshes every 10 seconds."
        actions={<Button iconName="refresh" ariaLabel="Refresh" onClick={list.reload} />}
        empty="No active or upcoming access"
        testId="active-sessions"
        stickyActions
        sortBy="start"
      />
      {actions.modal}
    </SpaceBetween>
  );
}

export function EndedSessions() {
  const { api, me } = useApp();
  const list = useAsync((signal) => loadSessions(api, ENDED_STATUSES, signal), 'sessions:ended', 30_000);
  const userId = me.user.id;
  const columns: Column[] = [
    col.request(),
    col.requester(),
    col.account(),
    col.start(),
    col.end(),
    col.status(),
    {
      id: 'closed',
      header: 'Closed by',
      cell: (r) =>
        r.closed ? (
          <span>
            <UserName user={r.closed.by} /> {formatDateTime(r.closed.at)}
            {r.closed.comment ? `: ${r.closed.comment}` : ''}
          </span>
        ) : r.errorReason ? (
          r.errorReason
        ) : (
          '-'
        ),
    },
    roleColumn(userId),
  ];
  return (
    <SpaceBetween size="m">
      <LoadError error={list.error} what="ended access" />
      <RequestTable
        items={list.data ?? []}
        columns={columns}
        loading={list.loading}
        title="Ended access"
        description="Sessions that ended, were revoked, cancelled, expired or failed."
        actions={<Button iconName="refresh" ariaLabel="Refresh" onClick={list.reload} />}
        empty="No ended access"
        testId="ended-sessions"
        sortBy="end"
      />
    </SpaceBetween>
  );
}
