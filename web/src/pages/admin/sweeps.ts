// The reconciler page's logic: labels and severities of findings, the rows of the
// findings table and their filters, names for ids, and the summary of a run.

import {
  FINDING_ACTIONS,
  type Finding,
  type FindingAction,
  type FindingKind,
  type Principal,
  type SweepRun,
} from '../../api/types';
import type { IndicatorType } from '../../lib/status';
import { formatCountdown } from '../../lib/time';

const KINDS: Record<FindingKind, { label: string; description: string }> = {
  overdue: { label: 'Overdue session', description: 'A session still running past its end; the end step was run.' },
  'not-started': {
    label: 'Not started',
    description: 'An approved or scheduled request past its start; the grant step was run.',
  },
  unanswered: {
    label: 'Unanswered request',
    description: 'A request still pending past its approval expiry; the expire step was run.',
  },
  'owed-removal': {
    label: 'Owed removal',
    description: 'A removal of access that failed or was cut short; it was retried.',
  },
  leaked: {
    label: 'Leaked assignment',
    description: 'An assignment TEAM-rs made that no live request holds; removed, or only reported in report mode.',
  },
  drift: {
    label: 'Drift',
    description: 'An assignment of a managed permission set made outside TEAM-rs; reported, never touched.',
  },
};

const ACTIONS: Record<FindingAction, string> = {
  redriven: 'Re-driven',
  removed: 'Removed',
  reported: 'Reported, left in place',
  failed: 'Failed, retried next run',
};

/** The step a re-driven finding ran, by kind. */
const REDRIVEN: Partial<Record<FindingKind, string>> = {
  overdue: 'Re-driven: ended',
  'not-started': 'Re-driven: grant',
  unanswered: 'Re-driven: expired',
};

/** "Leaked assignment" for "leaked"; a kind this UI does not know shows as it is. */
export function kindLabel(kind: FindingKind | string): string {
  return (KINDS as Record<string, { label: string }>)[kind]?.label ?? kind;
}

/** What a kind of finding means, for people ("" for a kind this UI does not know). */
export function kindDescription(kind: FindingKind | string): string {
  return (KINDS as Record<string, { description: string }>)[kind]?.description ?? '';
}

/**
 * What the run did, for people: "Removed", "Failed, retried next run"; a re-driven
 * request says which step ran ("Re-driven: grant"). Unknown actions show as they are.
 */
export function actionLabel(action: FindingAction | string, kind?: FindingKind | string): string {
  if (action === 'redriven' && kind !== undefined) {
    const step = (REDRIVEN as Record<string, string | undefined>)[kind];
    if (step) return step;
  }
  return (ACTIONS as Record<string, string>)[action] ?? action;
}

/**
 * How a finding is drawn: a failure is an error (it is still there; the next run tries
 * again); a removal set things right (success); a re-driven request was handed back to
 * its workflow (info); a reported leak or drift is left for people to look at (warning).
 */
export function severity(f: Pick<Finding, 'action'>): Extract<IndicatorType, 'error' | 'success' | 'info' | 'warning'> {
  switch (f.action) {
    case 'failed':
      return 'error';
    case 'removed':
      return 'success';
    case 'redriven':
      return 'info';
    case 'reported':
      return 'warning';
    default:
      return 'info';
  }
}

/** A finding in the table: with the run it came from and a key unique over all runs. */
export interface FindingRow extends Finding {
  key: string;
  /** When its run started (RFC 3339). */
  runStartedAt: string;
}

/** Every finding of `runs` (newest run first, as the server lists them), in order. */
export function findingRows(runs: readonly SweepRun[]): FindingRow[] {
  return runs.flatMap((run, r) =>
    run.findings.map((f, i) => ({ ...f, key: `${r}:${run.startedAt}:${i}`, runStartedAt: run.startedAt })),
  );
}

/** Kinds and actions to show; an empty list lets every value through. */
export interface FindingFilter {
  kinds: readonly string[];
  actions: readonly string[];
}

export const NO_FILTER: FindingFilter = { kinds: [], actions: [] };

export function filterFindings<T extends Pick<Finding, 'kind' | 'action'>>(rows: readonly T[], filter: FindingFilter): T[] {
  return rows.filter(
    (f) =>
      (filter.kinds.length === 0 || filter.kinds.includes(f.kind)) &&
      (filter.actions.length === 0 || filter.actions.includes(f.action)),
  );
}

export function isFiltered(filter: FindingFilter): boolean {
  return filter.kinds.length > 0 || filter.actions.length > 0;
}

