// Admins: eligibility policies (who may request which permission sets where, for how long).

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
import Toggle from '@cloudscape-design/components/toggle';
import type { EligibilityPolicy, EligibilityPolicyInput } from '../../api/types';
import { useApp, useFlash } from '../../context';
import { AppLink, EmptyState, LoadError } from '../../components/common';
import { splitError, type FieldErrors } from '../../lib/errors';
import { useAsync } from '../../lib/hooks';
import { formatDateTime, formatMinutes, parseHoursMinutes, splitMinutes } from '../../lib/time';
import { ids, selected, useDirectory, useNames, useOptions } from './directory';
import { DeleteModal, list } from './shared';

export function EligibilityPolicies() {
  const { api } = useApp();
  const navigate = useNavigate();
  const policies = useAsync(() => api.eligibilityPolicies(), 'eligibility-policies');
  const dir = useDirectory(api);
  const names = useNames(dir.data);
  const [deleting, setDeleting] = useState<EligibilityPolicy | null>(null);
  const items = policies.data ?? [];
  return (
    <SpaceBetween size="m">
      <LoadError error={policies.error} what="eligibility policies" />
      <Table
        data-testid="eligibility-policies"
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
            description="Who may request which permission sets on which accounts, for how long, and whether approval and a ticket are needed. Where several policies cover the same account and permission set, the most generous wins."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button iconName="refresh" ariaLabel="Refresh" onClick={policies.reload} />
                <Button variant="primary" onClick={() => navigate('/admin/eligibility/new')} data-testid="create-eligibility">
                  Create policy
                </Button>
              </SpaceBetween>
            }
          >
            Eligibility policies
          </Header>
        }
        columnDefinitions={[
          {
            id: 'name',
            header: 'Name',
            isRowHeader: true,
            cell: (p) => (
              <AppLink to={`/admin/eligibility/${encodeURIComponent(p.id)}`} testId={`edit-eligibility-${p.id}`}>
                {p.name}
              </AppLink>
            ),
          },
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
          { id: 'updated', header: 'Updated', cell: (p) => formatDateTime(p.updatedAt) },
          {
            id: 'actions',
            header: 'Actions',
            cell: (p) => (
              <Button variant="inline-link" onClick={() => setDeleting(p)} data-testid={`delete-eligibility-${p.id}`}>
                Delete
              </Button>
            ),
          },
        ]}
        empty={<EmptyState title="No eligibility policies">Nobody can request access yet.</EmptyState>}
      />
      <DeleteModal
        what="eligibility policy"
        name={deleting?.name}
        onClose={() => setDeleting(null)}
        onDelete={async () => {
          if (!deleting) return;
          await api.deleteEligibilityPolicy(deleting.id);
          setDeleting(null);
          policies.reload();
        }}
      />
    </SpaceBetween>
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

const FIELDS = ['name', 'principal', 'accounts', 'ous', 'permissionSets', 'maxDurationMinutes'];

