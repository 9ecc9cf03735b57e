// One request: every field, the decisions, the timeline, and what I may do with it.

import { useParams } from 'react-router-dom';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import Alert from '@cloudscape-design/components/alert';
import { ApiError } from '../api/client';
import type { AccessRequest } from '../api/types';
import { useApp } from '../context';
import {
  AppLink,
  ApprovalExpiry,
  Countdown,
  EmptyState,
  Field,
  LoadError,
  PageSpinner,
  StatusBadge,
  UserName,
} from '../components/common';
import { useRequestActions } from '../components/RequestActions';
import { useAsync } from '../lib/hooks';
import { eventLabel, owedRemoval } from '../lib/events';
import {
  canAdminCancel,
  canAdminRevoke,
  canCancel,
  canDecide,
  canEndEarly,
  canRevoke,
  isLive,
  startsOnGrant,
} from '../lib/status';
import { formatDateTime, formatMinutes } from '../lib/time';

export function RequestDetail() {
  const { id = '' } = useParams();
  // A new id is a new page: nothing of the previous request stays on screen.
  return <RequestView key={id} id={id} />;
}

function RequestView({ id }: { id: string }) {
  const { api, me } = useApp();
  const request = useAsync(() => api.getRequest(id), `request:${id}`);
  const r = request.data;
  const live = r ? isLive(r) : true;
  // Keep the page current while the request can still change.
  const poll = useAsync(
    async () => {
      if (!live) return null;
      const fresh = await api.getRequest(id);
      request.setData(fresh);
      return fresh.updatedAt;
    },
    `poll:${id}:${live}`,
    live ? 5_000 : undefined,
  );
  const events = useAsync(() => api.events(id), `events:${id}:${r?.updatedAt ?? ''}:${String(poll.data)}`);
  const actions = useRequestActions((updated) => {
    request.setData(updated);
    request.reload();
  });

  if (request.error && !r) {
    if (request.error instanceof ApiError && request.error.status === 404) {
      return (
        <Alert type="error" header="Request not found" data-testid="request-not-found">
          There is no request {id}, or you may not see it.
        </Alert>
      );
    }
    return <LoadError error={request.error} what="the request" />;
  }
  if (!r) return <PageSpinner />;

  const userId = me.user.id;
  const buttons = [];
  if (canDecide(r, userId)) {
    buttons.push(
      <Button key="reject" onClick={() => actions.open('reject', r)} data-testid="reject">
        Reject
      </Button>,
      <Button key="approve" variant="primary" onClick={() => actions.open('approve', r)} data-testid="approve">
        Approve
      </Button>,
    );
  }
  if (canCancel(r, userId)) {
    buttons.push(
      <Button key="cancel" onClick={() => actions.open('cancel', r)} data-testid="cancel">
        Cancel request
      </Button>,
    );
  }
  if (canEndEarly(r, userId)) {
    buttons.push(
      <Button key="end" onClick={() => actions.open('end', r)} data-testid="end-early">
        End session early
      </Button>,
    );
  }
  if (canRevoke(r, userId)) {
    buttons.push(
      <Button key="revoke" onClick={() => actions.open('revoke', r)} data-testid="revoke">
        Revoke access
      </Button>,
    );
  }
  if (canAdminCancel(r, userId, me.roles)) {
    buttons.push(
      <Button key="admin-cancel" onClick={() => actions.open('admin-cancel', r)} data-testid="admin-cancel">
        Cancel (admin)
      </Button>,
    );
  }
  if (canAdminRevoke(r, userId, me.roles)) {
    buttons.push(
      <Button key="admin-revoke" onClick={() => actions.open('admin-revoke', r)} data-testid="admin-revoke">
        Revoke (admin)
      </Button>,
    );
  }
  const now = Date.now();
  const onGrant = startsOnGrant(r);
  const owed = owedRemoval(events.data ?? []);
  const approvals = r.decisions.filter((d) => d.outcome === 'approve').length;

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={`Request ${r.id}`}
          actions={<SpaceBetween direction="horizontal" size="xs">{buttons}</SpaceBetween>}
        >
          <span data-testid="request-title">
            {r.permissionSet.name} on {r.account.name || r.account.id}
          </span>
        </Header>
      }
    >
      <SpaceBetween size="l">
        {r.status === 'error' && r.errorReason ? (
          <Alert type="error" header="Granting or removing access failed">
            {r.errorReason}
          </Alert>
        ) : null}
        {owed ? (
          <Alert type="warning" header="Access may still be in place" data-testid="removal-owed">
            Removing the access failed at {formatDateTime(owed.at)} and is retried until it succeeds: {owed.message}
          </Alert>
        ) : null}
        <Container header={<Header variant="h2">Details</Header>} data-testid="request-details">
          <ColumnLayout columns={3} variant="text-grid">
            <SpaceBetween size="l">
              <Field label="Status">
                <StatusBadge status={r.status} testId="detail-status" />
              </Field>
              <Field label="Requester">
                {r.requester.username}
                {r.requester.email ? ` (${r.requester.email})` : ''}
                {me.roles.admin && r.requester.userId !== userId ? (
                  <Box variant="small" display="block">
                    <AppLink
                      to={`/admin/revoke-all?user=${encodeURIComponent(r.requester.userId)}`}
                      testId="revoke-all-link"
                    >
                      Revoke all their access
                    </AppLink>
                  </Box>
                ) : null}
              </Field>
              <Field label="Account">
                {r.account.name} ({r.account.id})
              </Field>
              <Field label="Permission set">
                {r.permissionSet.name}
                <Box variant="small" display="block" color="text-body-secondary">
                  {r.permissionSet.arn}
                </Box>
              </Field>
            </SpaceBetween>
            <SpaceBetween size="l">
              <Field label="Start" testId="detail-start">
                {onGrant ? 'When access is granted' : formatDateTime(r.startTime)}
              </Field>
              <Field label="End" testId="detail-end">
                {onGrant ? `${formatMinutes(r.durationMinutes)} after the start` : formatDateTime(r.endTime)}
              </Field>
              <Field label="Duration">{formatMinutes(r.durationMinutes)}</Field>
              {r.status === 'in progress' ? (
                <Field label="Time left">
                  <Countdown at={Date.parse(r.endTime)} testId="time-left" />
                </Field>
              ) : null}
              {!onGrant && (r.status === 'scheduled' || r.status === 'approved') && Date.parse(r.startTime) > now ? (
                <Field label="Starts in">
                  <Countdown at={Date.parse(r.startTime)} />
                </Field>
              ) : null}
              {r.status === 'pending' ? (
                <Field label="Approval expires in">
                  <ApprovalExpiry r={r} />
                </Field>
              ) : null}
            </SpaceBetween>
            <SpaceBetween size="l">
              <Field label="Justification" testId="detail-justification">
                <span style={{ whiteSpace: 'pre-wrap' }}>{r.justification}</span>
              </Field>
              <Field label="Ticket number">{r.ticketNo}</Field>
              <Field label="Approval">
                {r.approvalRequired
                  ? `${approvals} of ${r.approvalsRequired} approval${r.approvalsRequired === 1 ? '' : 's'}`
                  : 'Not required'}
              </Field>
              <Field label="Approvers">{r.approvers.map((a) => a.username).join(', ')}</Field>
              <Field label="Created">{formatDateTime(r.createdAt)}</Field>
              <Field label="Last change">{formatDateTime(r.updatedAt)}</Field>
              {r.closed ? (
                <Field label="Closed" testId="detail-closed">
                  {formatDateTime(r.closed.at)} by <UserName user={r.closed.by} />
                  {r.closed.comment ? `: ${r.closed.comment}` : ''}
                </Field>
              ) : null}
            </SpaceBetween>
          </ColumnLayout>
        </Container>
        <Table
          header={<Header variant="h2" counter={`(${r.decisions.length})`}>Decisions</Header>}
          items={r.decisions}
          trackBy={(d) => `${d.by.userId}:${d.at}`}
          columnDefinitions={[
            { id: 'by', header: 'Approver', cell: (d) => <UserName user={d.by} /> },
            {
              id: 'outcome',
              header: 'Decision',
              cell: (d) =>
                d.outcome === 'approve' ? (
                  <StatusIndicator type="success">Approved</StatusIndicator>
                ) : (
                  <StatusIndicator type="error">Rejected</StatusIndicator>
                ),
            },
            { id: 'comment', header: 'Comment', cell: (d) => d.comment ?? '-' },
            { id: 'at', header: 'When', cell: (d) => formatDateTime(d.at) },
          ]}
          empty={<EmptyState title={r.approvalRequired ? 'No decision yet' : 'No approval was needed'} />}
          data-testid="decisions"
        />
        <Table
          header={<Header variant="h2" counter={events.data ? `(${events.data.length})` : undefined}>Timeline</Header>}
          items={events.data ?? []}
          loading={events.loading && !events.data}
          loadingText="Loading the timeline"
          trackBy={(e) => `${e.at}:${e.kind}:${e.message}`}
          columnDefinitions={[
            { id: 'at', header: 'When', cell: (e) => formatDateTime(e.at) },
            {
              id: 'kind',
              header: 'Event',
              cell: (e) => (
                <span data-testid={`event-${e.kind}`} data-kind={e.kind}>
                  {e.kind === 'removal-failed' ? (
                    <StatusIndicator type="warning">{eventLabel(e.kind)}</StatusIndicator>
                  ) : (
                    eventLabel(e.kind)
                  )}
                </span>
              ),
            },
            { id: 'actor', header: 'By', cell: (e) => <UserName user={e.actor} /> },
            { id: 'status', header: 'Status after', minWidth: 130, cell: (e) => <StatusBadge status={e.status} /> },
            { id: 'message', header: 'What happened', cell: (e) => e.message },
          ]}
          wrapLines
          empty={<EmptyState title="No events" />}
          data-testid="timeline"
        />
        <LoadError error={events.error} what="the timeline" />
        {me.roles.auditor ? <Activity request={r} /> : null}
      </SpaceBetween>
      {actions.modal}
    </ContentLayout>
  );
}

