// The one fetch wrapper of the app: JSON in and out, bearer token, and every failure
// turned into an ApiError carrying the server's code, message and field.

import type { ErrorBody } from './types';

/** Codes the client itself produces when the server did not answer with an error body. */
export const NETWORK_ERROR = 'NetworkError';
export const HTTP_ERROR = 'HttpError';
export const BAD_RESPONSE = 'BadResponse';

/** A failed API call. `status` is 0 when no HTTP response arrived. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    if (field !== undefined) {
      this.field = field;
    }
  }

  /** A validation error about one input field. */
  isFieldError(): this is ApiError & { field: string } {
    return this.status === 400 && typeof this.field === 'string' && this.field.length > 0;
  }
}

/** Anything thrown, as a sentence for people. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    return err.message;
  }
  if (err instanceof Error) {
    return err.message;
  }
  return String(err);
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) {
    return false;
  }
  const inner = (value as { error: unknown }).error;
  return (
    typeof inner === 'object' &&
    inner !== null &&
    typeof (inner as { code?: unknown }).code === 'string' &&
    typeof (inner as { message?: unknown }).message === 'string'
  );
}

/** Turns a non-2xx response body into an ApiError. */
export function errorFromResponse(status: number, statusText: string, bodyText: string): ApiError {
  let parsed: unknown = undefined;
  try {
    parsed = bodyText ? JSON.parse(bodyText) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isErrorBody(parsed)) {
    const { code, message, field } = parsed.error;
    return new ApiError(status, code, message, typeof field === 'string' ? field : undefined);
  }
  const snippet = bodyText.trim().slice(0, 200);
  const reason = statusText || (status >= 500 ? 'server error' : 'request failed');
  return new ApiError(
    status,
    HTTP_ERROR,
    snippet ? `HTTP ${status} ${reason}: ${snippet}` : `HTTP ${status} ${reason}`,
  );
}

export type QueryValue = string | number | boolean | readonly string[] | undefined | null;

/** `?a=1&b=x,y` from an object; empty values are left out, arrays are comma-joined. */
export function buildQuery(params: Record<string, QueryValue> | undefined): string {
  if (!params) {
    return '';
  }
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) {
      continue;
    }
    const text = Array.isArray(value) ? value.join(',') : String(value);
    if (text === '') {
      continue;
    }
    search.set(key, text);
  }
  const encoded = search.toString();
  return encoded ? `?${encoded}` : '';
}

export interface ClientOptions {
  /** Prefix of every path, e.g. '' for the same origin or 'https://api.example.com'. */
  baseUrl: string;
  /** The bearer token, or null when signed out. */
  getToken: () => string | null;
  /** Called on 401 (the token is missing, expired or refused). */
  onUnauthorized?: (err: ApiError) => void;
  /** Injectable for tests. */
  fetchImpl?: typeof fetch;
}

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  signal?: AbortSignal;
  /** 'json' (default) parses the body; 'text' returns it as a string. */
  responseType?: 'json' | 'text';
}

export class HttpClient {
  private readonly options: ClientOptions;

  constructor(options: ClientOptions) {
    this.options = options;
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const base = this.options.baseUrl.replace(/\/+$/, '');
    return `${base}${path}${buildQuery(query)}`;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = {
      Accept: opts.responseType === 'text' ? 'text/csv, text/plain, */*' : 'application/json',
    };
    const token = this.options.getToken();
    if (token) {
      headers.Authorization = `Bearer ${token}`;
    }
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const doFetch = this.options.fetchImpl ?? globalThis.fetch.bind(globalThis);
    let response: Response;
    try {
      response = await doFetch(this.url(path, opts.query), {
        method,
        headers,
        body,
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') {
        throw err;
      }
      throw new ApiError(
        0,
        NETWORK_ERROR,
        `The TEAM API could not be reached (${err instanceof Error ? err.message : String(err)}).`,
      );
    }
    const text = await response.text();
    if (!response.ok) {
      const error = errorFromResponse(response.status, response.statusText, text);
      if (response.status === 401) {
        this.options.onUnauthorized?.(error);
      }
      throw error;
    }
    if (opts.responseType === 'text') {
      return text as T;
    }
    if (response.status === 204 || text === '') {
      return undefined as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, BAD_RESPONSE, 'The TEAM API answered with something that is not JSON.');
    }
  }
}
