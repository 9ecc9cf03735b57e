// Request access: pick an eligible account and permission set, when, how long, and why.

import { useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import DatePicker from '@cloudscape-design/components/date-picker';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Textarea from '@cloudscape-design/components/textarea';
import TimeInput from '@cloudscape-design/components/time-input';
import type { Entitlement, NewRequest } from '../api/types';
import { useApp, useFlash } from '../context';
import { Field, LoadError } from '../components/common';
import { DurationInput, isLong } from '../components/fields';
import { FormPage } from '../components/FormPage';
import { splitError, type FieldErrors } from '../lib/errors';
import { useAsync } from '../lib/hooks';
import { formatMinutes, localToIso, parseHoursMinutes, toLocalParts } from '../lib/time';
import { clearDraft, emptyDraft, loadDraft, saveDraft, type Draft } from '../lib/draft';

/** Server field names this form shows errors beside. */
const FIELDS = ['accountId', 'permissionSetArn', 'startTime', 'durationMinutes', 'justification', 'ticketNo'];
const MAX_JUSTIFICATION = 2000;

export function RequestAccess() {
  const { api, me, settings } = useApp();
  const flash = useFlash();
  const navigate = useNavigate();
  const eligibility = useAsync(() => api.eligibility(), 'eligibility');
  const [draft, setDraft] = useState<Draft>(() => loadDraft(me.user.id) ?? emptyDraft(Date.now()));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  // Whatever was typed survives a failed submit, a reload and a sign-in in between.
  useEffect(() => {
    saveDraft(me.user.id, draft);
  }, [me.user.id, draft]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K], serverField?: string) => {
    setDraft((d) => ({ ...d, [key]: value }));
    if (serverField && errors[serverField]) {
      setErrors((e) => {
        const next = { ...e };
        delete next[serverField];
        return next;
      });
    }
  };

  const accounts = eligibility.data?.accounts;
  const accountOptions = useMemo<SelectProps.Option[]>(
    () =>
      (accounts ?? []).map((a) => ({
        value: a.accountId,
        label: a.accountName,
        description: a.accountId,
      })),
    [accounts],
  );
  const accountById = useMemo(() => new Map((accounts ?? []).map((a) => [a.accountId, a])), [accounts]);
  const account = accountById.get(draft.accountId);
  const psOptions = useMemo<SelectProps.Option[]>(
    () =>
      (account?.permissionSets ?? []).map((p) => ({
        value: p.permissionSetArn,
        label: p.permissionSetName,
        tags: [
          `max ${formatMinutes(p.maxDurationMinutes)}`,
          p.approvalRequired ? 'approval required' : 'no approval',
        ],
      })),
    [account],
  );
  const entitlement: Entitlement | undefined = account?.permissionSets.find(
    (p) => p.permissionSetArn === draft.permissionSetArn,
  );
  const selectedAccount = accountOptions.find((o) => o.value === draft.accountId) ?? null;
  const selectedPs = psOptions.find((o) => o.value === draft.permissionSetArn) ?? null;
  const ticketRequired = entitlement?.ticketRequired === true;

  const onAccount = (value: string) => {
    const next = accountById.get(value);
    setDraft((d) => {
      const keepPs = next?.permissionSets.some((p) => p.permissionSetArn === d.permissionSetArn);
      const onlyPs = next && next.permissionSets.length === 1 ? next.permissionSets[0].permissionSetArn : '';
      return { ...d, accountId: value, permissionSetArn: keepPs ? d.permissionSetArn : onlyPs };
    });
    setErrors((e) => {
      const next2 = { ...e };
      delete next2.accountId;
      delete next2.permissionSetArn;
      return next2;
    });
  };

  const validate = (): { input: NewRequest | null; errs: FieldErrors } => {
    const errs: FieldErrors = {};
    if (!draft.accountId) errs.accountId = 'Choose an account.';
    if (!draft.permissionSetArn) errs.permissionSetArn = 'Choose a permission set.';
    const minutes = parseHoursMinutes(draft.hours, draft.minutes);
    if (minutes === null) errs.durationMinutes = 'Enter whole hours and minutes.';
    else if (minutes < 1) errs.durationMinutes = 'Ask for at least one minute.';
    if (!draft.justification.trim()) errs.justification = 'Say why you need this access.';
    if (ticketRequired && !draft.ticketNo.trim()) errs.ticketNo = 'A ticket number is required for this account and permission set.';
    let startTime: string | undefined;
    if (draft.startEdited) {
      const iso = localToIso(draft.startDate, draft.startTime);
      if (!iso) errs.startTime = 'Enter a valid date and time.';
      else startTime = iso;
    }
    if (Object.keys(errs).length > 0 || minutes === null) {
      return { input: null, errs };
    }
    const input: NewRequest = {
      accountId: draft.accountId,
      permissionSetArn: draft.permissionSetArn,
      durationMinutes: minutes,
      justification: draft.justification,
    };
    if (startTime) input.startTime = startTime;
    if (draft.ticketNo.trim()) input.ticketNo = draft.ticketNo.trim();
    return { input, errs };
  };

  const submit = async () => {
    const { input, errs } = validate();
    setErrors(errs);
    if (!input) return;
    setBusy(true);
    try {
      const created = await api.submit(input);
      clearDraft(me.user.id);
      flash.push({
        type: 'success',
        keep: 1,
        testId: 'submitted',
        content:
          created.status === 'pending'
            ? `Request submitted. It waits for ${created.approvalsRequired > 1 ? `${created.approvalsRequired} approvals` : 'approval'} from ${created.approvers.map((a) => a.username).join(', ')}.`
            : `Request submitted: ${created.status}. No approval is needed.`,
      });
      navigate(`/requests/${encodeURIComponent(created.id)}`);
    } catch (err) {
      const split = splitError(err, FIELDS);
      setErrors(split.fieldErrors);
      if (split.general) {
        window.scrollTo({ top: 0, behavior: 'smooth' });
        flash.push({ type: 'error', header: 'The request was not submitted', content: split.general, testId: 'submit-error' });
      }
      setBusy(false);
    }
  };

  const maxMinutes = entitlement?.maxDurationMinutes ?? eligibility.data?.maxDurationMinutes;
  const now = toLocalParts(Date.now());

  return (
    <FormPage
      header={
        <Header variant="h1" description="Ask for temporary access to a permission set on an AWS account.">
          Request elevated access
        </Header>
      }
      testId="request-form"
      onSubmit={() => void submit()}
      submitLabel="Submit request"
      submitTestId="submit-request"
      busy={busy}
      secondary={{
        label: 'Clear',
        onClick: () => {
          clearDraft(me.user.id);
          setDraft(emptyDraft(Date.now()));
          setErrors({});
        },
      }}
    >
      <LoadError error={eligibility.error} what="what you may request" />
      {eligibility.data && eligibility.data.accounts.length === 0 ? (
        <Alert type="info" header="Nothing to request">
          No eligibility policy covers you yet. Ask a TEAM admin.
        </Alert>
      ) : null}
      <Container header={<Header variant="h2">What</Header>}>
        <SpaceBetween size="l">
          <FormField
            label="Account"
            description="Accounts you are eligible for. Type to filter by name or id."
            errorText={errors.accountId}
            data-testid="field-account"
          >
            <Select
              selectedOption={selectedAccount}
              onChange={(e) => onAccount(e.detail.selectedOption.value ?? '')}
              options={accountOptions}
              filteringType="auto"
              filteringPlaceholder="Find an account by name or id"
              virtualScroll={isLong(accountOptions)}
              placeholder="Choose an account"
              statusType={eligibility.loading && !eligibility.data ? 'loading' : 'finished'}
              loadingText="Loading your eligibility"
              empty="No eligible accounts"
              invalid={!!errors.accountId}
              data-testid="account-select"
            />
          </FormField>
          <FormField
            label="Permission set"
            errorText={errors.permissionSetArn}
            data-testid="field-permission-set"
          >
            <Select
              selectedOption={selectedPs}
              onChange={(e) => set('permissionSetArn', e.detail.selectedOption.value ?? '', 'permissionSetArn')}
              options={psOptions}
              filteringType="auto"
              disabled={!account}
              placeholder={account ? 'Choose a permission set' : 'Choose an account first'}
              empty="No permission sets"
              invalid={!!errors.permissionSetArn}
              data-testid="permission-set-select"
            />
          </FormField>
          {entitlement ? (
            <Box data-testid="entitlement-summary">
              <ColumnLayout columns={3} variant="text-grid">
                <Field label="Maximum duration" testId="max-duration">
                  {formatMinutes(entitlement.maxDurationMinutes)}
                </Field>
                <Field label="Approval" testId="approval-needed">
                  {entitlement.approvalRequired ? (
                    <StatusIndicator type="pending">
                      Required
                      {settings ? ` (approvers have ${settings.approvalExpiryHours} h to decide)` : ''}
                    </StatusIndicator>
                  ) : (
                    <StatusIndicator type="success">Not required: access starts at the start time</StatusIndicator>
                  )}
                </Field>
                <Field label="Ticket number">{entitlement.ticketRequired ? 'Required' : 'Optional'}</Field>
              </ColumnLayout>
            </Box>
          ) : null}
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h2">When</Header>}>
        <SpaceBetween size="l">
          <FormField
            label="Start"
            description={
              draft.startEdited
                ? 'Access starts at this local date and time.'
                : 'Access starts as soon as the request is approved. Change the date or time to schedule it.'
            }
            errorText={errors.startTime}
            data-testid="field-start"
            secondaryControl={
              draft.startEdited ? (
                <Button
                  formAction="none"
                  onClick={() =>
                    setDraft((d) => ({ ...d, startEdited: false, startDate: now.date, startTime: now.time }))
                  }
                >
                  Start now
                </Button>
              ) : undefined
            }
          >
            <SpaceBetween direction="horizontal" size="xs">
              <DatePicker
                value={draft.startDate}
                onChange={(e) => setDraft((d) => ({ ...d, startDate: e.detail.value, startEdited: true }))}
                placeholder="YYYY/MM/DD"
                openCalendarAriaLabel={(selected) => `Choose start date${selected ? `, selected ${selected}` : ''}`}
                isDateEnabled={(date) => {
                  const today = new Date();
                  today.setHours(0, 0, 0, 0);
                  return date >= today;
                }}
                invalid={!!errors.startTime}
              />
              <TimeInput
                value={draft.startTime}
                onChange={(e) => setDraft((d) => ({ ...d, startTime: e.detail.value, startEdited: true }))}
                format="hh:mm"
                placeholder="hh:mm"
                invalid={!!errors.startTime}
              />
            </SpaceBetween>
          </FormField>
          <FormField
            label="Duration"
            description="How long the access lasts."
            constraintText={
              maxMinutes !== undefined
                ? `Maximum ${formatMinutes(maxMinutes)}${entitlement ? ' for this account and permission set' : ''}.`
                : undefined
            }
            errorText={errors.durationMinutes}
            data-testid="field-duration"
          >
            <DurationInput
              hours={draft.hours}
              minutes={draft.minutes}
              onHours={(v) => set('hours', v, 'durationMinutes')}
              onMinutes={(v) => set('minutes', v, 'durationMinutes')}
              testIds={['duration-hours', 'duration-minutes']}
              numeric
              invalid={!!errors.durationMinutes}
            />
          </FormField>
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h2">Why</Header>}>
        <SpaceBetween size="l">
          <FormField
            label="Justification"
            description="What you will do with this access. Approvers and auditors read it."
            constraintText={`${draft.justification.length} of ${MAX_JUSTIFICATION} characters.`}
            errorText={errors.justification}
            data-testid="field-justification"
          >
            <Textarea
              value={draft.justification}
              onChange={(e) => set('justification', e.detail.value, 'justification')}
              rows={4}
              invalid={!!errors.justification}
              data-testid="justification"
            />
          </FormField>
          <FormField
            label={
              ticketRequired ? (
                <span data-testid="ticket-required">
                  Ticket number{' '}
                  <Box variant="span" color="text-status-error">
                    * required
                  </Box>
                </span>
              ) : (
                <span>
                  Ticket number <i>- optional</i>
                </span>
              )
            }
            description="A change or incident ticket, e.g. INC-1234."
            errorText={errors.ticketNo}
            data-testid="field-ticket"
          >
            <Input
              value={draft.ticketNo}
              onChange={(e) => set('ticketNo', e.detail.value, 'ticketNo')}
              invalid={!!errors.ticketNo}
              data-testid="ticket"
            />
          </FormField>
        </SpaceBetween>
      </Container>
    </FormPage>
  );
}
