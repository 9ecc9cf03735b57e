// Admins: the global settings.

import { useMemo } from 'react';
import Autosuggest from '@cloudscape-design/components/autosuggest';
import Checkbox from '@cloudscape-design/components/checkbox';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Toggle from '@cloudscape-design/components/toggle';
import type { NotificationSettings, Settings } from '../../api/types';
import { useApp, useFlash } from '../../context';
import { Loading } from '../../components/common';
import { FormPage } from '../../components/FormPage';
import { useForm } from '../../lib/form';
import { useAsync } from '../../lib/hooks';

interface FormState extends Omit<Settings, 'maxDurationHours' | 'approvalExpiryHours'> {
  maxDurationHours: string;
  approvalExpiryHours: string;
}

function toForm(s: Settings): FormState {
  return { ...s, maxDurationHours: String(s.maxDurationHours), approvalExpiryHours: String(s.approvalExpiryHours) };
}

const FIELDS = ['maxDurationHours', 'approvalExpiryHours', 'adminGroup', 'auditorGroup'];

const HOURS: { key: 'maxDurationHours' | 'approvalExpiryHours'; label: string; description: string; testId: string }[] = [
  {
    key: 'maxDurationHours',
    label: 'Maximum duration (hours)',
    description: 'The longest session anyone may request; eligibility policies may allow less.',
    testId: 'settings-max-duration',
  },
  {
    key: 'approvalExpiryHours',
    label: 'Approval expiry (hours)',
    description: 'How long approvers have to decide before a request expires.',
    testId: 'settings-expiry',
  },
];

const CHANNELS: { key: keyof NotificationSettings; label: string }[] = [
  { key: 'email', label: 'E-mail (Amazon SES)' },
  { key: 'sns', label: 'Amazon SNS topic' },
  { key: 'slack', label: 'Slack' },
];

const ROLES: { key: 'adminGroup' | 'auditorGroup'; label: string; description: string; placeholder: string }[] = [
  {
    key: 'adminGroup',
    label: 'Admin group',
    description: 'Identity Center group whose members administer TEAM.',
    placeholder: 'team-admins',
  },
  {
    key: 'auditorGroup',
    label: 'Auditor group',
    description: 'Identity Center group whose members audit.',
    placeholder: 'team-auditors',
  },
];

export function SettingsPage() {
  const { api, reloadSettings } = useApp();
  const flash = useFlash();
  const current = useAsync(() => api.settings(), 'settings-page');
  const groups = useAsync(() => api.groups(), 'groups');
  const { form, set, text, flag, errors, general, busy, submit } = useForm(FIELDS, null, current.data, toForm);
  const groupOptions = useMemo(() => (groups.data ?? []).map((g) => ({ value: g.name, description: g.id })), [groups.data]);

  if (!form) return <Loading error={current.error} what="the settings" />;

  const save = () =>
    submit((f, errs) => {
      const whole = (v: string) => (/^\d+$/.test(v.trim()) ? Number(v) : NaN);
      const maxH = whole(f.maxDurationHours);
      const expH = whole(f.approvalExpiryHours);
      if (Number.isNaN(maxH)) errs.maxDurationHours = 'Enter whole hours.';
      if (Number.isNaN(expH)) errs.approvalExpiryHours = 'Enter whole hours.';
      const settings: Settings = {
        maxDurationHours: maxH,
        approvalExpiryHours: expH,
        approvalWorkflow: f.approvalWorkflow,
        commentRequired: f.commentRequired,
        ticketRequired: f.ticketRequired,
        notifications: f.notifications,
        adminGroup: f.adminGroup.trim(),
        auditorGroup: f.auditorGroup.trim(),
      };
      return async () => {
        await api.putSettings(settings);
        flash.push({ type: 'success', content: 'Settings saved.', testId: 'settings-saved' });
        reloadSettings();
      };
    });

  return (
    <FormPage
      header={
        <Header variant="h1" description="Apply to every request.">
          Settings
        </Header>
      }
      testId="settings-form"
      onSubmit={() => void save()}
      errorText={general}
      submitLabel="Save settings"
      submitTestId="save-settings"
      busy={busy}
    >
      <Container header={<Header variant="h2">Requests</Header>}>
        <ColumnLayout columns={2}>
          {HOURS.map((h) => (
            <FormField
              key={h.key}
              label={h.label}
              description={h.description}
              constraintText="1 to 8000."
              errorText={errors[h.key]}
            >
              <Input type="number" {...text(h.key)} data-testid={h.testId} />
            </FormField>
          ))}
          <Toggle {...flag('approvalWorkflow')} description="Off: no request needs approval.">
            Approval workflow
          </Toggle>
          <Toggle {...flag('commentRequired')} description="Approvers must comment when they approve, reject or revoke.">
            Comment required
          </Toggle>
          <Toggle {...flag('ticketRequired')} description="Every request must name a ticket.">
            Ticket number required
          </Toggle>
        </ColumnLayout>
      </Container>
      <Container header={<Header variant="h2">Notifications</Header>}>
        <SpaceBetween direction="horizontal" size="l">
          {CHANNELS.map((c) => (
            <Checkbox
              key={c.key}
              checked={form.notifications[c.key]}
              onChange={(e) => set({ notifications: { ...form.notifications, [c.key]: e.detail.checked } })}
            >
              {c.label}
            </Checkbox>
          ))}
        </SpaceBetween>
      </Container>
      <Container header={<Header variant="h2">Roles</Header>}>
        <ColumnLayout columns={2}>
          {ROLES.map((r) => (
            <FormField key={r.key} label={r.label} description={r.description} errorText={errors[r.key]}>
              <Autosuggest
                {...text(r.key)}
                options={groupOptions}
                enteredTextLabel={(v) => `Use "${v}"`}
                placeholder={r.placeholder}
                empty="No groups"
              />
            </FormField>
          ))}
        </ColumnLayout>
      </Container>
    </FormPage>
  );
}
