// Admins and auditors: the reconciler's latest runs. What the last run looked at and
// found, and every finding of the latest runs, filtered by kind and outcome.

import { useMemo, useState } from 'react';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Multiselect, { type MultiselectProps } from '@cloudscape-design/components/multiselect';
import Pagination from '@cloudscape-design/components/pagination';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import { useCollection } from '@cloudscape-design/collection-hooks';
import { FINDING_ACTIONS, FINDING_KINDS, type SweepRun } from '../../api/types';
import { useApp } from '../../context';
import { AppLink, EmptyState, Field, LoadError } from '../../components/common';
import { useAsync, useNow } from '../../lib/hooks';
import { formatDateTime } from '../../lib/time';
import {
  accountText,
  actionLabel,
  countBy,
  emptyState,
  filterFindings,
  findingRows,
  formatAgo,
  isFiltered,
  kindDescription,
  kindLabel,
  leakModeText,
  NO_FILTER,
  permissionSetText,
  principalText,
  runSummary,
  severity,
  type FindingFilter,
  type FindingRow,
  type Names,
} from './sweeps';

const RUN_CHOICES = [1, 5, 20, 100];
const RUN_OPTIONS: SelectProps.Option[] = RUN_CHOICES.map((n) => ({
  value: String(n),
  label: n === 1 ? 'Latest run' : `Latest ${n} runs`,
}));
const DEFAULT_RUNS = 20;
const PAGE_SIZE = 50;
const NO_RUN = emptyState(0, 0);

export function SweepsPage() {
  const { api, me } = useApp();
  const [limit, setLimit] = useState(DEFAULT_RUNS);
  const [filter, setFilter] = useState<FindingFilter>(NO_FILTER);
  const runs = useAsync((signal) => api.sweeps(limit, signal), `sweeps-${limit}`);
  // Admins may read the directory: findings then show names, not only ids.
  const names = useAsync(async (): Promise<Names> => {
    if (!me.roles.admin) return {};
    const [accounts, permissionSets, users, groups] = await Promise.allSettled([
      api.accounts(),
      api.permissionSets(),
      api.users(),
      api.groups(),
    ]);
    const map = <T,>(r: PromiseSettledResult<T[]>, key: (x: T) => string, name: (x: T) => string) =>
      r.status === 'fulfilled' ? new Map(r.value.map((x) => [key(x), name(x)])) : undefined;
    return {
      accounts: map(accounts, (a) => a.id, (a) => a.name),
      permissionSets: map(permissionSets, (p) => p.arn, (p) => p.name),
      users: map(users, (u) => u.id, (u) => u.username),
      groups: map(groups, (g) => g.id, (g) => g.name),
    };
  }, `sweep-names-${me.roles.admin}`);

  const list = useMemo(() => runs.data ?? [], [runs.data]);
  const rows = useMemo(() => findingRows(list), [list]);
  const shownRows = useMemo(() => filterFindings(rows, filter), [rows, filter]);
  const { items, collectionProps, paginationProps, actions } = useCollection(shownRows, {
    pagination: { pageSize: PAGE_SIZE },
  });
  const changeFilter = (next: FindingFilter) => {
    setFilter(next);
    actions.setCurrentPage(1);
  };
  const kindCounts = useMemo(() => countBy(rows, 'kind'), [rows]);
  const actionCounts = useMemo(() => countBy(rows, 'action'), [rows]);
  const kindOptions: MultiselectProps.Option[] = FINDING_KINDS.map((k) => ({
    value: k,
    label: kindLabel(k),
    description: kindDescription(k),
    tags: [`${kindCounts.get(k) ?? 0} found`],
  }));
  const actionOptions: MultiselectProps.Option[] = FINDING_ACTIONS.map((a) => ({
    value: a,
    label: actionLabel(a),
    tags: [`${actionCounts.get(a) ?? 0} found`],
  }));
  const nameMaps = names.data ?? {};
  const empty = emptyState(list.length, rows.length);
  const latest = list[0];

  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        description="Compares TEAM-rs's requests with Identity Center's account assignments on a schedule: it re-drives requests stuck past their time, retries owed removals, removes (or reports) assignments no live request holds, and reports assignments made outside TEAM-rs."
        actions={
          <Button iconName="refresh" onClick={runs.reload} loading={runs.loading} data-testid="sweeps-refresh">
            Refresh
          </Button>
        }
      >
        Reconciler
      </Header>
      <LoadError error={runs.error} what="the reconciler's runs" />
      {runs.data || !runs.error ? <LatestRun run={latest} loading={runs.loading && !runs.data} /> : null}
      <Table
        {...collectionProps}
        items={items}
        trackBy="key"
        wrapLines
        loading={runs.loading && !runs.data}
        loadingText="Loading the reconciler's runs"
        data-testid="sweep-findings"
        header={
          <Header
            variant="h2"
            counter={isFiltered(filter) ? `(${shownRows.length}/${rows.length})` : `(${rows.length})`}
            description={
              list.length === 1
                ? 'What the latest run found and did.'
                : `What the latest ${list.length || limit} runs found and did, newest first.`
            }
          >
            Findings
          </Header>
        }
        filter={
          <ColumnLayout columns={3}>
            <FormField label="Kind">
              <Multiselect
                selectedOptions={kindOptions.filter((o) => filter.kinds.includes(o.value ?? ''))}
                onChange={(e) =>
                  changeFilter({ ...filter, kinds: e.detail.selectedOptions.map((o) => o.value ?? '') })
                }
                options={kindOptions}
                placeholder="Any kind"
                inlineTokens
                data-testid="sweep-filter-kind"
              />
            </FormField>
            <FormField label="Outcome">
              <Multiselect
                selectedOptions={actionOptions.filter((o) => filter.actions.includes(o.value ?? ''))}
                onChange={(e) =>
                  changeFilter({ ...filter, actions: e.detail.selectedOptions.map((o) => o.value ?? '') })
                }
                options={actionOptions}
                placeholder="Any outcome"
                inlineTokens
                data-testid="sweep-filter-action"
              />
            </FormField>
            <FormField label="Runs">
              <SpaceBetween direction="horizontal" size="xs">
                <Select
                  selectedOption={RUN_OPTIONS.find((o) => o.value === String(limit)) ?? null}
                  onChange={(e) => {
                    setLimit(Number(e.detail.selectedOption.value ?? DEFAULT_RUNS));
                    actions.setCurrentPage(1);
                  }}
                  options={RUN_OPTIONS}
                  data-testid="sweep-runs"
                />
                <Button onClick={() => changeFilter(NO_FILTER)} disabled={!isFiltered(filter)}>
                  Clear filters
                </Button>
              </SpaceBetween>
            </FormField>
          </ColumnLayout>
        }
        pagination={<Pagination {...paginationProps} />}
        columnDefinitions={[
          {
            id: 'kind',
            header: 'Kind',
            isRowHeader: true,
            minWidth: 140,
            cell: (f) => (
              <span title={kindDescription(f.kind)} data-testid="sweep-kind" data-kind={f.kind}>
                {kindLabel(f.kind)}
              </span>
            ),
          },
          {
            id: 'action',
            header: 'Outcome',
            minWidth: 220,
            cell: (f) => (
              <span data-testid="sweep-action" data-action={f.action}>
                <StatusIndicator type={severity(f)}>{actionLabel(f.action, f.kind)}</StatusIndicator>
              </span>
            ),
          },
          {
            id: 'request',
            header: 'Request',
            cell: (f) =>
              f.requestId ? (
                <AppLink to={`/requests/${encodeURIComponent(f.requestId)}`} testId={`sweep-open-${f.requestId}`}>
                  {f.requestId}
                </AppLink>
              ) : (
                '-'
              ),
          },
          { id: 'account', header: 'Account', cell: (f) => (f.accountId ? accountText(f.accountId, nameMaps) : '-') },
          {
            id: 'permissionSet',
            header: 'Permission set',
            cell: (f) =>
              f.permissionSetArn ? (
                <span title={f.permissionSetArn}>{permissionSetText(f.permissionSetArn, nameMaps)}</span>
              ) : (
                '-'
              ),
          },
          {
            id: 'principal',
            header: 'Principal',
            minWidth: 130,
            cell: (f) =>
              f.principal ? <span title={f.principal.id}>{principalText(f.principal, nameMaps)}</span> : '-',
          },
          { id: 'detail', header: 'Detail', minWidth: 200, maxWidth: 360, cell: (f) => f.detail },
          { id: 'run', header: 'Run', minWidth: 150, cell: (f: FindingRow) => formatDateTime(f.runStartedAt) },
        ]}
        empty={
          <EmptyState title={empty.title}>
            <span data-testid="sweep-empty">{empty.body}</span>
          </EmptyState>
        }
      />
    </SpaceBetween>
  );
}

