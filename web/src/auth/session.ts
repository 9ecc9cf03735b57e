// The signed-in session, kept in sessionStorage (per tab, gone when the tab closes).

import { jwtExpiry } from './pkce';

const SESSION_KEY = 'team.session';
const RETURN_KEY = 'team.returnTo';

export interface Session {
  /** What the API gets as Bearer. */
  token: string;
  /** Epoch milliseconds after which the token is no longer accepted. */
  expiresAt: number | null;
  idToken?: string;
  accessToken?: string;
  refreshToken?: string;
}

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function loadSession(now = Date.now()): Session | null {
  const raw = storage()?.getItem(SESSION_KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    if (typeof s.token !== 'string' || !s.token) return null;
    if (s.expiresAt !== null && s.expiresAt <= now) {
      clearSession();
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  storage()?.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession(): void {
  storage()?.removeItem(SESSION_KEY);
}

/** A session for a bare token, expiring when its `exp` claim says. */
export function sessionForToken(token: string): Session {
  const exp = jwtExpiry(token);
  return { token, expiresAt: exp === null ? null : exp * 1000 };
}

/** Remembers the page to come back to after an external sign-in. */
export function rememberReturnTo(path: string): void {
  storage()?.setItem(RETURN_KEY, path);
}

/** The remembered page (once), or "/". Only same-app paths are honoured. */
export function takeReturnTo(): string {
  const s = storage();
  const path = s?.getItem(RETURN_KEY) ?? '/';
  s?.removeItem(RETURN_KEY);
  return path.startsWith('/') && !path.startsWith('//') ? path : '/';
}
