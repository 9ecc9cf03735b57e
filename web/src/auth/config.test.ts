import { describe, expect, it } from 'vitest';
import { apiBase, parseConfig } from './config';

describe('config.json', () => {
  it('accepts local mode', () => {
    expect(parseConfig({ mode: 'local' })).toEqual({ mode: 'local' });
    expect(apiBase({ mode: 'local' })).toBe('');
  });
  it('accepts cognito mode with defaults', () => {
    const c = parseConfig({
      mode: 'cognito',
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/',
      clientId: 'client',
      apiUrl: 'https://api.example.com/',
    });
    expect(c).toEqual({
      mode: 'cognito',
      issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
      clientId: 'client',
      apiUrl: 'https://api.example.com',
      scope: 'openid email profile',
      token: 'id',
    });
    expect(apiBase(c)).toBe('https://api.example.com');
  });
  it('refuses missing fields, plain http and unknown modes', () => {
    expect(() => parseConfig({ mode: 'cognito', clientId: 'c', apiUrl: 'https://a' })).toThrow(/issuer/);
    expect(() => parseConfig({ mode: 'cognito', issuer: 'http://idp.example.com', clientId: 'c', apiUrl: 'https://a' })).toThrow(/https/);
    expect(() => parseConfig({ mode: 'saml' })).toThrow(/mode/);
    expect(() => parseConfig(null)).toThrow();
    expect(() =>
      parseConfig({ mode: 'cognito', issuer: 'https://i', clientId: 'c', apiUrl: 'https://a', token: 'refresh' }),
    ).toThrow(/token/);
  });
});