/** What the requester did during the session (auditors). */
function Activity({ request }: { request: AccessRequest }) {
  const { api } = useApp();
  const activity = useAsync(() => api.activity(request.id), `activity:${request.id}:${request.status}`);
  return (
    <SpaceBetween size="s">
      <LoadError error={activity.error} what="the session activity" />
      <Table
        header={
          <Header
            variant="h2"
            counter={activity.data ? `(${activity.data.length})` : undefined}
            description="API calls the requester made with this permission set on this account during the session (CloudTrail)."
          >
            Session activity
          </Header>
        }
        items={activity.data ?? []}
        loading={activity.loading && !activity.data}
        loadingText="Loading session activity"
        trackBy={(e) => `${e.at}:${e.eventSource}:${e.eventName}`}
        columnDefinitions={[
          { id: 'at', header: 'When', cell: (e) => formatDateTime(e.at) },
          { id: 'name', header: 'Event', cell: (e) => e.eventName },
          { id: 'source', header: 'Service', cell: (e) => e.eventSource },
          { id: 'region', header: 'Region', cell: (e) => e.region ?? '-' },
          { id: 'ip', header: 'Source IP', cell: (e) => e.sourceIp ?? '-' },
        ]}
        empty={<EmptyState title="No activity recorded" />}
        data-testid="activity"
      />
    </SpaceBetween>
  );
}
