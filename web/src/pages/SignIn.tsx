// Sign-in: a user picker in the local twin, the Cognito hosted UI in AWS.

import { useMemo, useState } from 'react';
import { useLocation } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Container from '@cloudscape-design/components/container';
import Form from '@cloudscape-design/components/form';
import FormField from '@cloudscape-design/components/form-field';
import Header from '@cloudscape-design/components/header';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { errorMessage } from '../api/client';
import type { TeamApi } from '../api/team';
import type { AppConfig } from '../auth/config';
import { beginSignIn } from '../auth/oidc';
import { sessionForToken, type Session } from '../auth/session';
import { useAsync } from '../lib/hooks';
import { Centered } from '../components/common';

interface Props {
  config: AppConfig;
  api: TeamApi;
  notice: string | null;
  onSignedIn: (session: Session) => void;
}

export function SignInPage({ config, api, notice, onSignedIn }: Props) {
  return (
    <Centered>
      <SpaceBetween size="l">
        <Box variant="h1" textAlign="center">
          TEAM-rs
        </Box>
        <Box textAlign="center" color="text-body-secondary">
          Temporary elevated access to AWS accounts
        </Box>
        {notice ? (
          <Alert type="info" data-testid="signin-notice">
            {notice}
          </Alert>
        ) : null}
        {config.mode === 'local' ? <LocalSignIn api={api} onSignedIn={onSignedIn} /> : <CognitoSignIn config={config} />}
      </SpaceBetween>
    </Centered>
  );
}

function LocalSignIn({ api, onSignedIn }: { api: TeamApi; onSignedIn: (session: Session) => void }) {
  const users = useAsync(() => api.localUsers(), 'local-users');
  const [selected, setSelected] = useState<SelectProps.Option | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const options = useMemo<SelectProps.Option[]>(
    () =>
      (users.data ?? []).map((u) => ({
        value: u.username,
        label: u.displayName ? `${u.displayName} (${u.username})` : u.username,
        description: u.email,
      })),
    [users.data],
  );
  const signIn = async () => {
    if (!selected?.value) {
      setError('Choose a user.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const login = await api.localLogin(selected.value);
      onSignedIn(sessionForToken(login.token));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void signIn();
      }}
    >
      <Form
        actions={
          <Button variant="primary" formAction="submit" loading={busy} data-testid="sign-in">
            Sign in
          </Button>
        }
        errorText={error}
      >
        <Container header={<Header variant="h2">Sign in to the local twin</Header>}>
          <SpaceBetween size="m">
            <Alert type="warning" header="Local twin only" data-testid="local-twin-warning">
              This user picker exists only in the local twin (<code>teamd</code>): anyone can act as any
              user of the simulated directory, without a password. The AWS deployment signs in with Amazon
              Cognito and IAM Identity Center.
            </Alert>
            <FormField label="User" errorText={users.error ? errorMessage(users.error) : null}>
              <Select
                selectedOption={selected}
                onChange={(e) => setSelected(e.detail.selectedOption)}
                options={options}
                filteringType="auto"
                placeholder="Choose a user of the demo directory"
                statusType={users.loading ? 'loading' : 'finished'}
                loadingText="Loading users"
                empty="No users"
                data-testid="user-select"
              />
            </FormField>
          </SpaceBetween>
        </Container>
      </Form>
    </form>
  );
}

function CognitoSignIn({ config }: { config: Extract<AppConfig, { mode: 'cognito' }> }) {
  const location = useLocation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const start = () => {
    setBusy(true);
    setError(null);
    beginSignIn(config, `${location.pathname}${location.search}${location.hash}`).catch((err: unknown) => {
      setError(errorMessage(err));
      setBusy(false);
    });
  };
  return (
    <Container header={<Header variant="h2">Sign in</Header>}>
      <SpaceBetween size="m">
        <Box>Sign in with your organization&apos;s IAM Identity Center account.</Box>
        {error ? <Alert type="error">{error}</Alert> : null}
        <Button variant="primary" onClick={start} loading={busy} data-testid="sign-in">
          Sign in
        </Button>
      </SpaceBetween>
    </Container>
  );
}
