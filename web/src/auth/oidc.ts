// Sign-in with Cognito: OIDC authorization code flow with PKCE, tokens in sessionStorage.
// Untested against a real user pool (see README); the PKCE helpers are unit-tested.

import type { CognitoConfig } from './config';
import {
  authorizeUrl,
  challengeFor,
  createVerifier,
  jwtExpiry,
  parseCallback,
  randomToken,
  tokenRequestBody,
} from './pkce';
import { rememberReturnTo, type Session } from './session';

const PENDING_KEY = 'team.oidc.pending';
export const CALLBACK_PATH = '/auth/callback';

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
  end_session_endpoint?: string;
}

interface Pending {
  verifier: string;
  state: string;
  nonce: string;
}

export function redirectUri(config: CognitoConfig): string {
  return config.redirectUri ?? `${window.location.origin}${CALLBACK_PATH}`;
}

export async function discover(config: CognitoConfig): Promise<Discovery> {
  const response = await fetch(`${config.issuer}/.well-known/openid-configuration`);
  if (!response.ok) {
    throw new Error(`OpenID discovery failed (HTTP ${response.status})`);
  }
  const doc = (await response.json()) as Partial<Discovery>;
  if (typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') {
    throw new Error('OpenID discovery document lacks the authorization or token endpoint');
  }
  return doc as Discovery;
}

/** Leaves for the hosted sign-in page; comes back to CALLBACK_PATH. */
export async function beginSignIn(config: CognitoConfig, returnTo: string): Promise<void> {
  const discovery = await discover(config);
  const pending: Pending = { verifier: createVerifier(), state: randomToken(24), nonce: randomToken(24) };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  rememberReturnTo(returnTo);
  window.location.assign(
    authorizeUrl({
      authorizationEndpoint: discovery.authorization_endpoint,
      clientId: config.clientId,
      redirectUri: redirectUri(config),
      scope: config.scope ?? 'openid email profile',
      state: pending.state,
      nonce: pending.nonce,
      codeChallenge: await challengeFor(pending.verifier),
    }),
  );
}

interface TokenResponse {
  id_token?: string;
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
}

/** Checks the redirect's state, exchanges the code, and returns the session. */
export async function completeSignIn(config: CognitoConfig, search: string): Promise<Session> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = raw ? (JSON.parse(raw) as Pending) : null;
  const result = parseCallback(search, pending?.state ?? null);
  if (!result.ok) {
    throw new Error(result.error);
  }
  if (!pending) {
    throw new Error('no sign-in was started in this tab');
  }
  const discovery = await discover(config);
  const response = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: tokenRequestBody({
      code: result.code,
      redirectUri: redirectUri(config),
      clientId: config.clientId,
      codeVerifier: pending.verifier,
    }),
  });
  if (!response.ok) {
    throw new Error(`the token exchange failed (HTTP ${response.status})`);
  }
  const tokens = (await response.json()) as TokenResponse;
  const bearer = config.token === 'access' ? tokens.access_token : tokens.id_token;
  if (!bearer) {
    throw new Error(`the token endpoint returned no ${config.token === 'access' ? 'access' : 'ID'} token`);
  }
  const exp = jwtExpiry(bearer);
  const session: Session = {
    token: bearer,
    expiresAt: exp !== null ? exp * 1000 : tokens.expires_in ? Date.now() + tokens.expires_in * 1000 : null,
  };
  if (tokens.id_token) session.idToken = tokens.id_token;
  if (tokens.access_token) session.accessToken = tokens.access_token;
  if (tokens.refresh_token) session.refreshToken = tokens.refresh_token;
  return session;
}

/** Where to send the browser after the local session is cleared, if anywhere. */
export function signOutUrl(config: CognitoConfig): string | null {
  if (!config.logoutUrl) return null;
  const url = new URL(config.logoutUrl);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('logout_uri', `${window.location.origin}/`);
  return url.toString();
}
