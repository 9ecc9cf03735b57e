// Typed calls of the TEAM-rs API, one method per route.

import type { HttpClient } from './client';
import type {
  AccessRequest,
  Account,
  ActivityEvent,
  ApproverPolicy,
  ApproverPolicyInput,
  AuditQuery,
  Eligibility,
  EligibilityPolicy,
  EligibilityPolicyInput,
  Group,
  ListScope,
  LocalLogin,
  Me,
  NewRequest,
  OrgUnit,
  PermissionSet,
  RequestEvent,
  RequestPage,
  RevokeAll,
  Settings,
  Status,
  SweepRun,
  User,
} from './types';

const enc = encodeURIComponent;

export interface ListQuery {
  scope: ListScope;
  status?: readonly Status[];
  limit?: number;
  nextToken?: string;
}

/** Largest page the server returns. */
export const MAX_PAGE = 200;

/** Most reconciler runs `GET /api/admin/sweeps` answers. */
export const MAX_SWEEP_RUNS = 100;

export class TeamApi {
  readonly http: HttpClient;

  constructor(http: HttpClient) {
    this.http = http;
  }

  me(): Promise<Me> {
    return this.http.request('GET', '/api/me');
  }

  eligibility(): Promise<Eligibility> {
    return this.http.request('GET', '/api/eligibility');
  }

  submit(input: NewRequest): Promise<AccessRequest> {
    return this.http.request('POST', '/api/requests', { body: input });
  }

  listRequests(q: ListQuery, signal?: AbortSignal): Promise<RequestPage> {
    return this.http.request('GET', '/api/requests', {
      query: { scope: q.scope, status: q.status, limit: q.limit, nextToken: q.nextToken },
      signal,
    });
  }

  /** Every page of a listing, up to `max` items. */
  async listAll(q: Omit<ListQuery, 'nextToken' | 'limit'>, max = 2000, signal?: AbortSignal): Promise<RequestPage> {
    const items: AccessRequest[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.listRequests({ ...q, limit: MAX_PAGE, nextToken }, signal);
      items.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken && items.length < max);
    return { items, nextToken };
  }

  getRequest(id: string): Promise<AccessRequest> {
    return this.http.request('GET', `/api/requests/${enc(id)}`);
  }

  events(id: string): Promise<RequestEvent[]> {
    return this.http.request('GET', `/api/requests/${enc(id)}/events`);
  }

  approve(id: string, comment?: string): Promise<AccessRequest> {
    return this.http.request('POST', `/api/requests/${enc(id)}/approve`, { body: commentBody(comment) });
  }

  reject(id: string, comment?: string): Promise<AccessRequest> {
    return this.http.request('POST', `/api/requests/${enc(id)}/reject`, { body: commentBody(comment) });
  }

  /**
   * Ends a running session early (requester) or revokes access (approver; a TEAM admin,
   * whose comment is required).
   */
  revoke(id: string, comment?: string): Promise<AccessRequest> {
    return this.http.request('POST', `/api/requests/${enc(id)}/revoke`, { body: commentBody(comment) });
  }

  /**
   * Withdraws a request before access starts (requester, comment optional), or cancels
   * anyone's (a TEAM admin, whose comment is required).
   */
  cancel(id: string, comment?: string): Promise<AccessRequest> {
    return this.http.request('POST', `/api/requests/${enc(id)}/cancel`, { body: commentBody(comment) });
  }

  /**
   * The kill switch (admins; comment required): ends every running session of one
   * Identity Center user and closes every request of theirs that has not started.
   */
  revokeAll(userId: string, comment: string): Promise<RevokeAll> {
    return this.http.request('POST', `/api/admin/users/${enc(userId)}/revoke-all`, { body: commentBody(comment) });
  }

  /**
   * The reconciler's latest runs, newest first (admins and auditors). `limit` is kept
   * within 1–100; the server answers 20 without it.
   */
  sweeps(limit?: number, signal?: AbortSignal): Promise<SweepRun[]> {
    const n = limit === undefined || !Number.isFinite(limit) ? undefined : Math.min(MAX_SWEEP_RUNS, Math.max(1, Math.trunc(limit)));
    return this.http.request('GET', '/api/admin/sweeps', { query: { limit: n }, signal });
  }

