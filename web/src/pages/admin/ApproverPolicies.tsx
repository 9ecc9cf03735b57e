// Admins: approver policies (who approves requests for an account or OU).

import { useEffect, useMemo, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Multiselect from '@cloudscape-design/components/multiselect';
import RadioGroup from '@cloudscape-design/components/radio-group';
import Select from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import Table from '@cloudscape-design/components/table';
import type { ApproverPolicy, ApproverPolicyInput } from '../../api/types';
import { useApp, useFlash } from '../../context';
import { AppLink, EmptyState, LoadError } from '../../components/common';
import { splitError, type FieldErrors } from '../../lib/errors';
import { useAsync } from '../../lib/hooks';
import { formatDateTime } from '../../lib/time';
import { ids, selected, useDirectory, useNames, useOptions } from './directory';
import { DeleteModal, list } from './shared';

export function ApproverPolicies() {
  const { api } = useApp();
  const navigate = useNavigate();
  const policies = useAsync(() => api.approverPolicies(), 'approver-policies');
  const dir = useDirectory(api);
  const names = useNames(dir.data);
  const [deleting, setDeleting] = useState<ApproverPolicy | null>(null);
  const items = policies.data ?? [];
  return (
    <SpaceBetween size="m">
      <LoadError error={policies.error} what="approver policies" />
      <Table
        data-testid="approver-policies"
        items={items}
        loading={policies.loading && !policies.data}
        loadingText="Loading policies"
        trackBy="id"
        variant="full-page"
        wrapLines
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${items.length})`}
            description="Who approves requests for an account, or for every account below an OU. Every policy covering a request adds its approvers; the strictest number of approvals applies."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button iconName="refresh" ariaLabel="Refresh" onClick={policies.reload} />
                <Button variant="primary" onClick={() => navigate('/admin/approvers/new')} data-testid="create-approver">
                  Create policy
                </Button>
              </SpaceBetween>
            }
          >
            Approver policies
          </Header>
        }
        columnDefinitions={[
          {
            id: 'name',
            header: 'Name',
            isRowHeader: true,
            cell: (p) => (
              <AppLink to={`/admin/approvers/${encodeURIComponent(p.id)}`} testId={`edit-approver-${p.id}`}>
                {p.name}
              </AppLink>
            ),
          },
          {
            id: 'scope',
            header: 'Scope',
            cell: (p) =>
              p.scope.type === 'account' ? `Account ${names.account(p.scope.id)} (${p.scope.id})` : `OU ${names.ou(p.scope.id)}`,
          },
          {
            id: 'ps',
            header: 'Permission sets',
            cell: (p) => (p.permissionSets.length ? list(p.permissionSets.map(names.permissionSet)) : 'All'),
          },
          { id: 'groups', header: 'Approver groups', cell: (p) => list(p.approverGroups.map(names.group)) },
          { id: 'users', header: 'Approver users', cell: (p) => list(p.approverUsers.map(names.user)) },
          { id: 'n', header: 'Approvals needed', cell: (p) => p.approvalsRequired },
          { id: 'updated', header: 'Updated', cell: (p) => formatDateTime(p.updatedAt) },
          {
            id: 'actions',
            header: 'Actions',
            cell: (p) => (
              <Button variant="inline-link" onClick={() => setDeleting(p)} data-testid={`delete-approver-${p.id}`}>
                Delete
              </Button>
            ),
          },
        ]}
        empty={<EmptyState title="No approver policies">Requests that need approval cannot be made yet.</EmptyState>}
      />
      <DeleteModal
        what="approver policy"
        name={deleting?.name}
        onClose={() => setDeleting(null)}
        onDelete={async () => {
          if (!deleting) return;
          await api.deleteApproverPolicy(deleting.id);
          setDeleting(null);
          policies.reload();
        }}
      />
    </SpaceBetween>
  );
}

interface FormState {
  name: string;
  scopeType: 'account' | 'ou';
  scopeId: string;
  permissionSets: string[];
  approverGroups: string[];
  approverUsers: string[];
  approvalsRequired: string;
}

const EMPTY: FormState = {
  name: '',
  scopeType: 'ou',
  scopeId: '',
  permissionSets: [],
  approverGroups: [],
  approverUsers: [],
  approvalsRequired: '1',
};

function toForm(p: ApproverPolicy): FormState {
  return {
    name: p.name,
    scopeType: p.scope.type,
    scopeId: p.scope.id,
    permissionSets: p.permissionSets,
    approverGroups: p.approverGroups,
    approverUsers: p.approverUsers,
    approvalsRequired: String(p.approvalsRequired),
  };
}

const FIELDS = ['name', 'scope', 'accounts', 'ous', 'permissionSets', 'approverGroups', 'approverUsers', 'approvalsRequired'];

export function ApproverPolicyForm() {
  const { id = 'new' } = useParams();
  const isNew = id === 'new';
  const { api } = useApp();
  const flash = useFlash();
  const navigate = useNavigate();
  const dir = useDirectory(api);
  const options = useOptions(dir.data);
  const existing = useAsync(async () => (isNew ? null : api.approverPolicy(id)), `approver-policy:${id}`);
  const [form, setForm] = useState<FormState | null>(isNew ? EMPTY : null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (existing.data && form === null) setForm(toForm(existing.data));
  }, [existing.data, form]);

  const selectedPs = useMemo(
    () => selected(options.permissionSets, form?.permissionSets ?? []),
    [options.permissionSets, form?.permissionSets],
  );
  const selectedGroups = useMemo(
    () => selected(options.groups, form?.approverGroups ?? []),
    [options.groups, form?.approverGroups],
  );
  const selectedUsers = useMemo(
    () => selected(options.users, form?.approverUsers ?? []),
    [options.users, form?.approverUsers],
  );

  if (existing.error) return <LoadError error={existing.error} what="the policy" />;
  if (!form) {
    return (
      <Box textAlign="center" padding="xxl">
        <Spinner size="large" />
      </Box>
    );
  }
  const set = (patch: Partial<FormState>) => setForm((f) => (f ? { ...f, ...patch } : f));
  const scopeOptions = form.scopeType === 'account' ? options.accounts : options.ous;
  const scopeSelected = form.scopeId
    ? (scopeOptions.find((o) => o.value === form.scopeId) ?? { value: form.scopeId, label: form.scopeId })
    : null;
  // The server reports a scope it does not know as "accounts" or "ous".
  const scopeError = errors.scope ?? (form.scopeType === 'account' ? errors.accounts : errors.ous);

  const save = async () => {
    const errs: FieldErrors = {};
    if (!form.name.trim()) errs.name = 'Give the policy a name.';
    if (!form.scopeId) errs.scope = `Choose ${form.scopeType === 'account' ? 'an account' : 'an OU'}.`;
    const n = Number(form.approvalsRequired);
    if (!/^\d+$/.test(form.approvalsRequired.trim()) || n < 1) errs.approvalsRequired = 'Enter a whole number from 1 to 10.';
    setErrors(errs);
    setGeneral(null);
    if (Object.keys(errs).length) return;
    const input: ApproverPolicyInput = {
      name: form.name.trim(),
      scope: { type: form.scopeType, id: form.scopeId },
      permissionSets: form.permissionSets,
      approverGroups: form.approverGroups,
      approverUsers: form.approverUsers,
      approvalsRequired: n,
    };
    setBusy(true);
    try {
      const saved = await api.saveApproverPolicy(isNew ? undefined : id, input);
      flash.push({ type: 'success', keep: 1, content: `Approver policy "${saved.name}" saved.`, testId: 'policy-saved' });
      navigate('/admin/approvers');
    } catch (err) {
      const split = splitError(err, FIELDS);
      setErrors(split.fieldErrors);
      setGeneral(split.general);
      setBusy(false);
    }
  };

  return (
    <ContentLayout
      header={
        <Header variant="h1" description={isNew ? undefined : `Policy ${id}`}>
          {isNew ? 'Create approver policy' : `Edit approver policy: ${existing.data?.name ?? ''}`}
        </Header>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        data-testid="approver-form"
      >
        <Form
          errorText={general}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button formAction="none" variant="link" onClick={() => navigate('/admin/approvers')}>
                Cancel
              </Button>
              <Button variant="primary" formAction="submit" loading={busy} data-testid="save-policy">
                Save
              </Button>
            </SpaceBetween>
          }
        >
          <SpaceBetween size="l">
            <LoadError error={dir.error} what="the organization and directory" />
            <Container header={<Header variant="h2">Scope</Header>}>
              <SpaceBetween size="l">
                <FormField label="Name" errorText={errors.name}>
                  <Input value={form.name} onChange={(e) => set({ name: e.detail.value })} data-testid="policy-name" />
                </FormField>
                <FormField label="Covers" errorText={scopeError}>
                  <SpaceBetween size="s">
                    <RadioGroup
                      value={form.scopeType}
                      onChange={(e) => set({ scopeType: e.detail.value as 'account' | 'ou', scopeId: '' })}
                      items={[
                        { value: 'ou', label: 'Every account below an OU (nested OUs included)' },
                        { value: 'account', label: 'One account' },
                      ]}
                    />
                    <Select
                      selectedOption={scopeSelected}
                      onChange={(e) => set({ scopeId: e.detail.selectedOption.value ?? '' })}
                      options={scopeOptions}
                      filteringType="auto"
                      virtualScroll={scopeOptions.length > 200}
                      placeholder={form.scopeType === 'account' ? 'Choose an account' : 'Choose an OU'}
                      statusType={dir.loading ? 'loading' : 'finished'}
                      data-testid="policy-scope"
                    />
                  </SpaceBetween>
                </FormField>
                <FormField
                  label={
                    <span>
                      Permission sets <i>- optional</i>
                    </span>
                  }
                  description="Only requests for these permission sets. Leave empty for every permission set."
                  errorText={errors.permissionSets}
                >
                  <Multiselect
                    selectedOptions={selectedPs}
                    onChange={(e) => set({ permissionSets: ids(e.detail.selectedOptions) })}
                    options={options.permissionSets}
                    filteringType="auto"
                    tokenLimit={5}
                    placeholder="All permission sets"
                    statusType={dir.loading ? 'loading' : 'finished'}
                    data-testid="policy-permission-sets"
                  />
                </FormField>
              </SpaceBetween>
            </Container>
            <Container header={<Header variant="h2" description="Name at least one group or user. Requesters never approve their own requests.">Approvers</Header>}>
              <SpaceBetween size="l">
                <FormField label="Approver groups" errorText={errors.approverGroups}>
                  <Multiselect
                    selectedOptions={selectedGroups}
                    onChange={(e) => set({ approverGroups: ids(e.detail.selectedOptions) })}
                    options={options.groups}
                    filteringType="auto"
                    virtualScroll={options.groups.length > 200}
                    tokenLimit={5}
                    placeholder="Choose groups"
                    statusType={dir.loading ? 'loading' : 'finished'}
                    data-testid="policy-groups"
                  />
                </FormField>
                <FormField label="Approver users" errorText={errors.approverUsers}>
                  <Multiselect
                    selectedOptions={selectedUsers}
                    onChange={(e) => set({ approverUsers: ids(e.detail.selectedOptions) })}
                    options={options.users}
                    filteringType="auto"
                    virtualScroll={options.users.length > 200}
                    tokenLimit={5}
                    placeholder="Choose users"
                    statusType={dir.loading ? 'loading' : 'finished'}
                    data-testid="policy-users"
                  />
                </FormField>
                <FormField
                  label="Approvals required"
                  description="How many different approvers must approve (1 to 10)."
                  errorText={errors.approvalsRequired}
                >
                  <div style={{ width: 90 }}>
                    <Input
                      type="number"
                      value={form.approvalsRequired}
                      onChange={(e) => set({ approvalsRequired: e.detail.value })}
                      data-testid="policy-approvals"
                    />
                  </div>
                </FormField>
              </SpaceBetween>
            </Container>
          </SpaceBetween>
        </Form>
      </form>
    </ContentLayout>
  );
}
