import { describe, expect, it, vi } from 'vitest';
import { ApiError, HttpClient, NETWORK_ERROR, HTTP_ERROR, buildQuery, errorFromResponse } from './client';
import { TeamApi } from './team';

function reply(status: number, body: string, statusText = ''): Response {
  return new Response(status === 204 ? null : body, { status, statusText });
}

function client(fetchImpl: typeof fetch, token: string | null = 'tok', onUnauthorized?: (e: ApiError) => void) {
  return new HttpClient({ baseUrl: 'https://api.example.com/', getToken: () => token, fetchImpl, onUnauthorized });
}

describe('errorFromResponse', () => {
  it('reads code, message and field from the API error body', () => {
    const err = errorFromResponse(
      400,
      'Bad Request',
      JSON.stringify({ error: { code: 'ValidationError', message: 'durationMinutes must be between 1 and 60', field: 'durationMinutes' } }),
    );
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('ValidationError');
    expect(err.field).toBe('durationMinutes');
    expect(err.isFieldError()).toBe(true);
  });

  it('has no field for errors that do not name one', () => {
    const err = errorFromResponse(409, '', JSON.stringify({ error: { code: 'InvalidTransition', message: 'no' } }));
    expect(err.field).toBeUndefined();
    expect(err.isFieldError()).toBe(false);
    expect(err.message).toBe('no');
  });

  it('turns a non-JSON body (a proxy page) into an HttpError with a snippet', () => {
    const err = errorFromResponse(502, 'Bad Gateway', '<html>upstream down</html>');
    expect(err.code).toBe(HTTP_ERROR);
    expect(err.status).toBe(502);
    expect(err.message).toContain('502');
    expect(err.message).toContain('upstream down');
  });

  it('ignores JSON that is not the error shape', () => {
    const err = errorFromResponse(500, '', JSON.stringify({ message: 'Internal Server Error' }));
    expect(err.code).toBe(HTTP_ERROR);
  });

  it('copes with an empty body', () => {
    expect(errorFromResponse(503, '', '').message).toBe('HTTP 503 server error');
  });
});

describe('buildQuery', () => {
  it('leaves out empty values and joins arrays with commas', () => {
    expect(buildQuery({ scope: 'mine', status: ['pending', 'in progress'], limit: 50, nextToken: undefined, x: '' })).toBe(
      '?scope=mine&status=pending%2Cin+progress&limit=50',
    );
    expect(buildQuery({})).toBe('');
    expect(buildQuery(undefined)).toBe('');
  });
});