  settings(): Promise<Settings> {
    return this.http.request('GET', '/api/admin/settings');
  }

  putSettings(settings: Settings): Promise<Settings> {
    return this.http.request('PUT', '/api/admin/settings', { body: settings });
  }

  eligibilityPolicies(): Promise<EligibilityPolicy[]> {
    return this.http.request('GET', '/api/admin/eligibility-policies');
  }

  eligibilityPolicy(id: string): Promise<EligibilityPolicy> {
    return this.http.request('GET', `/api/admin/eligibility-policies/${enc(id)}`);
  }

  saveEligibilityPolicy(id: string | undefined, input: EligibilityPolicyInput): Promise<EligibilityPolicy> {
    return id
      ? this.http.request('PUT', `/api/admin/eligibility-policies/${enc(id)}`, { body: input })
      : this.http.request('POST', '/api/admin/eligibility-policies', { body: input });
  }

  deleteEligibilityPolicy(id: string): Promise<void> {
    return this.http.request('DELETE', `/api/admin/eligibility-policies/${enc(id)}`);
  }

  approverPolicies(): Promise<ApproverPolicy[]> {
    return this.http.request('GET', '/api/admin/approver-policies');
  }

  approverPolicy(id: string): Promise<ApproverPolicy> {
    return this.http.request('GET', `/api/admin/approver-policies/${enc(id)}`);
  }

  saveApproverPolicy(id: string | undefined, input: ApproverPolicyInput): Promise<ApproverPolicy> {
    return id
      ? this.http.request('PUT', `/api/admin/approver-policies/${enc(id)}`, { body: input })
      : this.http.request('POST', '/api/admin/approver-policies', { body: input });
  }

  deleteApproverPolicy(id: string): Promise<void> {
    return this.http.request('DELETE', `/api/admin/approver-policies/${enc(id)}`);
  }

  accounts(): Promise<Account[]> {
    return this.http.request('GET', '/api/directory/accounts');
  }

  ous(): Promise<OrgUnit[]> {
    return this.http.request('GET', '/api/directory/ous');
  }

  permissionSets(): Promise<PermissionSet[]> {
    return this.http.request('GET', '/api/directory/permission-sets');
  }

  users(): Promise<User[]> {
    return this.http.request('GET', '/api/directory/users');
  }

  groups(): Promise<Group[]> {
    return this.http.request('GET', '/api/directory/groups');
  }

  audit(q: AuditQuery, limit?: number, nextToken?: string): Promise<RequestPage> {
    return this.http.request('GET', '/api/audit/requests', {
      query: { ...auditParams(q), format: 'json', limit, nextToken },
    });
  }

  /** Every matching request as CSV, made by the server. */
  auditCsv(q: AuditQuery): Promise<string> {
    return this.http.request('GET', '/api/audit/requests', {
      query: { ...auditParams(q), format: 'csv' },
      responseType: 'text',
    });
  }

  activity(id: string): Promise<ActivityEvent[]> {
    return this.http.request('GET', `/api/audit/requests/${enc(id)}/activity`);
  }

  /** Local twin only. */
  localUsers(): Promise<User[]> {
    return this.http.request('GET', '/api/local/users');
  }

  /** Local twin only. */
  localLogin(username: string): Promise<LocalLogin> {
    return this.http.request('POST', '/api/local/login', { body: { username } });
  }
}

function commentBody(comment: string | undefined): { comment?: string } {
  const trimmed = comment?.trim();
  return trimmed ? { comment: trimmed } : {};
}

function auditParams(q: AuditQuery): Record<string, string | readonly string[] | undefined> {
  return {
    from: q.from,
    to: q.to,
    status: q.status,
    accountId: q.accountId?.trim(),
    requester: q.requester?.trim(),
  };
}
