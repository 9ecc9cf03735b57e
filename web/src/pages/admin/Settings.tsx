// Admins: the global settings.

import { useEffect, useMemo, useState } from 'react';
import Autosuggest from '@cloudscape-design/components/autosuggest';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Checkbox from '@cloudscape-design/components/checkbox';
import ColumnLayout from '@cloudscape-design/components/column-layout';
import Container from '@cloudscape-design/components/container';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Input from '@cloudscape-design/components/input';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Spinner from '@cloudscape-design/components/spinner';
import Toggle from '@cloudscape-design/components/toggle';
import type { Settings } from '../../api/types';
import { useApp, useFlash } from '../../context';
import { LoadError } from '../../components/common';
import { splitError, type FieldErrors } from '../../lib/errors';
import { useAsync } from '../../lib/hooks';

interface FormState extends Omit<Settings, 'maxDurationHours' | 'approvalExpiryHours'> {
  maxDurationHours: string;
  approvalExpiryHours: string;
}

const FIELDS = ['maxDurationHours', 'approvalExpiryHours', 'adminGroup', 'auditorGroup'];

export function SettingsPage() {
  const { api, reloadSettings } = useApp();
  const flash = useFlash();
  const current = useAsync(() => api.settings(), 'settings-page');
  const groups = useAsync(() => api.groups(), 'groups');
  const [form, setForm] = useState<FormState | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const groupOptions = useMemo(() => (groups.data ?? []).map((g) => ({ value: g.name, description: g.id })), [groups.data]);

  useEffect(() => {
    if (current.data && form === null) {
      setForm({
        ...current.data,
        maxDurationHours: String(current.data.maxDurationHours),
        approvalExpiryHours: String(current.data.approvalExpiryHours),
      });
    }
  }, [current.data, form]);

  if (current.error && !form) return <LoadError error={current.error} what="the settings" />;
  if (!form) {
    return (
      <Box textAlign="center" padding="xxl">
        <Spinner size="large" />
      </Box>
    );
  }
  const set = (patch: Partial<FormState>) => setForm((f) => (f ? { ...f, ...patch } : f));

  const save = async () => {
    const errs: FieldErrors = {};
    const whole = (v: string) => (/^\d+$/.test(v.trim()) ? Number(v) : NaN);
    const maxH = whole(form.maxDurationHours);
    const expH = whole(form.approvalExpiryHours);
    if (Number.isNaN(maxH)) errs.maxDurationHours = 'Enter whole hours.';
    if (Number.isNaN(expH)) errs.approvalExpiryHours = 'Enter whole hours.';
    setErrors(errs);
    setGeneral(null);
    if (Object.keys(errs).length) return;
    const settings: Settings = {
      maxDurationHours: maxH,
      approvalExpiryHours: expH,
      approvalWorkflow: form.approvalWorkflow,
      commentRequired: form.commentRequired,
      ticketRequired: form.ticketRequired,
      notifications: form.notifications,
      adminGroup: form.adminGroup.trim(),
      auditorGroup: form.auditorGroup.trim(),
    };
    setBusy(true);
    try {
      await api.putSettings(settings);
      flash.push({ type: 'success', content: 'Settings saved.', testId: 'settings-saved' });
      reloadSettings();
    } catch (err) {
      const split = splitError(err, FIELDS);
      setErrors(split.fieldErrors);
      setGeneral(split.general);
    } finally {
      setBusy(false);
    }
  };

  return (
    <ContentLayout header={<Header variant="h1" description="Apply to every request.">Settings</Header>}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        data-testid="settings-form"
      >
        <Form
          errorText={general}
          actions={
            <Button variant="primary" formAction="submit" loading={busy} data-testid="save-settings">
              Save settings
            </Button>
          }
        >
          <SpaceBetween size="l">
            <Container header={<Header variant="h2">Requests</Header>}>
              <ColumnLayout columns={2}>
                <FormField
                  label="Maximum duration (hours)"
                  description="The longest session anyone may request; eligibility policies may allow less."
                  constraintText="1 to 8000."
                  errorText={errors.maxDurationHours}
                >
                  <Input
                    type="number"
                    value={form.maxDurationHours}
                    onChange={(e) => set({ maxDurationHours: e.detail.value })}
                    data-testid="settings-max-duration"
                  />
                </FormField>
                <FormField
                  label="Approval expiry (hours)"
                  description="How long approvers have to decide before a request expires."
                  constraintText="1 to 8000."
                  errorText={errors.approvalExpiryHours}
                >
                  <Input
                    type="number"
                    value={form.approvalExpiryHours}
                    onChange={(e) => set({ approvalExpiryHours: e.detail.value })}
                    data-testid="settings-expiry"
                  />
                </FormField>
                <Toggle
                  checked={form.approvalWorkflow}
                  onChange={(e) => set({ approvalWorkflow: e.detail.checked })}
                  description="Off: no request needs approval."
                >
                  Approval workflow
                </Toggle>
                <Toggle
                  checked={form.commentRequired}
                  onChange={(e) => set({ commentRequired: e.detail.checked })}
                  description="Approvers must comment when they approve, reject or revoke."
                >
                  Comment required
                </Toggle>
                <Toggle
                  checked={form.ticketRequired}
                  onChange={(e) => set({ ticketRequired: e.detail.checked })}
                  description="Every request must name a ticket."
                >
                  Ticket number required
                </Toggle>
              </ColumnLayout>
            </Container>
            <Container header={<Header variant="h2">Notifications</Header>}>
              <SpaceBetween direction="horizontal" size="l">
                <Checkbox
                  checked={form.notifications.email}
                  onChange={(e) => set({ notifications: { ...form.notifications, email: e.detail.checked } })}
                >
                  E-mail (Amazon SES)
                </Checkbox>
                <Checkbox
                  checked={form.notifications.sns}
                  onChange={(e) => set({ notifications: { ...form.notifications, sns: e.detail.checked } })}
                >
                  Amazon SNS topic
                </Checkbox>
                <Checkbox
                  checked={form.notifications.slack}
                  onChange={(e) => set({ notifications: { ...form.notifications, slack: e.detail.checked } })}
                >
                  Slack
                </Checkbox>
              </SpaceBetween>
            </Container>
            <Container header={<Header variant="h2">Roles</Header>}>
              <ColumnLayout columns={2}>
                <FormField
                  label="Admin group"
                  description="Identity Center group whose members administer TEAM."
                  errorText={errors.adminGroup}
                >
                  <Autosuggest
                    value={form.adminGroup}
                    onChange={(e) => set({ adminGroup: e.detail.value })}
                    options={groupOptions}
                    enteredTextLabel={(v) => `Use "${v}"`}
                    placeholder="team-admins"
                    empty="No groups"
                  />
                </FormField>
                <FormField
                  label="Auditor group"
                  description="Identity Center group whose members audit."
                  errorText={errors.auditorGroup}
                >
                  <Autosuggest
                    value={form.auditorGroup}
                    onChange={(e) => set({ auditorGroup: e.detail.value })}
                    options={groupOptions}
                    enteredTextLabel={(v) => `Use "${v}"`}
                    placeholder="team-auditors"
                    empty="No groups"
                  />
                </FormField>
              </ColumnLayout>
            </Container>
          </SpaceBetween>
        </Form>
      </form>
    </ContentLayout>
  );
}
