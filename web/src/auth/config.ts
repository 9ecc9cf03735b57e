// config.json, fetched beside the app at start: which sign-in to use and where the API is.

export interface LocalConfig {
  mode: 'local';
}

export interface CognitoConfig {
  mode: 'cognito';
  /** The user pool's issuer, e.g. https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc. */
  issuer: string;
  /** The app client id (a public client: no secret). */
  clientId: string;
  /** Origin (and optional path prefix) of the API; routes are `${apiUrl}/api/...`. */
  apiUrl: string;
  /** Where Cognito sends the browser back; default `${origin}/auth/callback`. */
  redirectUri?: string;
  /** OAuth scopes; default "openid email profile". */
  scope?: string;
  /** Which token the API gets as Bearer; default "id". */
  token?: 'id' | 'access';
  /** Cognito's /logout endpoint, to end the hosted UI session on sign-out. */
  logoutUrl?: string;
}

export type AppConfig = LocalConfig | CognitoConfig;

function str(raw: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw new Error(`config.json: "${key}" is required in cognito mode`);
    return undefined;
  }
  if (typeof v !== 'string') throw new Error(`config.json: "${key}" must be a string`);
  return v;
}

function httpsUrl(value: string, key: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`config.json: "${key}" must be an absolute URL`);
  }
  const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) {
    throw new Error(`config.json: "${key}" must use https`);
  }
  return value.replace(/\/+$/, '');
}

/** Checks the shape of config.json. */
export function parseConfig(raw: unknown): AppConfig {
  if (typeof raw !== 'object' || raw === null) {
    throw new Error('config.json must be a JSON object');
  }
  const obj = raw as Record<string, unknown>;
  if (obj.mode === 'local') {
    return { mode: 'local' };
  }
  if (obj.mode !== 'cognito') {
    throw new Error('config.json: "mode" must be "local" or "cognito"');
  }
  const token = obj.token;
  if (token !== undefined && token !== 'id' && token !== 'access') {
    throw new Error('config.json: "token" must be "id" or "access"');
  }
  const redirectUri = str(obj, 'redirectUri', false);
  const logoutUrl = str(obj, 'logoutUrl', false);
  const config: CognitoConfig = {
    mode: 'cognito',
    issuer: httpsUrl(str(obj, 'issuer', true) ?? '', 'issuer'),
    clientId: str(obj, 'clientId', true) ?? '',
    apiUrl: httpsUrl(str(obj, 'apiUrl', true) ?? '', 'apiUrl'),
    scope: str(obj, 'scope', false) ?? 'openid email profile',
    token: token ?? 'id',
  };
  if (redirectUri) config.redirectUri = httpsUrl(redirectUri, 'redirectUri');
  if (logoutUrl) config.logoutUrl = httpsUrl(logoutUrl, 'logoutUrl');
  return config;
}

/** Fetches and checks config.json from beside index.html. */
export async function loadConfig(base: string = import.meta.env.BASE_URL): Promise<AppConfig> {
  const response = await fetch(`${base}config.json`, { cache: 'no-store' });
  if (!response.ok) {
    throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  }
  let raw: unknown;
  try {
    raw = await response.json();
  } catch {
    throw new Error('config.json is not valid JSON');
  }
  return parseConfig(raw);
}

/** Where API paths start: the same origin locally, apiUrl behind Cognito. */
export function apiBase(config: AppConfig): string {
  return config.mode === 'cognito' ? config.apiUrl : '';
}
