// The frame of every signed-in page: top bar, side navigation by role, flash messages, routes.

import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import AppLayout from '@cloudscape-design/components/app-layout';
import Flashbar from '@cloudscape-design/components/flashbar';
import SideNavigation from '@cloudscape-design/components/side-navigation';
import TopNavigation, { type TopNavigationProps } from '@cloudscape-design/components/top-navigation';
import Box from '@cloudscape-design/components/box';
import { useApp, useFlash } from './context';
import type { Roles } from './api/types';
import { Forbidden, PageSpinner } from './components/common';
import { activeHref, navItems, SWEEPS_HREF } from './lib/nav';

const named = <K extends string>(load: () => Promise<Record<K, React.ComponentType>>, name: K) =>
  lazy(() => load().then((m) => ({ default: m[name] })));

const RequestAccess = named(() => import('./pages/RequestAccess'), 'RequestAccess');
const MyRequests = named(() => import('./pages/MyRequests'), 'MyRequests');
const RequestDetail = named(() => import('./pages/RequestDetail'), 'RequestDetail');
const Approvals = named(() => import('./pages/Approvals'), 'Approvals');
const DecisionHistory = named(() => import('./pages/Approvals'), 'DecisionHistory');
const ActiveSessions = named(() => import('./pages/Sessions'), 'ActiveSessions');
const EndedSessions = named(() => import('./pages/Sessions'), 'EndedSessions');
const Audit = named(() => import('./pages/Audit'), 'Audit');
const EligibilityPolicies = named(() => import('./pages/admin/EligibilityPolicies'), 'EligibilityPolicies');
const EligibilityPolicyForm = named(() => import('./pages/admin/EligibilityPolicies'), 'EligibilityPolicyForm');
const ApproverPolicies = named(() => import('./pages/admin/ApproverPolicies'), 'ApproverPolicies');
const ApproverPolicyForm = named(() => import('./pages/admin/ApproverPolicies'), 'ApproverPolicyForm');
const SettingsPage = named(() => import('./pages/admin/Settings'), 'SettingsPage');
const RevokeAllPage = named(() => import('./pages/admin/RevokeAll'), 'RevokeAllPage');
const SweepsPage = named(() => import('./pages/admin/Sweeps'), 'SweepsPage');

function roleNames(roles: Roles): string {
  return (Object.keys(roles) as (keyof Roles)[]).filter((k) => roles[k]).join(', ');
}

export function Shell() {
  const { me, config, signOut } = useApp();
  const flash = useFlash();
  const location = useLocation();
  const navigate = useNavigate();
  const [navOpen, setNavOpen] = useState(true);
  const { routeChanged } = flash;

  useEffect(() => {
    routeChanged();
  }, [location.pathname, routeChanged]);

  const utilities = useMemo<TopNavigationProps.Utility[]>(() => {
    const list: TopNavigationProps.Utility[] = [];
    if (config.mode === 'local') {
      list.push({
        type: 'button',
        text: 'Local twin',
        iconName: 'status-warning',
        ariaLabel: 'Local twin: simulated organization, no real AWS access',
        disableUtilityCollapse: true,
      });
    }
    list.push({
      type: 'menu-dropdown',
      text: me.user.displayName || me.user.username,
      description: `${me.user.username}${me.user.email ? ` · ${me.user.email}` : ''}`,
      iconName: 'user-profile',
      items: [
        { id: 'roles', text: `Roles: ${roleNames(me.roles)}`, disabled: true },
        { id: 'signout', text: 'Sign out' },
      ],
      onItemClick: (e) => {
        if (e.detail.id === 'signout') signOut();
      },
    });
    return list;
  }, [config.mode, me, signOut]);

  return (
    <>
      <div id="top-nav" style={{ position: 'sticky', top: 0, zIndex: 1002 }} data-testid="top-nav">
        <TopNavigation
          identity={{
            href: '/',
            title: 'TEAM-rs',
            onFollow: (e) => {
              e.preventDefault();
              navigate('/');
            },
          }}
          utilities={utilities}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        navigationOpen={navOpen}
        onNavigationChange={(e) => setNavOpen(e.detail.open)}
        toolsHide
        notifications={<Flashbar items={flash.items} stackItems={flash.items.length > 2} />}
        navigation={
          <SideNavigation
            header={{ text: 'Elevated access', href: '/' }}
            activeHref={activeHref(location.pathname)}
            items={navItems(me.roles)}
            onFollow={(e) => {
              if (!e.detail.external) {
                e.preventDefault();
                navigate(e.detail.href);
              }
            }}
          />
        }
        content={
          <Suspense fallback={<PageSpinner />}>
            <Routes>
              <Route path="/" element={<Navigate to="/requests/new" replace />} />
              <Route path="/requests/new" element={<RequestAccess />} />
              <Route path="/requests" element={<MyRequests />} />
              <Route path="/requests/:id" element={<RequestDetail />} />
              <Route path="/approvals" element={<Approvals />} />
              <Route path="/approvals/history" element={<DecisionHistory />} />
              <Route path="/sessions/active" element={<ActiveSessions />} />
              <Route path="/sessions/ended" element={<EndedSessions />} />
              <Route path="/audit" element={me.roles.auditor ? <Audit /> : <Forbidden role="auditor" />} />
              <Route
                path="/admin/eligibility"
                element={me.roles.admin ? <EligibilityPolicies /> : <Forbidden role="admin" />}
              />
              <Route
                path="/admin/eligibility/:id"
                element={me.roles.admin ? <EligibilityPolicyForm /> : <Forbidden role="admin" />}
              />
              <Route
                path="/admin/approvers"
                element={me.roles.admin ? <ApproverPolicies /> : <Forbidden role="admin" />}
              />
              <Route
                path="/admin/approvers/:id"
                element={me.roles.admin ? <ApproverPolicyForm /> : <Forbidden role="admin" />}
              />
              <Route path="/admin/settings" element={me.roles.admin ? <SettingsPage /> : <Forbidden role="admin" />} />
              <Route
                path="/admin/revoke-all"
                element={me.roles.admin ? <RevokeAllPage /> : <Forbidden role="admin" />}
              />
              <Route
                path={SWEEPS_HREF}
                element={
                  me.roles.admin || me.roles.auditor ? <SweepsPage /> : <Forbidden role={['admin', 'auditor']} />
                }
              />
              <Route
                path="*"
                element={
                  <Box padding="l" data-testid="not-found">
                    <Box variant="h1">Page not found</Box>
                    <Box variant="p">There is nothing at {location.pathname}.</Box>
                  </Box>
                }
              />
            </Routes>
          </Suspense>
        }
      />
    </>
  );
}