describe('HttpClient', () => {
  it('sends the bearer token and JSON body, and parses JSON', async () => {
    const fetchImpl = vi.fn(async (_url: RequestInfo | URL, _init?: RequestInit) => reply(201, JSON.stringify({ id: 'r1' })));
    const http = client(fetchImpl as unknown as typeof fetch);
    const out = await http.request<{ id: string }>('POST', '/api/requests', { body: { a: 1 } });
    expect(out.id).toBe('r1');
    const [url, init] = fetchImpl.mock.calls[0];
    expect(url).toBe('https://api.example.com/api/requests');
    const headers = init?.headers as Record<string, string>;
    expect(headers.Authorization).toBe('Bearer tok');
    expect(headers['Content-Type']).toBe('application/json');
    expect(init?.body).toBe('{"a":1}');
  });

  it('sends no Authorization header when signed out', async () => {
    const fetchImpl = vi.fn(async () => reply(200, '[]'));
    await client(fetchImpl as unknown as typeof fetch, null).request('GET', '/api/local/users');
    const init = (fetchImpl.mock.calls[0] as unknown[])[1] as RequestInit;
    expect((init.headers as Record<string, string>).Authorization).toBeUndefined();
  });

  it('throws the typed ApiError for error bodies', async () => {
    const body = JSON.stringify({ error: { code: 'Forbidden', message: 'not eligible' } });
    const http = client((async () => reply(403, body)) as unknown as typeof fetch);
    await expect(http.request('POST', '/api/requests', { body: {} })).rejects.toMatchObject({
      name: 'ApiError',
      status: 403,
      code: 'Forbidden',
      message: 'not eligible',
    });
  });

  it('reports 401 to onUnauthorized', async () => {
    const seen: ApiError[] = [];
    const body = JSON.stringify({ error: { code: 'Unauthenticated', message: 'invalid token: ExpiredSignature' } });
    const http = client((async () => reply(401, body)) as unknown as typeof fetch, 'old', (e) => seen.push(e));
    await expect(http.request('GET', '/api/me')).rejects.toBeInstanceOf(ApiError);
    expect(seen).toHaveLength(1);
    expect(seen[0].code).toBe('Unauthenticated');
  });

  it('turns a failed fetch into a NetworkError with status 0', async () => {
    const http = client((async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch);
    await expect(http.request('GET', '/api/me')).rejects.toMatchObject({ status: 0, code: NETWORK_ERROR });
  });

  it('passes aborts through untouched', async () => {
    const http = client((async () => {
      throw new DOMException('aborted', 'AbortError');
    }) as unknown as typeof fetch);
    await expect(http.request('GET', '/api/me')).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('returns undefined for 204 and text when asked', async () => {
    const http = client((async () => reply(204, '')) as unknown as typeof fetch);
    await expect(http.request('DELETE', '/api/admin/eligibility-policies/p1')).resolves.toBeUndefined();
    const csv = client((async () => reply(200, 'id,status\r\nr1,pending\r\n')) as unknown as typeof fetch);
    await expect(csv.request('GET', '/api/audit/requests', { responseType: 'text' })).resolves.toContain('r1,pending');
  });

  it('refuses a 200 that is not JSON', async () => {
    const http = client((async () => reply(200, '<html>')) as unknown as typeof fetch);
    await expect(http.request('GET', '/api/me')).rejects.toMatchObject({ code: 'BadResponse' });
  });
});

describe('TeamApi', () => {
  it('builds list, audit and action calls as the server expects', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const fetchImpl = (async (url: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(url), init });
      return reply(200, JSON.stringify({ items: [] }));
    }) as typeof fetch;
    const api = new TeamApi(new HttpClient({ baseUrl: '', getToken: () => 't', fetchImpl }));
    await api.listRequests({ scope: 'approvable', status: ['pending'], limit: 10 });
    await api.audit({ from: '2026-01-01T00:00:00Z', accountId: ' 111111111111 ', status: ['ended', 'revoked'] }, 100);
    await api.approve('abc', '  ');
    await api.revoke('a/b', 'too risky');
    expect(calls[0].url).toBe('/api/requests?scope=approvable&status=pending&limit=10');
    expect(calls[1].url).toBe(
      '/api/audit/requests?from=2026-01-01T00%3A00%3A00Z&status=ended%2Crevoked&accountId=111111111111&format=json&limit=100',
    );
    expect(calls[2].url).toBe('/api/requests/abc/approve');
    expect(calls[2].init?.body).toBe('{}');
    expect(calls[3].url).toBe('/api/requests/a%2Fb/revoke');
    expect(calls[3].init?.body).toBe('{"comment":"too risky"}');
  });

  it('sends cancel with an optional comment', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const fetchImpl = (async (url: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(url), init });
      return reply(200, JSON.stringify({ id: 'r1', status: 'cancelled' }));
    }) as typeof fetch;
    const api = new TeamApi(new HttpClient({ baseUrl: '', getToken: () => 't', fetchImpl }));
    const cancelled = await api.cancel('r1');
    await api.cancel('r 2', '  compromised account  ');
    expect(cancelled.status).toBe('cancelled');
    expect(calls[0].url).toBe('/api/requests/r1/cancel');
    expect(calls[0].init?.method).toBe('POST');
    expect(calls[0].init?.body).toBe('{}');
    expect(calls[1].url).toBe('/api/requests/r%202/cancel');
    expect(calls[1].init?.body).toBe('{"comment":"compromised account"}');
  });

  it('calls revoke-all for one user and returns what it did', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const answer = {
      userId: '9067-abc/def',
      revoked: ['r1'],
      cancelled: ['r2', 'r3'],
      failed: [{ requestId: 'r4', error: 'the request changed meanwhile' }],
    };
    const fetchImpl = (async (url: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(url), init });
      return reply(200, JSON.stringify(answer));
    }) as typeof fetch;
    const api = new TeamApi(new HttpClient({ baseUrl: 'https://team.example.com', getToken: () => 't', fetchImpl }));
    const out = await api.revokeAll('9067-abc/def', ' INC-42 ');
    expect(calls[0].url).toBe('https://team.example.com/api/admin/users/9067-abc%2Fdef/revoke-all');
    expect(calls[0].init?.method).toBe('POST');
    expect(calls[0].init?.body).toBe('{"comment":"INC-42"}');
    expect((calls[0].init?.headers as Record<string, string>).Authorization).toBe('Bearer t');
    expect(out).toEqual(answer);
    expect(out.failed[0].requestId).toBe('r4');
  });

  it('surfaces the required-comment refusal of revoke-all and admin actions as a field error', async () => {
    const body = JSON.stringify({
      error: { code: 'ValidationError', message: 'comment is required by the TEAM settings', field: 'comment' },
    });
    const sent: (BodyInit | null | undefined)[] = [];
    const fetchImpl = (async (_url: RequestInfo | URL, init?: RequestInit) => {
      sent.push(init?.body);
      return reply(400, body);
    }) as typeof fetch;
    const api = new TeamApi(new HttpClient({ baseUrl: '', getToken: () => 't', fetchImpl }));
    const refused = { name: 'ApiError', status: 400, code: 'ValidationError', field: 'comment' };
    await expect(api.revokeAll('u1', '   ')).rejects.toMatchObject(refused);
    await expect(api.cancel('r1')).rejects.toMatchObject(refused);
    await expect(api.revoke('r1', '')).rejects.toMatchObject(refused);
    // A blank comment is not sent at all: the server decides whether it is required.
    expect(sent).toEqual(['{}', '{}', '{}']);
  });

  it('follows nextToken through every page', async () => {
    let n = 0;
    const fetchImpl = (async () => {
      n += 1;
      const page = n === 1 ? { items: [{ id: 'a' }], nextToken: 'x' } : { items: [{ id: 'b' }] };
      return reply(200, JSON.stringify(page));
    }) as typeof fetch;
    const api = new TeamApi(new HttpClient({ baseUrl: '', getToken: () => 't', fetchImpl }));
    const all = await api.listAll({ scope: 'mine' });
    expect(all.items.map((r) => r.id)).toEqual(['a', 'b']);
    expect(all.nextToken).toBeUndefined();
  });
});

