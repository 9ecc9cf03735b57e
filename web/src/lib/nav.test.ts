import { describe, expect, it } from 'vitest';
import type { SideNavigationProps } from '@cloudscape-design/components/side-navigation';
import type { Roles } from '../api/types';
import { activeHref, navItems, SWEEPS_HREF } from './nav';

const none: Roles = { requester: true, approver: false, admin: false, auditor: false };

/** "Section > Link" for every link. */
function links(roles: Partial<Roles>): string[] {
  const out: string[] = [];
  for (const item of navItems({ ...none, ...roles })) {
    if (item.type !== 'section') continue;
    for (const link of item.items as SideNavigationProps.Link[]) out.push(`${item.text} > ${link.text} ${link.href}`);
  }
  return out;
}

describe('side navigation', () => {
  it('shows requests and sessions to everyone, nothing of audit or administration', () => {
    const shown = links({});
    expect(shown).toContain('Requests > Request access /requests/new');
    expect(shown.some((l) => l.startsWith('Audit') || l.startsWith('Administration'))).toBe(false);
    expect(shown.some((l) => l.endsWith(SWEEPS_HREF))).toBe(false);
  });
  it('shows the reconciler to auditors under Audit', () => {
    expect(links({ auditor: true }).filter((l) => l.endsWith(SWEEPS_HREF))).toEqual(['Audit > Reconciler /admin/sweeps']);
  });
  it('shows the reconciler to admins under Administration, once even when also auditors', () => {
    expect(links({ admin: true }).filter((l) => l.endsWith(SWEEPS_HREF))).toEqual([
      'Administration > Reconciler /admin/sweeps',
    ]);
    expect(links({ admin: true, auditor: true }).filter((l) => l.endsWith(SWEEPS_HREF))).toEqual([
      'Administration > Reconciler /admin/sweeps',
    ]);
    expect(links({ admin: true, auditor: true })).toContain('Audit > Audit requests /audit');
  });
  it('marks the entry a path belongs to', () => {
    expect(activeHref(SWEEPS_HREF)).toBe(SWEEPS_HREF);
    expect(activeHref('/admin/eligibility/p1')).toBe('/admin/eligibility');
    expect(activeHref('/requests/r1')).toBe('');
    expect(activeHref('/requests')).toBe('/requests');
  });
});
