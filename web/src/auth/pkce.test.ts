import { describe, expect, it } from 'vitest';
import {
  authorizeUrl,
  base64UrlEncode,
  challengeFor,
  constantTimeEqual,
  createVerifier,
  decodeJwtClaims,
  isValidVerifier,
  jwtExpiry,
  parseCallback,
  tokenRequestBody,
} from './pkce';

describe('PKCE', () => {
  it('computes the S256 challenge of RFC 7636 appendix B', async () => {
    // The verifier and challenge printed in RFC 7636, appendix B.
    expect(await challengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('makes fresh verifiers of 43 unreserved characters', () => {
    const a = createVerifier();
    const b = createVerifier();
    expect(a).toHaveLength(43);
    expect(isValidVerifier(a)).toBe(true);
    expect(a).not.toBe(b);
  });

  it('refuses verifiers that are too short or use other characters', async () => {
    expect(isValidVerifier('short')).toBe(false);
    expect(isValidVerifier('a'.repeat(129))).toBe(false);
    expect(isValidVerifier(`${'a'.repeat(42)}+`)).toBe(false);
    await expect(challengeFor('short')).rejects.toThrow(/43 to 128/);
  });

  it('encodes base64url without padding', () => {
    expect(base64UrlEncode(new Uint8Array([251, 255, 191]))).toBe('-_-_');
    expect(base64UrlEncode(new Uint8Array([1]))).toBe('AQ');
  });
});

describe('state check on the callback', () => {
  it('accepts a code with the expected state', () => {
    expect(parseCallback('?code=abc&state=s1', 's1')).toEqual({ ok: true, code: 'abc' });
  });
  it('refuses a different, missing or unexpected state', () => {
    expect(parseCallback('?code=abc&state=s2', 's1').ok).toBe(false);
    expect(parseCallback('?code=abc', 's1').ok).toBe(false);
    expect(parseCallback('?code=abc&state=s1', null).ok).toBe(false);
  });
  it('reports the identity provider error', () => {
    expect(parseCallback('?error=access_denied&error_description=User+cancelled', 's1')).toEqual({
      ok: false,
      error: 'access_denied: User cancelled',
    });
  });
  it('needs a code', () => {
    expect(parseCallback('?state=s1', 's1').ok).toBe(false);
  });
  it('compares strings fully', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });
});

describe('authorization and token requests', () => {
  it('puts every PKCE parameter in the authorize URL', () => {
    const url = new URL(
      authorizeUrl({
        authorizationEndpoint: 'https://auth.example.com/oauth2/authorize',
        clientId: 'client1',
        redirectUri: 'https://team.example.com/auth/callback',
        scope: 'openid email',
        state: 'st',
        nonce: 'no',
        codeChallenge: 'ch',
      }),
    );
    expect(url.origin + url.pathname).toBe('https://auth.example.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client1',
      redirect_uri: 'https://team.example.com/auth/callback',
      scope: 'openid email',
      state: 'st',
      nonce: 'no',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
  });

  it('sends the verifier in the code exchange', () => {
    const body = tokenRequestBody({ code: 'c', redirectUri: 'https://x/cb', clientId: 'id', codeVerifier: 'v' });
    expect(body.toString()).toBe('grant_type=authorization_code&code=c&redirect_uri=https%3A%2F%2Fx%2Fcb&client_id=id&code_verifier=v');
  });
});

describe('JWT claims', () => {
  const token = (claims: object) => `e30.${base64UrlEncode(new TextEncoder().encode(JSON.stringify(claims)))}.sig`;
  it('reads exp without verifying', () => {
    expect(jwtExpiry(token({ sub: 'u1', exp: 1700000000 }))).toBe(1700000000);
    expect(decodeJwtClaims(token({ username: 'ålice' }))).toEqual({ username: 'ålice' });
  });
  it('gives null for anything else', () => {
    expect(decodeJwtClaims('not-a-jwt')).toBeNull();
    expect(jwtExpiry(token({ sub: 'u1' }))).toBeNull();
    expect(decodeJwtClaims('a.!!!.c')).toBeNull();
  });
});
