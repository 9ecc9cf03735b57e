// Types mirroring the JSON of the TEAM-rs API (crates/team-core, crates/team-api).
// Every field is camelCase; instants are RFC 3339 strings; optional fields are
// omitted by the server when empty (`skip_serializing_if = "Option::is_none"`).

/** Request statuses: exactly TEAM's strings. */
export const STATUSES = [
  'pending',
  'approved',
  'rejected',
  'cancelled',
  'expired',
  'scheduled',
  'in progress',
  'ended',
  'revoked',
  'error',
] as const;

export type Status = (typeof STATUSES)[number];

/** `team_core::request::UserRef`. */
export interface UserRef {
  userId: string;
  username: string;
  email?: string;
}

/** `team_core::request::AccountRef`. */
export interface AccountRef {
  id: string;
  name: string;
}

/** `team_core::request::PermissionSetRef`. */
export interface PermissionSetRef {
  arn: string;
  name: string;
}

export type Outcome = 'approve' | 'reject';

/** `team_core::request::Decision`. */
export interface Decision {
  by: UserRef;
  outcome: Outcome;
  comment?: string;
  at: string;
}

/** `team_core::request::Closure`: who cancelled, ended or revoked a request. */
export interface Closure {
  by?: UserRef;
  comment?: string;
  at: string;
}

