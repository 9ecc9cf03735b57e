// Admins: approver policies (who approves requests for an account or OU).

import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import type { ApproverPolicy, ApproverPolicyInput } from '../../api/types';
import { useApp } from '../../context';
import { LoadError, Loading } from '../../components/common';
import { KindPicker, MultiPicker } from '../../components/fields';
import { list, PolicyFormPage, PolicyList, usePolicyForm, type PolicyKind } from '../../components/PolicyPages';
import type { FieldErrors } from '../../lib/errors';
import { useDirectory, useNames, useOptions } from './directory';

// Test ids: approver-policies, create-approver, edit-approver-{id},
// delete-approver-{id}, approver-form.
const KIND: PolicyKind<ApproverPolicy, ApproverPolicyInput> = {
  noun: 'approver',
  path: '/admin/approvers',
  list: (api) => api.approverPolicies(),
  get: (api, id) => api.approverPolicy(id),
  save: (api, id, input) => api.saveApproverPolicy(id, input),
  remove: (api, id) => api.deleteApproverPolicy(id),
};

export function ApproverPolicies() {
  const { api } = useApp();
  const dir = useDirectory(api);
  const names = useNames(dir.data);
  return (
    <PolicyList
      kind={KIND}
      description="Who approves requests for an account, or for every account below an OU. Every policy covering a request adds its approvers; the strictest number of approvals applies."
      columns={[
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
      ]}
      empty="Requests that need approval cannot be made yet."
    />
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

function toInput(form: FormState, errs: FieldErrors): ApproverPolicyInput {
  if (!form.name.trim()) errs.name = 'Give the policy a name.';
  if (!form.scopeId) errs.scope = `Choose ${form.scopeType === 'account' ? 'an account' : 'an OU'}.`;
  const n = Number(form.approvalsRequired);
  if (!/^\d+$/.test(form.approvalsRequired.trim()) || n < 1) errs.approvalsRequired = 'Enter a whole number from 1 to 10.';
  return {
    name: form.name.trim(),
    scope: { type: form.scopeType, id: form.scopeId },
    permissionSets: form.permissionSets,
    approverGroups: form.approverGroups,
    approverUsers: form.approverUsers,
    approvalsRequired: n,
  };
}

const FIELDS = ['name', 'scope', 'accounts', 'ous', 'permissionSets', 'approverGroups', 'approverUsers', 'approvalsRequired'];

export function ApproverPolicyForm() {
  const { api } = useApp();
  const dir = useDirectory(api);
  const options = useOptions(dir.data);
  const editor = usePolicyForm(KIND, { empty: EMPTY, toForm, toInput, fields: FIELDS });
  const { form, set, text, ids, errors } = editor;

  if (!form) return <Loading error={editor.existing.error} what="the policy" />;
  const loading = dir.loading;
  // The server reports a scope it does not know as "accounts" or "ous".
  const scopeError = errors.scope ?? (form.scopeType === 'account' ? errors.accounts : errors.ous);

  return (
    <PolicyFormPage kind={KIND} editor={editor}>
      <LoadError error={dir.error} what="the organization and directory" />
      <Container header={<Header variant="h2">Scope</Header>}>
        <SpaceBetween size="l">
          <FormField label="Name" errorText={errors.name}>
            <Input {...text('name')} data-testid="policy-name" />
          </FormField>
          <KindPicker
            label="Covers"
            errorText={scopeError}
            kind={form.scopeType}
            kinds={[
              { value: 'ou', label: 'Every account below an OU (nested OUs included)' },
              { value: 'account', label: 'One account' },
            ]}
            onKind={(scopeType) => set({ scopeType, scopeId: '' })}
            options={form.scopeType === 'account' ? options.accounts : options.ous}
            value={form.scopeId}
            onChange={(scopeId) => set({ scopeId })}
            placeholder={form.scopeType === 'account' ? 'Choose an account' : 'Choose an OU'}
            loading={loading}
            testId="policy-scope"
          />
          <MultiPicker
            label={
              <span>
                Permission sets <i>- optional</i>
              </span>
            }
            description="Only requests for these permission sets. Leave empty for every permission set."
            errorText={errors.permissionSets}
            options={options.permissionSets}
            {...ids('permissionSets')}
            placeholder="All permission sets"
            loading={loading}
            testId="policy-permission-sets"
          />
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h2" description="Name at least one group or user. Requesters never approve their own requests.">Approvers</Header>}>
        <SpaceBetween size="l">
          <MultiPicker
            label="Approver groups"
            errorText={errors.approverGroups}
            options={options.groups}
            {...ids('approverGroups')}
            virtualScroll
            placeholder="Choose groups"
            loading={loading}
            testId="policy-groups"
          />
          <MultiPicker
            label="Approver users"
            errorText={errors.approverUsers}
            options={options.users}
            {...ids('approverUsers')}
            virtualScroll
            placeholder="Choose users"
            loading={loading}
            testId="policy-users"
          />
          <FormField
            label="Approvals required"
            description="How many different approvers must approve (1 to 10)."
            errorText={errors.approvalsRequired}
          >
            <div style={{ width: 90 }}>
              <Input type="number" {...text('approvalsRequired')} data-testid="policy-approvals" />
            </div>
          </FormField>
        </SpaceBetween>
      </Container>
    </PolicyFormPage>
  );
}
