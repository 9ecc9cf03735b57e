// Start-up: config.json, sign-in (local twin or Cognito), the caller's roles, then the app.

import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import Alert from '@cloudscape-design/components/alert';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Spinner from '@cloudscape-design/components/spinner';
import { HttpClient, errorMessage } from './api/client';
import { TeamApi } from './api/team';
import { apiBase, loadConfig, type AppConfig } from './auth/config';
import { CALLBACK_PATH, completeSignIn, signOutUrl } from './auth/oidc';
import { clearSession, loadSession, saveSession, takeReturnTo, type Session } from './auth/session';
import { AppProvider, FlashProvider, type AppContextValue } from './context';
import { useAsync } from './lib/hooks';
import { Shell } from './Shell';
import { Centered } from './components/common';
import { SignInPage } from './pages/SignIn';

export function Root() {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [configError, setConfigError] = useState<string | null>(null);
  useEffect(() => {
    loadConfig().then(setConfig, (err: unknown) => setConfigError(errorMessage(err)));
  }, []);
  if (configError) {
    return (
      <Centered>
        <Alert type="error" header="TEAM-rs cannot start">
          {configError}
        </Alert>
      </Centered>
    );
  }
  if (!config) {
    return (
      <Centered>
        <Spinner size="large" />
      </Centered>
    );
  }
  return (
    <FlashProvider>
      <Authenticated config={config} />
    </FlashProvider>
  );
}

function Authenticated({ config }: { config: AppConfig }) {
  const location = useLocation();
  const navigate = useNavigate();
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const [notice, setNotice] = useState<string | null>(null);
  // Read by the API client on every call; set together with the state so a child's
  // first call after sign-in already carries the token.
  const sessionRef = useRef<Session | null>(session);
  const update = (s: Session | null) => {
    sessionRef.current = s;
    if (s) saveSession(s);
    else clearSession();
    setSession(s);
  };
  const updateRef = useRef(update);
  useEffect(() => {
    updateRef.current = update;
  });

  const api = useMemo(
    () =>
      new TeamApi(
        new HttpClient({
          baseUrl: apiBase(config),
          getToken: () => sessionRef.current?.token ?? null,
          onUnauthorized: (err) => {
            if (sessionRef.current) {
              setNotice(`You were signed out: ${err.message}`);
              updateRef.current(null);
            }
          },
        }),
      ),
    [config],
  );

  if (config.mode === 'cognito' && location.pathname === CALLBACK_PATH) {
    return (
      <Callback
        onSession={(s) => {
          update(s);
          navigate(takeReturnTo(), { replace: true });
        }}
        complete={() => completeSignIn(config, location.search)}
      />
    );
  }
  if (!session) {
    return (
      <SignInPage
        config={config}
        api={api}
        notice={notice}
        onSignedIn={(s) => {
          setNotice(null);
          update(s);
        }}
      />
    );
  }
  const signOut = () => {
    update(null);
    setNotice(null);
    if (config.mode === 'cognito') {
      const url = signOutUrl(config);
      if (url) {
        window.location.assign(url);
        return;
      }
    }
    navigate('/', { replace: true });
  };
  return <SignedIn key={session.token} config={config} api={api} signOut={signOut} />;
}

let callbackStarted = false;

function Callback({ complete, onSession }: { complete: () => Promise<Session>; onSession: (s: Session) => void }) {
  const [error, setError] = useState<string | null>(null);
  const onSessionRef = useRef(onSession);
  const completeRef = useRef(complete);
  useEffect(() => {
    // The code can be exchanged once only (StrictMode runs effects twice in development).
    if (callbackStarted) return;
    callbackStarted = true;
    completeRef.current().then(
      (s) => onSessionRef.current(s),
      (err: unknown) => setError(errorMessage(err)),
    );
  }, []);
  return (
    <Centered>
      {error ? (
        <Alert
          type="error"
          header="Sign-in failed"
          action={<Button onClick={() => window.location.assign('/')}>Try again</Button>}
        >
          {error}
        </Alert>
      ) : (
        <Box textAlign="center">
          <Spinner size="large" /> Signing in…
        </Box>
      )}
    </Centered>
  );
}

function SignedIn({ config, api, signOut }: { config: AppConfig; api: TeamApi; signOut: () => void }) {
  const signOutRef = useRef(signOut);
  useEffect(() => {
    signOutRef.current = signOut;
  });
  const stableSignOut = useCallback(() => signOutRef.current(), []);
  const me = useAsync((signal) => api.http.request<AppContextValue['me']>('GET', '/api/me', { signal }), 'me');
  const isAdmin = me.data?.roles.admin === true;
  const settings = useAsync(
    async () => (isAdmin ? api.settings() : null),
    `settings:${isAdmin}`,
  );
  const value = useMemo<AppContextValue | null>(
    () =>
      me.data
        ? {
            config,
            api,
            me: me.data,
            settings: settings.data ?? null,
            reloadSettings: settings.reload,
            signOut: stableSignOut,
          }
        : null,
    [config, api, me.data, settings.data, settings.reload, stableSignOut],
  );
  if (me.error && !me.data) {
    return (
      <Centered>
        <Alert
          type="error"
          header="Could not load your TEAM profile"
          action={<Button onClick={signOut}>Sign out</Button>}
          data-testid="me-error"
        >
          {errorMessage(me.error)}
        </Alert>
      </Centered>
    );
  }
  if (!value) {
    return (
      <Centered>
        <Box textAlign="center">
          <Spinner size="large" />
        </Box>
      </Centered>
    );
  }
  return (
    <AppProvider value={value}>
      <Shell />
    </AppProvider>
  );
}
