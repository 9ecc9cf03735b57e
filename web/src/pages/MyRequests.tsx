// My requests: everything I asked for, with approval countdowns and cancel / end early.

import Button from '@cloudscape-design/components/button';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Box from '@cloudscape-design/components/box';
import { useNavigate } from 'react-router-dom';
import { useApp } from '../context';
import { ApprovalExpiry, LoadError } from '../components/common';
import { RequestTable, col, type Column } from '../components/RequestTable';
import { useRequestActions } from '../components/RequestActions';
import { useAsync } from '../lib/hooks';
import { canCancel, canEndEarly } from '../lib/status';

export function MyRequests() {
  const { api, me, settings } = useApp();
  const navigate = useNavigate();
  const list = useAsync((signal) => api.listAll({ scope: 'mine' }, 2000, signal), 'mine', 10_000);
  const actions = useRequestActions(() => list.reload());
  const userId = me.user.id;

  const columns: Column[] = [
    col.request(),
    col.account(),
    col.start(),
    col.duration(),
    col.status(),
    {
      id: 'expiry',
      minWidth: 160,
      header: 'Approval expires in',
      cell: (r) => <ApprovalExpiry r={r} />,
    },
    col.created(),
    {
      id: 'actions',
      minWidth: 120,
      header: 'Actions',
      cell: (r) =>
        canCancel(r, userId) ? (
          <Button variant="inline-link" onClick={() => actions.open('cancel', r)} data-testid={`cancel-${r.id}`}>
            Cancel
          </Button>
        ) : canEndEarly(r, userId) ? (
          <Button variant="inline-link" onClick={() => actions.open('end', r)} data-testid={`end-${r.id}`}>
            End early
          </Button>
        ) : (
          '-'
        ),
    },
  ];

  return (
    <SpaceBetween size="m">
      <LoadError error={list.error} what="your requests" />
      <RequestTable
        items={list.data?.items ?? []}
        columns={columns}
        loading={list.loading}
        title="My requests"
        description={
          <Box variant="span">
            Requests you made. Pending requests expire when approvers do not decide in time
            {settings
              ? ` (${settings.approvalExpiryHours} h).`
              : ': the countdown assumes the default 3 h window, as only admins may read the settings.'}
          </Box>
        }
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button iconName="refresh" ariaLabel="Refresh" onClick={list.reload} />
            <Button variant="primary" onClick={() => navigate('/requests/new')}>
              Request access
            </Button>
          </SpaceBetween>
        }
        empty="You have not requested access yet"
        testId="my-requests"
        stickyActions
      />
      {actions.modal}
    </SpaceBetween>
  );
}