function LatestRun({ run, loading }: { run: SweepRun | undefined; loading: boolean }) {
  const now = useNow(30_000);
  if (loading) return null;
  if (!run) {
    return (
      <Container header={<Header variant="h2">Latest run</Header>} data-testid="sweep-summary">
        <EmptyState title={NO_RUN.title}>{NO_RUN.body}</EmptyState>
      </Container>
    );
  }
  const summary = runSummary(run);
  return (
    <Container header={<Header variant="h2">Latest run</Header>} data-testid="sweep-summary">
      <SpaceBetween size="l">
        <span data-testid="sweep-summary-text" data-type={summary.type}>
          <StatusIndicator type={summary.type}>{summary.text}</StatusIndicator>
        </span>
        <ColumnLayout columns={4} variant="text-grid">
          <Field label="Started" testId="sweep-started">
            {formatDateTime(run.startedAt)}
            <Box variant="small" display="block" color="text-body-secondary">
              {formatAgo(run.startedAt, now)}
            </Box>
          </Field>
          <Field label="Took" testId="sweep-took">
            {summary.took}
          </Field>
          <Field label="Leaked assignments" testId="sweep-leaks">
            {leakModeText(run.leaks)}
          </Field>
          <Field label="Findings" testId="sweep-count-findings">
            {summary.findings}
          </Field>
          <Field label="Open requests checked" testId="sweep-count-requests">
            {run.counts.requests}
          </Field>
          <Field label="Owed removals" testId="sweep-count-owed">
            {run.counts.owedRemovals}
          </Field>
          <Field label="Account and permission set pairs listed" testId="sweep-count-pairs">
            {run.counts.pairs}
          </Field>
          <Field label="Assignments listed" testId="sweep-count-assignments">
            {run.counts.assignments}
          </Field>
        </ColumnLayout>
        {run.errors.length ? (
          <Alert
            type="error"
            header={
              run.errors.length === 1
                ? 'A part of this run could not run'
                : `${run.errors.length} parts of this run could not run`
            }
            data-testid="sweep-errors"
          >
            The rest of the run went on; the next run tries again.
            <ul>
              {run.errors.map((e, i) => (
                <li key={i}>{e}</li>
              ))}
            </ul>
          </Alert>
        ) : null}
      </SpaceBetween>
    </Container>
  );
}
