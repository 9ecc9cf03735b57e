// OAuth 2.0 authorization code with PKCE (RFC 7636) helpers: pure functions over Web Crypto.

/** base64url without padding (RFC 4648 §5). */
export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) {
    binary += String.fromCharCode(b);
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** `length` random bytes, base64url-encoded. */
export function randomToken(length = 32, crypto: Crypto = globalThis.crypto): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return base64UrlEncode(bytes);
}

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** A code verifier: 43 characters of the unreserved set from 32 random bytes. */
export function createVerifier(crypto: Crypto = globalThis.crypto): string {
  return randomToken(32, crypto);
}

/** Whether a string is a valid code verifier (RFC 7636 §4.1). */
export function isValidVerifier(verifier: string): boolean {
  return VERIFIER.test(verifier);
}

/** The S256 code challenge of a verifier: base64url(SHA-256(ascii(verifier))). */
export async function challengeFor(verifier: string, crypto: Crypto = globalThis.crypto): Promise<string> {
  if (!isValidVerifier(verifier)) {
    throw new Error('the PKCE code verifier must be 43 to 128 unreserved characters');
  }
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64UrlEncode(new Uint8Array(digest));
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  }
  return diff === 0;
}

export interface AuthorizeParams {
  authorizationEndpoint: string;
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string;
  nonce: string;
  codeChallenge: string;
}

/** The URL that sends the browser to the identity provider's sign-in page. */
export function authorizeUrl(p: AuthorizeParams): string {
  const url = new URL(p.authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri);
  url.searchParams.set('scope', p.scope);
  url.searchParams.set('state', p.state);
  url.searchParams.set('nonce', p.nonce);
  url.searchParams.set('code_challenge', p.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

export type CallbackResult =
  | { ok: true; code: string }
  | { ok: false; error: string };

/**
 * Reads the redirect back from the identity provider: an error, or a code whose state
 * must equal the one stored before leaving (CSRF protection).
 */
export function parseCallback(search: string, expectedState: string | null): CallbackResult {
  const params = new URLSearchParams(search);
  const error = params.get('error');
  if (error) {
    const description = params.get('error_description');
    return { ok: false, error: description ? `${error}: ${description}` : error };
  }
  const code = params.get('code');
  const state = params.get('state');
  if (!code) {
    return { ok: false, error: 'the sign-in response has no authorization code' };
  }
  if (!expectedState || !state || !constantTimeEqual(state, expectedState)) {
    return { ok: false, error: 'the sign-in response does not match this browser session (state mismatch); sign in again' };
  }
  return { ok: true, code };
}

/** The form body of the code-for-tokens exchange at the token endpoint. */
export function tokenRequestBody(p: {
  code: string;
  redirectUri: string;
  clientId: string;
  codeVerifier: string;
}): URLSearchParams {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    code: p.code,
    redirect_uri: p.redirectUri,
    client_id: p.clientId,
    code_verifier: p.codeVerifier,
  });
}

/** The claims of a JWT, read without verifying it (the API verifies it). */
export function decodeJwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
    const json = new TextDecoder().decode(Uint8Array.from(atob(padded), (c) => c.charCodeAt(0)));
    const claims: unknown = JSON.parse(json);
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Seconds since the epoch when a JWT expires, if it says. */
export function jwtExpiry(token: string): number | null {
  const exp = decodeJwtClaims(token)?.exp;
  return typeof exp === 'number' ? exp : null;
}
