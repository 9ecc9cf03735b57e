// Approvers: requests waiting for my decision (live), and my past decisions with CSV export.

import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import type { AccessRequest, Decision } from '../api/types';
import { useApp, useFlash } from '../context';
import { ApprovalExpiry, LoadError } from '../components/common';
import { RequestTable, col, type Column } from '../components/RequestTable';
import { useRequestActions } from '../components/RequestActions';
import { csvFilename, downloadText, toCsv, type CsvColumn } from '../lib/csv';
import { useAsync } from '../lib/hooks';
import { formatDateTime } from '../lib/time';

export const APPROVALS_REFRESH_MS = 10_000;

export function Approvals() {
  const { api } = useApp();
  const list = useAsync(
    (signal) => api.listAll({ scope: 'approvable' }, 2000, signal),
    'approvable',
    APPROVALS_REFRESH_MS,
  );
  const actions = useRequestActions(() => list.reload());
  const columns: Column[] = [
    col.request(),
    col.requester(),
    col.account(),
    col.start(),
    col.duration(),
    {
      id: 'expiry',
      header: 'Expires in',
      minWidth: 150,
      cell: (r) => <ApprovalExpiry r={r} />,
      sortingComparator: (a, b) => a.createdAt.localeCompare(b.createdAt),
    },
    col.justification(),
    col.ticket(),
    {
      id: 'decide',
      minWidth: 170,
      header: 'Decide',
      cell: (r) => (
        <SpaceBetween direction="horizontal" size="xs">
          <Button variant="inline-link" onClick={() => actions.open('approve', r)} data-testid={`approve-${r.id}`}>
            Approve
          </Button>
          <Button variant="inline-link" onClick={() => actions.open('reject', r)} data-testid={`reject-${r.id}`}>
            Reject
          </Button>
        </SpaceBetween>
      ),
    },
  ];
  return (
    <SpaceBetween size="m">
      <LoadError error={list.error} what="requests to approve" />
      <RequestTable
        items={list.data?.items ?? []}
        columns={columns}
        loading={list.loading}
        title="Approve requests"
        description="Pending requests you may decide. The list refreshes every 10 seconds."
        actions={<Button iconName="refresh" ariaLabel="Refresh" onClick={list.reload} />}
        empty="Nothing waits for your decision"
        testId="approvals"
        stickyActions
        sortBy="expiry"
        descending={false}
      />
      {actions.modal}
    </SpaceBetween>
  );
}

function myDecision(r: AccessRequest, userId: string): Decision | undefined {
  return r.decisions.find((d) => d.by.userId === userId);
}

/** Columns of the decision history CSV. */
export function decisionCsvColumns(userId: string): CsvColumn<AccessRequest>[] {
  return [
    { header: 'requestId', value: (r) => r.id },
    { header: 'requester', value: (r) => r.requester.username },
    { header: 'accountId', value: (r) => r.account.id },
    { header: 'accountName', value: (r) => r.account.name },
    { header: 'permissionSet', value: (r) => r.permissionSet.name },
    { header: 'startTime', value: (r) => r.startTime },
    { header: 'durationMinutes', value: (r) => r.durationMinutes },
    { header: 'justification', value: (r) => r.justification },
    { header: 'ticketNo', value: (r) => r.ticketNo },
    { header: 'decision', value: (r) => myDecision(r, userId)?.outcome },
    { header: 'comment', value: (r) => myDecision(r, userId)?.comment },
    { header: 'decidedAt', value: (r) => myDecision(r, userId)?.at },
    { header: 'status', value: (r) => r.status },
  ];
}

export function DecisionHistory() {
  const { api, me } = useApp();
  const flash = useFlash();
  const list = useAsync((signal) => api.listAll({ scope: 'decided' }, 5000, signal), 'decided');
  const userId = me.user.id;
  const items = list.data?.items ?? [];
  const columns: Column[] = [
    col.request(),
    col.requester(),
    col.account(),
    col.start(),
    {
      id: 'decision',
      header: 'My decision',
      minWidth: 130,
      cell: (r) => {
        const d = myDecision(r, userId);
        if (!d) return '-';
        return d.outcome === 'approve' ? (
          <StatusIndicator type="success">Approved</StatusIndicator>
        ) : (
          <StatusIndicator type="error">Rejected</StatusIndicator>
        );
      },
    },
    { id: 'comment', header: 'Comment', cell: (r) => myDecision(r, userId)?.comment ?? '-' },
    {
      id: 'decidedAt',
      header: 'Decided',
      cell: (r) => formatDateTime(myDecision(r, userId)?.at),
      sortingComparator: (a, b) => (myDecision(a, userId)?.at ?? '').localeCompare(myDecision(b, userId)?.at ?? ''),
    },
    col.status(),
  ];
  const exportCsv = () => {
    downloadText(csvFilename('team-decisions'), toCsv(decisionCsvColumns(userId), items));
    flash.push({ type: 'success', content: `Exported ${items.length} decision${items.length === 1 ? '' : 's'}.` });
  };
  return (
    <SpaceBetween size="m">
      <LoadError error={list.error} what="your decisions" />
      <RequestTable
        items={items}
        columns={columns}
        loading={list.loading}
        title="My decisions"
        description={
          <Box variant="span">Requests you approved or rejected. The CSV is made in your browser from this list.</Box>
        }
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button iconName="refresh" ariaLabel="Refresh" onClick={list.reload} />
            <Button iconName="download" onClick={exportCsv} disabled={items.length === 0} data-testid="export-decisions">
              Export CSV
            </Button>
          </SpaceBetween>
        }
        empty="You have not decided on any request yet"
        testId="decisions-history"
        sortBy="decidedAt"
      />
    </SpaceBetween>
  );
}
