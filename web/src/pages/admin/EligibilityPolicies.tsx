// Admins: eligibility policies (who may request which permission sets where, for how long).

import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Toggle from '@cloudscape-design/components/toggle';
import type { EligibilityPolicy, EligibilityPolicyInput } from '../../api/types';
import { useApp } from '../../context';
import { LoadError, Loading } from '../../components/common';
import { DurationInput, KindPicker, MultiPicker } from '../../components/fields';
import { list, PolicyFormPage, PolicyList, usePolicyForm, type PolicyKind } from '../../components/PolicyPages';
import type { FieldErrors } from '../../lib/errors';
import { formatMinutes, parseHoursMinutes, splitMinutes } from '../../lib/time';
import { useDirectory, useNames, useOptions } from './directory';

// Test ids: eligibility-policies, create-eligibility, edit-eligibility-{id},
// delete-eligibility-{id}, eligibility-form.
const KIND: PolicyKind<EligibilityPolicy, EligibilityPolicyInput> = {
  noun: 'eligibility',
  path: '/admin/eligibility',
  list: (api) => api.eligibilityPolicies(),
  get: (api, id) => api.eligibilityPolicy(id),
  save: (api, id, input) => api.saveEligibilityPolicy(id, input),
  remove: (api, id) => api.deleteEligibilityPolicy(id),
};

export function EligibilityPolicies() {
  const { api } = useApp();
  const dir = useDirectory(api);
  const names = useNames(dir.data);
  return (
    <PolicyList
      kind={KIND}
      description="Who may request which permission sets on which accounts, for how long, and whether approval and a ticket are needed. Where several policies cover the same account and permission set, the most generous wins."
      columns={[
        {
          id: 'principal',
          header: 'Who',
          cell: (p) =>
            p.principal.type === 'user' ? `User ${names.user(p.principal.id)}` : `Group ${names.group(p.principal.id)}`,
        },
        { id: 'accounts', header: 'Accounts', cell: (p) => list(p.accounts.map(names.account)) },
        { id: 'ous', header: 'OUs', cell: (p) => list(p.ous.map(names.ou)) },
        { id: 'ps', header: 'Permission sets', cell: (p) => list(p.permissionSets.map(names.permissionSet)) },
        {
          id: 'max',
          header: 'Max duration',
          cell: (p) => <span data-testid={`max-${p.id}`}>{formatMinutes(p.maxDurationMinutes)}</span>,
        },
        { id: 'approval', header: 'Approval', cell: (p) => (p.approvalRequired ? 'Required' : 'Not required') },
        { id: 'ticket', header: 'Ticket', cell: (p) => (p.ticketRequired ? 'Required' : 'Optional') },
      ]}
      empty="Nobody can request access yet."
    />
  );
}

interface FormState {
  name: string;
  principalType: 'user' | 'group';
  principalId: string;
  accounts: string[];
  ous: string[];
  permissionSets: string[];
  hours: string;
  minutes: string;
  approvalRequired: boolean;
  ticketRequired: boolean;
}

const EMPTY: FormState = {
  name: '',
  principalType: 'group',
  principalId: '',
  accounts: [],
  ous: [],
  permissionSets: [],
  hours: '4',
  minutes: '0',
  approvalRequired: true,
  ticketRequired: false,
};

function toForm(p: EligibilityPolicy): FormState {
  const { hours, minutes } = splitMinutes(p.maxDurationMinutes);
  return {
    name: p.name,
    principalType: p.principal.type,
    principalId: p.principal.id,
    accounts: p.accounts,
    ous: p.ous,
    permissionSets: p.permissionSets,
    hours: String(hours),
    minutes: String(minutes),
    approvalRequired: p.approvalRequired,
    ticketRequired: p.ticketRequired,
  };
}