/** How many rows have each value of `key` (for the filters' options). */
export function countBy<K extends 'kind' | 'action'>(rows: readonly Pick<Finding, K>[], key: K): Map<Finding[K], number> {
  const counts = new Map<Finding[K], number>();
  for (const row of rows) counts.set(row[key], (counts.get(row[key]) ?? 0) + 1);
  return counts;
}

/** What the findings table shows when it has no row. */
export function emptyState(runs: number, findings: number): { title: string; body: string } {
  if (runs === 0) {
    return {
      title: 'No run yet',
      body: 'The reconciler has not run yet, or it is turned off (teamd: --sweep-interval 0).',
    };
  }
  if (findings === 0) {
    return {
      title: 'Nothing found: Identity Center matches TEAM-rs',
      body: runs === 1 ? 'In the latest run.' : `In the latest ${runs} runs.`,
    };
  }
  return { title: 'No finding matches the filters', body: 'Choose other kinds or outcomes, or clear the filters.' };
}

/** Names of ids, where the caller may read the directory (admins); ids show otherwise. */
export interface Names {
  accounts?: ReadonlyMap<string, string>;
  permissionSets?: ReadonlyMap<string, string>;
  users?: ReadonlyMap<string, string>;
  groups?: ReadonlyMap<string, string>;
}

/** The last segment of a permission set ARN ("ps-1a2b" of "arn:aws:sso:::permissionSet/ssoins-1/ps-1a2b"). */
export function arnTail(arn: string): string {
  const tail = arn.slice(arn.lastIndexOf('/') + 1);
  return tail || arn;
}

/** A permission set's name when known, else the last segment of its ARN. */
export function permissionSetText(arn: string, names: Names = {}): string {
  return names.permissionSets?.get(arn) ?? arnTail(arn);
}

/** "workload (111111111111)" when the account's name is known, else the id. */
export function accountText(id: string, names: Names = {}): string {
  const name = names.accounts?.get(id);
  return name && name !== id ? `${name} (${id})` : id;
}

/** "User alice" / "Group Admins" when known, else with the id. */
export function principalText(p: Principal, names: Names = {}): string {
  return p.type === 'group'
    ? `Group ${names.groups?.get(p.id) ?? p.id}`
    : `User ${names.users?.get(p.id) ?? p.id}`;
}

/** Milliseconds a run took (0 when the instants are unreadable or out of order). */
export function runMillis(run: Pick<SweepRun, 'startedAt' | 'finishedAt'>): number {
  const ms = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** "850 ms", "1.2 s", "2 min 05 s", "1 h 03 min". */
export function formatElapsed(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)} s`;
  return formatCountdown(ms);
}

/** "just now", "12 min ago", "3 h 05 min ago", "2 d 4 h ago" for an instant before `now`. */
export function formatAgo(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const ms = now - t;
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  return `${formatCountdown(ms)} ago`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const ACTION_WORDS: Record<FindingAction, string> = {
  redriven: 're-driven',
  removed: 'removed',
  reported: 'reported',
  failed: 'failed',
};

export interface RunSummary {
  /** How the run went: error (a part failed or could not run), warning (left for people), success. */
  type: Extract<IndicatorType, 'error' | 'success' | 'warning'>;
  /** One sentence. */
  text: string;
  /** How long it took, for people. */
  took: string;
  findings: number;
  /** Findings per action, every action present. */
  byAction: Record<FindingAction, number>;
}

/** The summary of one run: a sentence, how it went and how long it took. */
export function runSummary(run: SweepRun): RunSummary {
  const byAction = Object.fromEntries(FINDING_ACTIONS.map((a) => [a, 0])) as Record<FindingAction, number>;
  for (const f of run.findings) {
    if (f.action in byAction) byAction[f.action] += 1;
  }
  const errors = run.errors.length;
  const unreached = errors ? `${plural(errors, 'part')} of the run could not run` : '';
  let text: string;
  if (run.findings.length === 0) {
    text = errors
      ? `Nothing found where it looked, but ${unreached}.`
      : 'Nothing found: Identity Center matches TEAM-rs.';
  } else {
    const parts = FINDING_ACTIONS.filter((a) => byAction[a] > 0).map((a) => `${byAction[a]} ${ACTION_WORDS[a]}`);
    text = `${plural(run.findings.length, 'finding')}: ${parts.join(', ')}.${errors ? ` Also, ${unreached}.` : ''}`;
  }
  const type = errors || byAction.failed ? 'error' : byAction.reported ? 'warning' : 'success';
  return { type, text, took: formatElapsed(runMillis(run)), findings: run.findings.length, byAction };
}

/** What a run did with leaked assignments, for people. */
export function leakModeText(mode: string): string {
  if (mode === 'remove') return 'Removed';
  if (mode === 'report') return 'Reported only (report mode)';
  return mode;
}
