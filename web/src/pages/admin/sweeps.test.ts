import { describe, expect, it } from 'vitest';
import { FINDING_ACTIONS, FINDING_KINDS, type Finding, type SweepRun } from '../../api/types';
import {
  accountText,
  actionLabel,
  arnTail,
  countBy,
  emptyState,
  filterFindings,
  findingRows,
  formatAgo,
  formatElapsed,
  isFiltered,
  kindDescription,
  kindLabel,
  leakModeText,
  NO_FILTER,
  permissionSetText,
  principalText,
  runMillis,
  runSummary,
  severity,
} from './sweeps';

const ARN = 'arn:aws:sso:::permissionSet/ssoins-1/ps-1a2b';

function finding(kind: Finding['kind'], action: Finding['action'], extra: Partial<Finding> = {}): Finding {
  return { kind, action, detail: `${kind} ${action}`, ...extra };
}

function run(startedAt: string, findings: Finding[], extra: Partial<SweepRun> = {}): SweepRun {
  return {
    startedAt,
    finishedAt: startedAt.replace(':00Z', ':01Z'),
    leaks: 'remove',
    counts: { requests: 3, owedRemovals: 1, pairs: 12, assignments: 4 },
    findings,
    errors: [],
    ...extra,
  };
}

describe('labels', () => {
  it('labels every kind and action for people, with what the kind means', () => {
    for (const k of FINDING_KINDS) {
      expect(kindLabel(k)).not.toBe(k);
      expect(kindDescription(k)).not.toBe('');
    }
    for (const a of FINDING_ACTIONS) expect(actionLabel(a)).not.toBe(a);
    expect(kindLabel('leaked')).toBe('Leaked assignment');
    expect(kindLabel('owed-removal')).toBe('Owed removal');
    expect(kindDescription('drift')).toContain('outside TEAM-rs');
    expect(actionLabel('failed')).toBe('Failed, retried next run');
    expect(actionLabel('reported', 'drift')).toBe('Reported, left in place');
  });
  it('says which step a re-driven request ran', () => {
    expect(actionLabel('redriven', 'overdue')).toBe('Re-driven: ended');
    expect(actionLabel('redriven', 'not-started')).toBe('Re-driven: grant');
    expect(actionLabel('redriven', 'unanswered')).toBe('Re-driven: expired');
    expect(actionLabel('redriven')).toBe('Re-driven');
    expect(actionLabel('removed', 'owed-removal')).toBe('Removed');
  });
  it('shows a kind or action it does not know as it is', () => {
    expect(kindLabel('something-new')).toBe('something-new');
    expect(kindDescription('something-new')).toBe('');
    expect(actionLabel('quarantined', 'leaked')).toBe('quarantined');
  });
  it('says what a run did with leaks', () => {
    expect(leakModeText('remove')).toBe('Removed');
    expect(leakModeText('report')).toBe('Reported only (report mode)');
  });
});

describe('severity', () => {
  it('draws failures as errors, fixes as success or info, reported leaks and drift as warnings', () => {
    expect(severity(finding('owed-removal', 'failed'))).toBe('error');
    expect(severity(finding('overdue', 'failed'))).toBe('error');
    expect(severity(finding('leaked', 'removed'))).toBe('success');
    expect(severity(finding('owed-removal', 'removed'))).toBe('success');
    expect(severity(finding('overdue', 'redriven'))).toBe('info');
    expect(severity(finding('leaked', 'reported'))).toBe('warning');
    expect(severity(finding('drift', 'reported'))).toBe('warning');
  });
  it('draws an action it does not know as info', () => {
    expect(severity({ action: 'quarantined' as Finding['action'] })).toBe('info');
  });
});