function toInput(form: FormState, errs: FieldErrors): EligibilityPolicyInput | undefined {
  if (!form.name.trim()) errs.name = 'Give the policy a name.';
  if (!form.principalId) errs.principal = `Choose a ${form.principalType}.`;
  const minutes = parseHoursMinutes(form.hours, form.minutes);
  if (minutes === null || minutes < 1) errs.maxDurationMinutes = 'Enter a duration of at least one minute.';
  if (minutes === null) return undefined;
  return {
    name: form.name.trim(),
    principal: { type: form.principalType, id: form.principalId },
    accounts: form.accounts,
    ous: form.ous,
    permissionSets: form.permissionSets,
    maxDurationMinutes: minutes,
    approvalRequired: form.approvalRequired,
    ticketRequired: form.ticketRequired,
  };
}

const FIELDS = ['name', 'principal', 'accounts', 'ous', 'permissionSets', 'maxDurationMinutes'];

export function EligibilityPolicyForm() {
  const { api } = useApp();
  const dir = useDirectory(api);
  const options = useOptions(dir.data);
  const editor = usePolicyForm(KIND, { empty: EMPTY, toForm, toInput, fields: FIELDS });
  const { form, set, text, flag, ids, errors } = editor;

  if (!form) return <Loading error={editor.existing.error} what="the policy" />;
  const loading = dir.loading;

  return (
    <PolicyFormPage kind={KIND} editor={editor}>
      <LoadError error={dir.error} what="the organization and directory" />
      <Container header={<Header variant="h2">Policy</Header>}>
        <SpaceBetween size="l">
          <FormField label="Name" errorText={errors.name}>
            <Input {...text('name')} data-testid="policy-name" />
          </FormField>
          <KindPicker
            label="Who is eligible"
            errorText={errors.principal}
            kind={form.principalType}
            kinds={[
              { value: 'group', label: 'Members of a group' },
              { value: 'user', label: 'One user' },
            ]}
            onKind={(principalType) => set({ principalType, principalId: '' })}
            options={form.principalType === 'user' ? options.users : options.groups}
            value={form.principalId}
            onChange={(principalId) => set({ principalId })}
            placeholder={`Choose a ${form.principalType}`}
            loading={loading}
            testId="policy-principal"
          />
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h2" description="Name accounts, OUs (every account below them), or both.">Where</Header>}>
        <SpaceBetween size="l">
          <MultiPicker
            label="Accounts"
            errorText={errors.accounts}
            options={options.accounts}
            {...ids('accounts')}
            virtualScroll
            placeholder="Choose accounts"
            loading={loading}
            testId="policy-accounts"
          />
          <MultiPicker
            label="Organizational units"
            errorText={errors.ous}
            options={options.ous}
            {...ids('ous')}
            placeholder="Choose OUs"
            loading={loading}
            testId="policy-ous"
          />
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h2">What</Header>}>
        <SpaceBetween size="l">
          <MultiPicker
            label="Permission sets"
            errorText={errors.permissionSets}
            options={options.permissionSets}
            {...ids('permissionSets')}
            placeholder="Choose permission sets"
            loading={loading}
            testId="policy-permission-sets"
          />
          <FormField
            label="Maximum duration"
            constraintText="Capped by the global maximum in the settings."
            errorText={errors.maxDurationMinutes}
            data-testid="field-max-duration"
          >
            <DurationInput
              hours={form.hours}
              minutes={form.minutes}
              onHours={(hours) => set({ hours })}
              onMinutes={(minutes) => set({ minutes })}
              testIds={['policy-hours', 'policy-minutes']}
            />
          </FormField>
          <Toggle
            {...flag('approvalRequired')}
            description="Off: requests start without approval (unless the settings require approval for everyone)."
          >
            Approval required
          </Toggle>
          <Toggle {...flag('ticketRequired')} description="Requests must name a change or incident ticket.">
            Ticket number required
          </Toggle>
        </SpaceBetween>
      </Container>
    </PolicyFormPage>
  );
}
