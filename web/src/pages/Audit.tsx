// Auditors: every request, filtered on the server, CSV export, and each session's activity.

import { useState } from 'react';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import DateRangePicker, { type DateRangePickerProps } from '@cloudscape-design/components/date-range-picker';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Multiselect, { type MultiselectProps } from '@cloudscape-design/components/multiselect';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table from '@cloudscape-design/components/table';
import { errorMessage } from '../api/client';
import { STATUSES, type AccessRequest, type AuditQuery, type Status } from '../api/types';
import { useApp, useFlash } from '../context';
import { AccountName, AppLink, EmptyState, LoadError, StatusBadge, UserName } from '../components/common';
import { csvFilename, downloadText } from '../lib/csv';
import { useAsync } from '../lib/hooks';
import { rangeToBounds } from '../lib/range';
import { statusLabel } from '../lib/status';
import { formatDateTime, formatMinutes } from '../lib/time';
import { splitError, type FieldErrors } from '../lib/errors';

const STATUS_OPTIONS: MultiselectProps.Option[] = STATUSES.map((s) => ({ value: s, label: statusLabel(s) }));

const RELATIVE: DateRangePickerProps.RelativeOption[] = [
  { key: 'last-24-hours', amount: 24, unit: 'hour', type: 'relative' },
  { key: 'last-7-days', amount: 7, unit: 'day', type: 'relative' },
  { key: 'last-30-days', amount: 30, unit: 'day', type: 'relative' },
  { key: 'last-90-days', amount: 90, unit: 'day', type: 'relative' },
];

interface Results {
  items: AccessRequest[];
  nextToken?: string;
}