/** `team_core::request::AccessRequest` as the API shows it (no task token). */
export interface AccessRequest {
  id: string;
  requester: UserRef;
  account: AccountRef;
  permissionSet: PermissionSetRef;
  /** The requested start until access is granted; from then on when access actually started. */
  startTime: string;
  /**
   * Whether the requester chose `startTime`. False: the session runs `durationMinutes`
   * from the moment access is granted, and `startTime`/`endTime` are set at grant time.
   */
  fixedWindow: boolean;
  durationMinutes: number;
  /** The planned end; once the session ended early (end, revoke), when it actually ended. */
  endTime: string;
  justification: string;
  ticketNo?: string;
  status: Status;
  approvalRequired: boolean;
  approvalsRequired: number;
  approvers: UserRef[];
  decisions: Decision[];
  closed?: Closure;
  errorReason?: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** `team_core::request::EventKind`. */
export type EventKind =
  | 'submitted'
  | 'approval-recorded'
  | 'approved'
  | 'rejected'
  | 'cancelled'
  | 'expired'
  | 'scheduled'
  | 'granted'
  | 'ended'
  | 'revoked'
  | 'access-removed'
  | 'access-kept'
  | 'removal-failed'
  | 'swept'
  | 'error'
  | 'notified';

/** `team_core::request::RequestEvent`. */
export interface RequestEvent {
  requestId: string;
  at: string;
  kind: EventKind;
  actor?: UserRef;
  status: Status;
  message: string;
}

/** `GET /api/requests` and `GET /api/audit/requests` (JSON). */
export interface RequestPage {
  items: AccessRequest[];
  nextToken?: string;
}

/** `team_core::service::RevokeAllFailure`: a request `revoke-all` could not close. */
export interface RevokeAllFailure {
  requestId: string;
  error: string;
}

/** `team_core::service::RevokeAll`: the answer of `POST /api/admin/users/{id}/revoke-all`. */
export interface RevokeAll {
  userId: string;
  /** Running sessions (access being removed) and approved or scheduled requests. */
  revoked: string[];
  /** Requests that were waiting for approvers. */
  cancelled: string[];
  /** Requests still open, with why. */
  failed: RevokeAllFailure[];
}

/** `team_core::service::ListScope`. */
export type ListScope = 'mine' | 'approvable' | 'decided' | 'all';

/** `team_core::service::NewRequest`: the body of `POST /api/requests`. */
export interface NewRequest {
  accountId: string;
  permissionSetArn: string;
  /** RFC 3339; the server uses "now" when absent. */
  startTime?: string;
  durationMinutes: number;
  justification: string;
  ticketNo?: string;
}

/** `team_core::org::User`. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  email?: string;
}

/** `team_core::org::Group`. */
export interface Group {
  id: string;
  name: string;
}

/** `team_core::org::Account`. */
export interface Account {
  id: string;
  name: string;
  parentId: string;
  /** Why TEAM can never grant access here (e.g. the management account); absent when it can. */
  unassignable?: string;
}

/** `team_core::org::OrgUnit` (the root has no parent). */
export interface OrgUnit {
  id: string;
  name: string;
  parentId?: string;
}

/** `team_core::org::PermissionSet`. */
export interface PermissionSet {
  arn: string;
  name: string;
  description?: string;
}

/** `team_core::service::Roles`. */
export interface Roles {
  requester: boolean;
  approver: boolean;
  admin: boolean;
  auditor: boolean;
}

/** `GET /api/me`. */
export interface Me {
  user: User;
  groups: Group[];
  roles: Roles;
}

/** `team_core::policy::Entitlement`. */
export interface Entitlement {
  permissionSetArn: string;
  permissionSetName: string;
  maxDurationMinutes: number;
  approvalRequired: boolean;
  ticketRequired: boolean;
}

/** `team_core::policy::EligibleAccount`. */
export interface EligibleAccount {
  accountId: string;
  accountName: string;
  permissionSets: Entitlement[];
}

/** `GET /api/eligibility`. */
export interface Eligibility {
  maxDurationMinutes: number;
  accounts: EligibleAccount[];
}

/** `team_core::policy::Principal` (adjacently tagged). */
export interface Principal {
  type: 'user' | 'group';
  id: string;
}

/** `team_core::policy::EligibilityPolicyInput`. */
export interface EligibilityPolicyInput {
  name: string;
  principal: Principal;
  accounts: string[];
  ous: string[];
  permissionSets: string[];
  maxDurationMinutes: number;
  approvalRequired: boolean;
  ticketRequired: boolean;
}

/** `team_core::policy::EligibilityPolicy` (the input flattened, plus id and updatedAt). */
export interface EligibilityPolicy extends EligibilityPolicyInput {
  id: string;
  updatedAt: string;
}

/** `team_core::policy::Scope` (adjacently tagged). */
export interface Scope {
  type: 'account' | 'ou';
  id: string;
}

/** `team_core::policy::ApproverPolicyInput`. */
export interface ApproverPolicyInput {
  name: string;
  scope: Scope;
  /** Empty means every permission set. */
  permissionSets: string[];
  approverGroups: string[];
  approverUsers: string[];
  approvalsRequired: number;
}

/** `team_core::policy::ApproverPolicy`. */
export interface ApproverPolicy extends ApproverPolicyInput {
  id: string;
  updatedAt: string;
}

/** `team_core::policy::NotificationSettings`. */
export interface NotificationSettings {
  email: boolean;
  sns: boolean;
  slack: boolean;
}

/** `team_core::policy::Settings`. */
export interface Settings {
  maxDurationHours: number;
  approvalExpiryHours: number;
  approvalWorkflow: boolean;
  commentRequired: boolean;
  ticketRequired: boolean;
  notifications: NotificationSettings;
  adminGroup: string;
  auditorGroup: string;
}

/** `team_core::ports::ActivityEvent`. */
export interface ActivityEvent {
  at: string;
  eventName: string;
  eventSource: string;
  region?: string;
  sourceIp?: string;
}

/** Filters of `GET /api/audit/requests`. */
export interface AuditQuery {
  /** Sessions ending after this RFC 3339 instant. */
  from?: string;
  /** Sessions starting before this RFC 3339 instant. */
  to?: string;
  status?: Status[];
  accountId?: string;
  /** User name or user id. */
  requester?: string;
}

/** `team_core::sweep::FindingKind`: what a finding of the reconciler is about. */
export const FINDING_KINDS = ['overdue', 'not-started', 'unanswered', 'owed-removal', 'leaked', 'drift'] as const;

export type FindingKind = (typeof FINDING_KINDS)[number];

/** `team_core::sweep::FindingAction`: what the reconciler did about a finding. */
export const FINDING_ACTIONS = ['redriven', 'removed', 'reported', 'failed'] as const;

export type FindingAction = (typeof FINDING_ACTIONS)[number];

/** `team_core::sweep::LeakMode`: what a run did with leaked assignments. */
export type LeakMode = 'report' | 'remove';

/** `team_core::sweep::Finding`: one thing a run of the reconciler found. */
export interface Finding {
  kind: FindingKind;
  action: FindingAction;
  requestId?: string;
  accountId?: string;
  permissionSetArn?: string;
  /** Who holds the assignment (leaked, drift). */
  principal?: Principal;
  /** A sentence for people: what was found, what was done, or why it failed. */
  detail: string;
}

/** `team_core::sweep::SweepCounts`: how much a run looked at. */
export interface SweepCounts {
  /** Open requests checked for being overdue. */
  requests: number;
  /** Owed removals found. */
  owedRemovals: number;
  /** Account and permission set pairs whose assignments were listed. */
  pairs: number;
  /** Assignments listed. */
  assignments: number;
}

/** `team_core::sweep::SweepRun`: one run of the reconciler (`GET /api/admin/sweeps`). */
export interface SweepRun {
  startedAt: string;
  finishedAt: string;
  leaks: LeakMode;
  counts: SweepCounts;
  findings: Finding[];
  /** Parts of the run that could not run, with why; the rest went on. */
  errors: string[];
}

/** `POST /api/local/login` (local twin only). */
export interface LocalLogin {
  token: string;
  user: User;
}

/** The error body of every failed call. */
export interface ErrorBody {
  error: {
    code: string;
    message: string;
    field?: string;
  };
}
