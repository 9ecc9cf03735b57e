// The side navigation: which sections and links the caller's roles show, and which link
// a path belongs to.

import type { SideNavigationProps } from '@cloudscape-design/components/side-navigation';
import type { Roles } from '../api/types';

/** The reconciler's runs: admins and auditors. */
export const SWEEPS_HREF = '/admin/sweeps';

export function navItems(roles: Roles): SideNavigationProps.Item[] {
  const reconciler: SideNavigationProps.Item = { type: 'link', text: 'Reconciler', href: SWEEPS_HREF };
  const items: SideNavigationProps.Item[] = [
    {
      type: 'section',
      text: 'Requests',
      items: [
        { type: 'link', text: 'Request access', href: '/requests/new' },
        { type: 'link', text: 'My requests', href: '/requests' },
      ],
    },
  ];
  if (roles.approver) {
    items.push({
      type: 'section',
      text: 'Approvals',
      items: [
        { type: 'link', text: 'Approve requests', href: '/approvals' },
        { type: 'link', text: 'My decisions', href: '/approvals/history' },
      ],
    });
  }
  items.push({
    type: 'section',
    text: 'Elevated access',
    items: [
      { type: 'link', text: 'Active access', href: '/sessions/active' },
      { type: 'link', text: 'Ended access', href: '/sessions/ended' },
    ],
  });
  if (roles.auditor) {
    items.push({
      type: 'section',
      text: 'Audit',
      // An admin finds the reconciler under Administration: one link, never two.
      items: [{ type: 'link', text: 'Audit requests', href: '/audit' }, ...(roles.admin ? [] : [reconciler])],
    });
  }
  if (roles.admin) {
    items.push({
      type: 'section',
      text: 'Administration',
      items: [
        { type: 'link', text: 'Eligibility policies', href: '/admin/eligibility' },
        { type: 'link', text: 'Approver policies', href: '/admin/approvers' },
        { type: 'link', text: 'Settings', href: '/admin/settings' },
        { type: 'link', text: 'Revoke all access', href: '/admin/revoke-all' },
        reconciler,
      ],
    });
  }
  return items;
}

/** The navigation entry a path belongs to. */
export function activeHref(pathname: string): string {
  if (pathname === '/requests/new' || pathname === '/requests') return pathname;
  // A request's page is reached from many lists (mine, approvals, sessions, audit).
  if (pathname.startsWith('/requests/')) return '';
  if (pathname.startsWith('/admin/eligibility')) return '/admin/eligibility';
  if (pathname.startsWith('/admin/approvers')) return '/admin/approvers';
  return pathname;
}
