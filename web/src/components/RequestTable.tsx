// A table of requests with text filter, sorting and pagination done in the browser.

import type { ReactNode } from 'react';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import Pagination from '@cloudscape-design/components/pagination';
import Header from '@cloudscape-design/components/header';
import { useCollection } from '@cloudscape-design/collection-hooks';
import type { AccessRequest } from '../api/types';
import { AccountName, AppLink, EmptyState, StatusBadge, UserName } from './common';
import { formatDateTime, formatMinutes } from '../lib/time';

export type Column = TableProps.ColumnDefinition<AccessRequest>;

/** Column definitions shared by the request tables. */
export const col = {
  request: (): Column => ({
    id: 'request',
    minWidth: 170,
    header: 'Request',
    cell: (r) => (
      <AppLink to={`/requests/${encodeURIComponent(r.id)}`} testId={`open-${r.id}`}>
        {r.permissionSet.name}
      </AppLink>
    ),
    sortingComparator: (a, b) => a.permissionSet.name.localeCompare(b.permissionSet.name),
    isRowHeader: true,
  }),
  account: (): Column => ({
    id: 'account',
    minWidth: 150,
    header: 'Account',
    cell: (r) => <AccountName r={r} />,
    sortingComparator: (a, b) => (a.account.name || a.account.id).localeCompare(b.account.name || b.account.id),
  }),
  requester: (): Column => ({
    id: 'requester',
    minWidth: 110,
    header: 'Requester',
    cell: (r) => <UserName user={r.requester} />,
    sortingComparator: (a, b) => a.requester.username.localeCompare(b.requester.username),
  }),
  start: (): Column => ({
    id: 'start',
    minWidth: 150,
    header: 'Start',
    cell: (r) => formatDateTime(r.startTime),
    sortingComparator: (a, b) => a.startTime.localeCompare(b.startTime),
  }),
  end: (): Column => ({
    id: 'end',
    minWidth: 150,
    header: 'End',
    cell: (r) => formatDateTime(r.endTime),
    sortingComparator: (a, b) => a.endTime.localeCompare(b.endTime),
  }),
  duration: (): Column => ({
    id: 'duration',
    minWidth: 110,
    header: 'Duration',
    cell: (r) => formatMinutes(r.durationMinutes),
    sortingComparator: (a, b) => a.durationMinutes - b.durationMinutes,
  }),
  status: (): Column => ({
    id: 'status',
    minWidth: 140,
    header: 'Status',
    cell: (r) => <StatusBadge status={r.status} testId={`status-${r.id}`} />,
    sortingComparator: (a, b) => a.status.localeCompare(b.status),
  }),
  justification: (): Column => ({
    id: 'justification',
    header: 'Justification',
    cell: (r) => r.justification,
    maxWidth: 320,
  }),
  ticket: (): Column => ({
    id: 'ticket',
    minWidth: 100,
    header: 'Ticket',
    cell: (r) => r.ticketNo ?? '-',
  }),
  created: (): Column => ({
    id: 'created',
    minWidth: 150,
    header: 'Created',
    cell: (r) => formatDateTime(r.createdAt),
    sortingComparator: (a, b) => a.createdAt.localeCompare(b.createdAt),
  }),
};

/** Text the filter box matches against. */
function searchable(r: AccessRequest): string {
  return [
    r.id,
    r.account.id,
    r.account.name,
    r.permissionSet.name,
    r.requester.username,
    r.requester.email ?? '',
    r.status,
    r.justification,
    r.ticketNo ?? '',
  ]
    .join(' ')
    .toLowerCase();
}

interface Props {
  items: AccessRequest[];
  columns: Column[];
  loading: boolean;
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  empty: string;
  testId: string;
  pageSize?: number;
  /** Default sort: newest first by this column id. */
  sortBy?: string;
  /** Keep the last column (the actions) in view when the table scrolls sideways. */
  stickyActions?: boolean;
  /** Default sort order (newest first unless false). */
  descending?: boolean;
}

export function RequestTable({ items, columns, loading, title, description, actions, empty, testId, pageSize = 20, sortBy = 'created', stickyActions = false, descending = true }: Props) {
  const sortColumn = columns.find((c) => c.id === sortBy) ?? columns[0];
  const { items: shown, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(items, {
    filtering: {
      filteringFunction: (item, text) => searchable(item).includes(text.trim().toLowerCase()),
      empty: <EmptyState title={empty} />,
      noMatch: <EmptyState title="No matches">No request matches the filter.</EmptyState>,
    },
    sorting: { defaultState: { sortingColumn: sortColumn, isDescending: descending } },
    pagination: { pageSize },
  });
  return (
    <div data-testid={testId}>
      <Table
        {...collectionProps}
        items={shown}
        columnDefinitions={columns}
        trackBy="id"
        stickyColumns={stickyActions ? { first: 0, last: 1 } : undefined}
        loading={loading && items.length === 0}
        loadingText="Loading requests"
        variant="full-page"
        stickyHeader
        wrapLines
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${items.length})`}
            description={description}
            actions={actions}
          >
            {title}
          </Header>
        }
        filter={
          <TextFilter
            {...filterProps}
            filteringPlaceholder="Find requests"
            countText={filterProps.filteringText ? `${filteredItemsCount ?? 0} matches` : undefined}
          />
        }
        pagination={<Pagination {...paginationProps} />}
      />
    </div>
  );
}