export function EligibilityPolicyForm() {
  const { id = 'new' } = useParams();
  const isNew = id === 'new';
  const { api } = useApp();
  const flash = useFlash();
  const navigate = useNavigate();
  const dir = useDirectory(api);
  const options = useOptions(dir.data);
  const existing = useAsync(async () => (isNew ? null : api.eligibilityPolicy(id)), `eligibility-policy:${id}`);
  const [form, setForm] = useState<FormState | null>(isNew ? EMPTY : null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (existing.data && form === null) setForm(toForm(existing.data));
  }, [existing.data, form]);

  const selectedAccounts = useMemo(() => selected(options.accounts, form?.accounts ?? []), [options.accounts, form?.accounts]);
  const selectedOus = useMemo(() => selected(options.ous, form?.ous ?? []), [options.ous, form?.ous]);
  const selectedPs = useMemo(
    () => selected(options.permissionSets, form?.permissionSets ?? []),
    [options.permissionSets, form?.permissionSets],
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
  const principalOptions = form.principalType === 'user' ? options.users : options.groups;
  const principalSelected = form.principalId
    ? (principalOptions.find((o) => o.value === form.principalId) ?? { value: form.principalId, label: form.principalId })
    : null;

  const save = async () => {
    const errs: FieldErrors = {};
    if (!form.name.trim()) errs.name = 'Give the policy a name.';
    if (!form.principalId) errs.principal = `Choose a ${form.principalType}.`;
    const minutes = parseHoursMinutes(form.hours, form.minutes);
    if (minutes === null || minutes < 1) errs.maxDurationMinutes = 'Enter a duration of at least one minute.';
    setErrors(errs);
    setGeneral(null);
    if (Object.keys(errs).length || minutes === null) return;
    const input: EligibilityPolicyInput = {
      name: form.name.trim(),
      principal: { type: form.principalType, id: form.principalId },
      accounts: form.accounts,
      ous: form.ous,
      permissionSets: form.permissionSets,
      maxDurationMinutes: minutes,
      approvalRequired: form.approvalRequired,
      ticketRequired: form.ticketRequired,
    };
    setBusy(true);
    try {
      const saved = await api.saveEligibilityPolicy(isNew ? undefined : id, input);
      flash.push({ type: 'success', keep: 1, content: `Eligibility policy "${saved.name}" saved.`, testId: 'policy-saved' });
      navigate('/admin/eligibility');
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
          {isNew ? 'Create eligibility policy' : `Edit eligibility policy: ${existing.data?.name ?? ''}`}
        </Header>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        data-testid="eligibility-form"
      >
        <Form
          errorText={general}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button formAction="none" variant="link" onClick={() => navigate('/admin/eligibility')}>
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
            <Container header={<Header variant="h2">Policy</Header>}>
              <SpaceBetween size="l">
                <FormField label="Name" errorText={errors.name}>
                  <Input value={form.name} onChange={(e) => set({ name: e.detail.value })} data-testid="policy-name" />
                </FormField>
                <FormField label="Who is eligible" errorText={errors.principal}>
                  <SpaceBetween size="s">
                    <RadioGroup
                      value={form.principalType}
                      onChange={(e) => set({ principalType: e.detail.value as 'user' | 'group', principalId: '' })}
                      items={[
                        { value: 'group', label: 'Members of a group' },
                        { value: 'user', label: 'One user' },
                      ]}
                    />
                    <Select
                      selectedOption={principalSelected}
                      onChange={(e) => set({ principalId: e.detail.selectedOption.value ?? '' })}
                      options={principalOptions}
                      filteringType="auto"
                      virtualScroll={principalOptions.length > 200}
                      placeholder={`Choose a ${form.principalType}`}
                      statusType={dir.loading ? 'loading' : 'finished'}
                      data-testid="policy-principal"
                    />
                  </SpaceBetween>
                </FormField>
              </SpaceBetween>
            </Container>
            <Container header={<Header variant="h2" description="Name accounts, OUs (every account below them), or both.">Where</Header>}>
              <SpaceBetween size="l">
                <FormField label="Accounts" errorText={errors.accounts}>
                  <Multiselect
                    selectedOptions={selectedAccounts}
                    onChange={(e) => set({ accounts: ids(e.detail.selectedOptions) })}
                    options={options.accounts}
                    filteringType="auto"
                    virtualScroll={options.accounts.length > 200}
                    tokenLimit={5}
                    placeholder="Choose accounts"
                    statusType={dir.loading ? 'loading' : 'finished'}
                    data-testid="policy-accounts"
                  />
                </FormField>
                <FormField label="Organizational units" errorText={errors.ous}>
                  <Multiselect
                    selectedOptions={selectedOus}
                    onChange={(e) => set({ ous: ids(e.detail.selectedOptions) })}
                    options={options.ous}
                    filteringType="auto"
                    tokenLimit={5}
                    placeholder="Choose OUs"
                    statusType={dir.loading ? 'loading' : 'finished'}
                    data-testid="policy-ous"
                  />
                </FormField>
              </SpaceBetween>
            </Container>
            <Container header={<Header variant="h2">What</Header>}>
              <SpaceBetween size="l">
                <FormField label="Permission sets" errorText={errors.permissionSets}>
                  <Multiselect
                    selectedOptions={selectedPs}
                    onChange={(e) => set({ permissionSets: ids(e.detail.selectedOptions) })}
                    options={options.permissionSets}
                    filteringType="auto"
                    tokenLimit={5}
                    placeholder="Choose permission sets"
                    statusType={dir.loading ? 'loading' : 'finished'}
                    data-testid="policy-permission-sets"
                  />
                </FormField>
                <FormField
                  label="Maximum duration"
                  constraintText="Capped by the global maximum in the settings."
                  errorText={errors.maxDurationMinutes}
                  data-testid="field-max-duration"
                >
                  <SpaceBetween direction="horizontal" size="xs" alignItems="center">
                    <div style={{ width: 90 }}>
                      <Input
                        type="number"
                        value={form.hours}
                        onChange={(e) => set({ hours: e.detail.value })}
                        ariaLabel="Hours"
                        data-testid="policy-hours"
                      />
                    </div>
                    <Box variant="span">hours</Box>
                    <div style={{ width: 90 }}>
                      <Input
                        type="number"
                        value={form.minutes}
                        onChange={(e) => set({ minutes: e.detail.value })}
                        ariaLabel="Minutes"
                        data-testid="policy-minutes"
                      />
                    </div>
                    <Box variant="span">minutes</Box>
                  </SpaceBetween>
                </FormField>
                <Toggle
                  checked={form.approvalRequired}
                  onChange={(e) => set({ approvalRequired: e.detail.checked })}
                  description="Off: requests start without approval (unless the settings require approval for everyone)."
                >
                  Approval required
                </Toggle>
                <Toggle
                  checked={form.ticketRequired}
                  onChange={(e) => set({ ticketRequired: e.detail.checked })}
                  description="Requests must name a change or incident ticket."
                >
                  Ticket number required
                </Toggle>
              </SpaceBetween>
            </Container>
          </SpaceBetween>
        </Form>
      </form>
    </ContentLayout>
  );
}