describe('the findings table', () => {
  const runs = [
    run('2026-03-02T09:05:00Z', [
      finding('drift', 'reported', { accountId: '111111111111', permissionSetArn: ARN, principal: { type: 'group', id: 'g1' } }),
      finding('owed-removal', 'failed', { requestId: 'r2' }),
    ]),
    run('2026-03-02T09:04:00Z', []),
    run('2026-03-02T09:03:00Z', [finding('overdue', 'redriven', { requestId: 'r1' }), finding('drift', 'reported')]),
  ];
  const rows = findingRows(runs);

  it('lists every finding of every run, newest run first, with its run and a unique key', () => {
    expect(rows.map((r) => [r.kind, r.runStartedAt])).toEqual([
      ['drift', '2026-03-02T09:05:00Z'],
      ['owed-removal', '2026-03-02T09:05:00Z'],
      ['overdue', '2026-03-02T09:03:00Z'],
      ['drift', '2026-03-02T09:03:00Z'],
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(rows[0].principal).toEqual({ type: 'group', id: 'g1' });
    expect(findingRows([])).toEqual([]);
  });
  it('filters by kind and by outcome; an empty list lets everything through', () => {
    expect(filterFindings(rows, NO_FILTER)).toHaveLength(4);
    expect(filterFindings(rows, { kinds: ['drift'], actions: [] }).map((r) => r.runStartedAt)).toEqual([
      '2026-03-02T09:05:00Z',
      '2026-03-02T09:03:00Z',
    ]);
    expect(filterFindings(rows, { kinds: [], actions: ['failed', 'redriven'] }).map((r) => r.kind)).toEqual([
      'owed-removal',
      'overdue',
    ]);
    expect(filterFindings(rows, { kinds: ['drift', 'overdue'], actions: ['redriven'] }).map((r) => r.requestId)).toEqual([
      'r1',
    ]);
    expect(filterFindings(rows, { kinds: ['leaked'], actions: [] })).toEqual([]);
    expect(isFiltered(NO_FILTER)).toBe(false);
    expect(isFiltered({ kinds: [], actions: ['failed'] })).toBe(true);
  });
  it('counts findings per kind and per action for the filters', () => {
    expect(countBy(rows, 'kind')).toEqual(new Map([['drift', 2], ['owed-removal', 1], ['overdue', 1]]));
    expect(countBy(rows, 'action').get('reported')).toBe(2);
    expect(countBy(rows, 'action').get('removed')).toBeUndefined();
  });
  it('says why the table is empty', () => {
    expect(emptyState(0, 0).title).toBe('No run yet');
    expect(emptyState(1, 0)).toEqual({ title: 'Nothing found: Identity Center matches TEAM-rs', body: 'In the latest run.' });
    expect(emptyState(20, 0).body).toBe('In the latest 20 runs.');
    expect(emptyState(3, 4).title).toBe('No finding matches the filters');
  });
});

describe('names', () => {
  const names = {
    accounts: new Map([['111111111111', 'workload']]),
    permissionSets: new Map([[ARN, 'AdministratorAccess']]),
    users: new Map([['9067-bob', 'bob']]),
    groups: new Map([['g1', 'Admins']]),
  };
  it('shows the permission set name when known, else the last segment of the ARN', () => {
    expect(permissionSetText(ARN, names)).toBe('AdministratorAccess');
    expect(permissionSetText(ARN)).toBe('ps-1a2b');
    expect(permissionSetText('arn:aws:sso:::permissionSet/ssoins-1/ps-other', names)).toBe('ps-other');
    expect(arnTail('ps-plain')).toBe('ps-plain');
    expect(arnTail('odd/')).toBe('odd/');
  });
  it('names accounts and principals when known, else shows their ids', () => {
    expect(accountText('111111111111', names)).toBe('workload (111111111111)');
    expect(accountText('222222222222', names)).toBe('222222222222');
    expect(accountText('111111111111')).toBe('111111111111');
    expect(principalText({ type: 'user', id: '9067-bob' }, names)).toBe('User bob');
    expect(principalText({ type: 'group', id: 'g1' }, names)).toBe('Group Admins');
    expect(principalText({ type: 'user', id: '9067-gone' }, names)).toBe('User 9067-gone');
    expect(principalText({ type: 'group', id: 'g2' })).toBe('Group g2');
  });
});

describe('time', () => {
  it('measures how long a run took', () => {
    expect(runMillis({ startedAt: '2026-03-02T09:05:00Z', finishedAt: '2026-03-02T09:05:01.250Z' })).toBe(1250);
    expect(runMillis({ startedAt: '2026-03-02T09:05:00Z', finishedAt: '2026-03-02T09:04:00Z' })).toBe(0);
    expect(runMillis({ startedAt: 'x', finishedAt: 'y' })).toBe(0);
    expect(formatElapsed(0)).toBe('0 ms');
    expect(formatElapsed(850)).toBe('850 ms');
    expect(formatElapsed(1250)).toBe('1.2 s');
    expect(formatElapsed(59_999)).toBe('59.9 s');
    expect(formatElapsed(125_000)).toBe('2 min 05 s');
    expect(formatElapsed(Number.NaN)).toBe('-');
  });
  it('says how long ago a run started', () => {
    const now = Date.parse('2026-03-02T12:00:00Z');
    expect(formatAgo('2026-03-02T11:59:30Z', now)).toBe('just now');
    expect(formatAgo('2026-03-02T12:00:05Z', now)).toBe('just now');
    expect(formatAgo('2026-03-02T11:48:00Z', now)).toBe('12 min ago');
    expect(formatAgo('2026-03-02T08:55:00Z', now)).toBe('3 h 05 min ago');
    expect(formatAgo('2026-02-28T08:00:00Z', now)).toBe('2 d 4 h ago');
    expect(formatAgo('not a time', now)).toBe('');
  });
});

describe('run summary', () => {
  it('says nothing was found when Identity Center matches TEAM-rs', () => {
    const s = runSummary(run('2026-03-02T09:05:00Z', []));
    expect(s).toMatchObject({ type: 'success', text: 'Nothing found: Identity Center matches TEAM-rs.', took: '1.0 s', findings: 0 });
    expect(s.byAction).toEqual({ redriven: 0, removed: 0, reported: 0, failed: 0 });
  });
  it('counts findings by outcome, in a fixed order', () => {
    const s = runSummary(
      run('2026-03-02T09:05:00Z', [
        finding('leaked', 'removed'),
        finding('overdue', 'redriven'),
        finding('not-started', 'redriven'),
      ]),
    );
    expect(s.text).toBe('3 findings: 2 re-driven, 1 removed.');
    expect(s.type).toBe('success');
    expect(s.byAction).toEqual({ redriven: 2, removed: 1, reported: 0, failed: 0 });
  });
  it('warns of what was left for people, and errs on failures and parts that could not run', () => {
    expect(runSummary(run('2026-03-02T09:05:00Z', [finding('drift', 'reported')]))).toMatchObject({
      type: 'warning',
      text: '1 finding: 1 reported.',
    });
    expect(runSummary(run('2026-03-02T09:05:00Z', [finding('drift', 'reported'), finding('leaked', 'failed')])).type).toBe(
      'error',
    );
    const broken = runSummary(
      run('2026-03-02T09:05:00Z', [finding('drift', 'reported')], { errors: ['listing ps-1 on 1111: throttled'] }),
    );
    expect(broken).toMatchObject({ type: 'error', text: '1 finding: 1 reported. Also, 1 part of the run could not run.' });
    expect(runSummary(run('2026-03-02T09:05:00Z', [], { errors: ['a', 'b'] }))).toMatchObject({
      type: 'error',
      text: 'Nothing found where it looked, but 2 parts of the run could not run.',
    });
  });
});