describe('TeamApi.sweeps', () => {
  const run = {
    startedAt: '2026-03-02T09:05:00Z',
    finishedAt: '2026-03-02T09:05:01Z',
    leaks: 'remove',
    counts: { requests: 3, owedRemovals: 1, pairs: 12, assignments: 4 },
    findings: [
      {
        kind: 'leaked',
        action: 'removed',
        accountId: '111111111111',
        permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1',
        principal: { type: 'user', id: '9067-bob' },
        detail: 'no live request holds this assignment; removed it',
      },
      { kind: 'overdue', action: 'redriven', requestId: 'r1', detail: 'ran the end step: access removed, session ended' },
    ],
    errors: ['listing ps-2 on 222222222222: throttled'],
  };

  function recorder(status = 200, body: string = JSON.stringify([run])) {
    const calls: { url: string; init?: RequestInit }[] = [];
    const fetchImpl = (async (url: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(url), init });
      return reply(status, body);
    }) as typeof fetch;
    return { calls, api: new TeamApi(new HttpClient({ baseUrl: 'https://team.example.com', getToken: () => 't', fetchImpl })) };
  }

  it('gets the latest runs, the server default without a limit', async () => {
    const { calls, api } = recorder();
    const runs = await api.sweeps();
    expect(calls[0].url).toBe('https://team.example.com/api/admin/sweeps');
    expect(calls[0].init?.method).toBe('GET');
    expect((calls[0].init?.headers as Record<string, string>).Authorization).toBe('Bearer t');
    expect(runs).toEqual([run]);
    expect(runs[0].findings[0].principal).toEqual({ type: 'user', id: '9067-bob' });
    expect(runs[0].findings[1].requestId).toBe('r1');
    expect(runs[0].counts.owedRemovals).toBe(1);
  });

  it('sends the limit, kept within 1 to 100', async () => {
    const { calls, api } = recorder();
    await api.sweeps(5);
    await api.sweeps(0);
    await api.sweeps(1000);
    await api.sweeps(7.9);
    await api.sweeps(Number.NaN);
    expect(calls.map((c) => c.url.replace('https://team.example.com', ''))).toEqual([
      '/api/admin/sweeps?limit=5',
      '/api/admin/sweeps?limit=1',
      '/api/admin/sweeps?limit=100',
      '/api/admin/sweeps?limit=7',
      '/api/admin/sweeps',
    ]);
  });

  it('answers an empty list when the reconciler has not run', async () => {
    const { api } = recorder(200, '[]');
    await expect(api.sweeps(20)).resolves.toEqual([]);
  });

  it('surfaces the refusal for callers who are neither admins nor auditors', async () => {
    const body = JSON.stringify({
      error: { code: 'Forbidden', message: "only TEAM admins and auditors may see the reconciler's runs" },
    });
    const { api } = recorder(403, body);
    await expect(api.sweeps()).rejects.toMatchObject({ name: 'ApiError', status: 403, code: 'Forbidden' });
  });
});