export function Audit() {
  const { api } = useApp();
  const flash = useFlash();
  const [range, setRange] = useState<DateRangePickerProps.Value | null>(null);
  const [statuses, setStatuses] = useState<readonly MultiselectProps.Option[]>([]);
  const [accountId, setAccountId] = useState('');
  const [requester, setRequester] = useState('');
  const [query, setQuery] = useState<AuditQuery>({});
  const [errors, setErrors] = useState<FieldErrors>({});
  const [more, setMore] = useState<{ items: AccessRequest[]; nextToken?: string } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [exporting, setExporting] = useState(false);

  const first = useAsync<Results>(
    async () => {
      try {
        const page = await api.audit(query, 100);
        setErrors({});
        return page;
      } catch (err) {
        const split = splitError(err, ['from', 'to', 'accountId', 'requester', 'status']);
        setErrors(split.fieldErrors);
        throw err;
      }
    },
    JSON.stringify(query),
  );
  const items = more ? more.items : (first.data?.items ?? []);
  const nextToken = more ? more.nextToken : first.data?.nextToken;

  const currentQuery = (): AuditQuery => {
    const q: AuditQuery = { ...rangeToBounds(range, Date.now()) };
    if (statuses.length) q.status = statuses.map((o) => o.value as Status);
    if (accountId.trim()) q.accountId = accountId.trim();
    if (requester.trim()) q.requester = requester.trim();
    return q;
  };
  const apply = () => {
    setMore(null);
    setQuery(currentQuery());
  };
  const loadMore = async () => {
    if (!nextToken) return;
    setLoadingMore(true);
    try {
      const page = await api.audit(query, 100, nextToken);
      setMore({ items: [...items, ...page.items], nextToken: page.nextToken });
    } catch (err) {
      flash.push({ type: 'error', header: 'Could not load more requests', content: errorMessage(err) });
    } finally {
      setLoadingMore(false);
    }
  };
  const exportCsv = async () => {
    setExporting(true);
    try {
      const csv = await api.auditCsv(query);
      downloadText(csvFilename('team-requests'), csv);
    } catch (err) {
      flash.push({ type: 'error', header: 'The export failed', content: errorMessage(err) });
    } finally {
      setExporting(false);
    }
  };

  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description="Every request of every user. Filters are applied by the server; the CSV export holds every match (up to 100,000)."
      >
        Audit requests
      </Header>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <Form
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button
                formAction="none"
                onClick={() => {
                  setRange(null);
                  setStatuses([]);
                  setAccountId('');
                  setRequester('');
                  setMore(null);
                  setQuery({});
                }}
              >
                Clear filters
              </Button>
              <Button variant="primary" formAction="submit" data-testid="audit-search">
                Search
              </Button>
            </SpaceBetween>
          }
        >
          <Container header={<Header variant="h2">Filters</Header>}>
            <ColumnLayout columns={4}>
              <FormField label="Session time" description="Sessions overlapping this range." errorText={errors.from ?? errors.to}>
                <DateRangePicker
                  value={range}
                  onChange={(e) => setRange(e.detail.value)}
                  relativeOptions={RELATIVE}
                  isValidRange={(v) => {
                    if (!v) return { valid: true };
                    if (v.type === 'absolute' && (!v.startDate || !v.endDate)) {
                      return { valid: false, errorMessage: 'Choose a start and an end.' };
                    }
                    if (v.type === 'absolute' && Date.parse(v.startDate) > Date.parse(v.endDate)) {
                      return { valid: false, errorMessage: 'The start must be before the end.' };
                    }
                    return { valid: true };
                  }}
                  placeholder="Any time"
                  showClearButton
                />
              </FormField>
              <FormField label="Status" errorText={errors.status}>
                <Multiselect
                  selectedOptions={statuses}
                  onChange={(e) => setStatuses(e.detail.selectedOptions)}
                  options={STATUS_OPTIONS}
                  placeholder="Any status"
                  tokenLimit={2}
                  data-testid="audit-status"
                />
              </FormField>
              <FormField label="Account id" errorText={errors.accountId}>
                <Input
                  value={accountId}
                  onChange={(e) => setAccountId(e.detail.value)}
                  placeholder="123456789012"
                  inputMode="numeric"
                  data-testid="audit-account"
                />
              </FormField>
              <FormField label="Requester" description="User name or user id." errorText={errors.requester}>
                <Input
                  value={requester}
                  onChange={(e) => setRequester(e.detail.value)}
                  placeholder="alice"
                  data-testid="audit-requester"
                />
              </FormField>
            </ColumnLayout>
          </Container>
        </Form>
      </form>
      {first.error && Object.keys(errors).length === 0 ? <LoadError error={first.error} what="requests" /> : null}
      <Table
        items={items}
        loading={first.loading}
        loadingText="Loading requests"
        trackBy="id"
        wrapLines
        data-testid="audit-results"
        header={
          <Header
            variant="h2"
            counter={`(${items.length}${nextToken ? '+' : ''})`}
            actions={
              <Button
                iconName="download"
                onClick={() => void exportCsv()}
                loading={exporting}
                data-testid="export-csv"
              >
                Export CSV
              </Button>
            }
          >
            Requests
          </Header>
        }
        columnDefinitions={[
          {
            id: 'request',
            header: 'Request',
            isRowHeader: true,
            cell: (r) => (
              <AppLink to={`/requests/${encodeURIComponent(r.id)}`} testId={`audit-open-${r.id}`}>
                {r.permissionSet.name}
              </AppLink>
            ),
          },
          { id: 'requester', header: 'Requester', cell: (r) => <UserName user={r.requester} /> },
          { id: 'account', header: 'Account', cell: (r) => <AccountName r={r} /> },
          { id: 'start', header: 'Start', minWidth: 150, cell: (r) => formatDateTime(r.startTime) },
          { id: 'duration', header: 'Duration', cell: (r) => formatMinutes(r.durationMinutes) },
          { id: 'status', header: 'Status', minWidth: 140, cell: (r) => <StatusBadge status={r.status} testId={`status-${r.id}`} /> },
          {
            id: 'approvers',
            header: 'Decided by',
            cell: (r) =>
              r.decisions.length
                ? r.decisions.map((d) => `${d.by.username} (${d.outcome})`).join(', ')
                : r.approvalRequired
                  ? '-'
                  : 'no approval needed',
          },
          { id: 'justification', header: 'Justification', cell: (r) => r.justification, maxWidth: 280 },
          {
            id: 'activity',
            header: 'Activity',
            cell: (r) => (
              <AppLink to={`/requests/${encodeURIComponent(r.id)}`}>Session activity</AppLink>
            ),
          },
        ]}
        empty={<EmptyState title="No requests match" />}
        footer={
          nextToken ? (
            <Box textAlign="center">
              <Button onClick={() => void loadMore()} loading={loadingMore} data-testid="audit-more">
                Load more
              </Button>
            </Box>
          ) : undefined
        }
      />
    </SpaceBetween>
  );
}
