// Browser scenarios against a real teamd with the demo organization:
// alice requests, bob/erin approve or reject, carol administers, dave audits.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  api,
  badgeStatus,
  byTestId,
  choose,
  hasAssignment,
  launchBrowser,
  login,
  shot,
  signIn,
  startServer,
  submitViaApi,
  waitFor,
  waitForRequestStatus,
  type LocalAssignment,
  type Server,
} from './harness.ts';

interface Entitlement {
  permissionSetArn: string;
  permissionSetName: string;
  maxDurationMinutes: number;
  approvalRequired: boolean;
  ticketRequired: boolean;
}
interface EligibleAccount {
  accountId: string;
  accountName: string;
  permissionSets: Entitlement[];
}
interface Target {
  account: EligibleAccount;
  ps: Entitlement;
}

/** A short reconciler interval, so that scenario 10 sees a run (teamd's default is 60 s). */
const SWEEP_INTERVAL_S = 3;

let server: Server;
let browser: Browser;
let workload: Target;
let sandbox: Target | undefined;
let ticketed: Target | undefined;
const pages: Page[] = [];

async function open(username: string, path = '/'): Promise<Page> {
  const page = await signIn(browser, server.baseUrl, username, path);
  pages.push(page);
  return page;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Fills the request form (alice) and submits; returns the new request's id. */
async function submitRequest(page: Page, t: Target, justification: string, shotName?: string): Promise<string> {
  await page.goto(`${server.baseUrl}/requests/new`);
  await byTestId(page, 'request-form').waitFor();
  await choose(page, 'account-select', new RegExp(escape(t.account.accountId)), t.account.accountId);
  if (t.account.permissionSets.length > 1) {
    await choose(page, 'permission-set-select', new RegExp(`^${escape(t.ps.permissionSetName)}`));
  }
  await byTestId(page, 'entitlement-summary').waitFor();
  await page.locator('[data-testid="duration-hours"] input').fill('1');
  await page.locator('[data-testid="duration-minutes"] input').fill('0');
  await page.locator('[data-testid="justification"] textarea').fill(justification);
  if (t.ps.ticketRequired) {
    await page.locator('[data-testid="ticket"] input').fill('INC-4242');
  }
  if (shotName) await shot(page, shotName);
  await byTestId(page, 'submit-request').click();
  await page.waitForURL(/\/requests\/(?!new)[^/]+$/);
  const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() ?? '');
  await byTestId(page, 'detail-status').waitFor();
  return id;
}

/** Confirms the open action modal, with an optional comment. */
async function confirmAction(page: Page, comment?: string): Promise<void> {
  await byTestId(page, 'action-modal').locator('[data-testid="action-confirm"]').waitFor();
  if (comment !== undefined) {
    await page.locator('[data-testid="comment-input"] textarea').fill(comment);
  }
  await byTestId(page, 'action-confirm').click();
  await byTestId(page, 'action-done').waitFor();
}

/** Submits a request of alice's through the API (set-up); returns its id. */
async function submitAsAlice(t: Target, justification: string): Promise<string> {
  const token = await login(server.baseUrl, 'alice');
  const r = await submitViaApi(server.baseUrl, token, {
    accountId: t.account.accountId,
    permissionSetArn: t.ps.permissionSetArn,
    durationMinutes: 60,
    justification,
    ticketNo: t.ps.ticketRequired ? 'INC-4242' : undefined,
  });
  return r.id;
}

/**
 * A running session of alice's set up through the API: on `t` when it needs no
 * approval, else approved by bob. Returns the request id once it is in progress.
 */
async function runningSessionOfAlice(t: Target, justification: string): Promise<string> {
  const id = await submitAsAlice(t, justification);
  if (t.ps.approvalRequired) {
    const bob = await login(server.baseUrl, 'bob');
    await api(server.baseUrl, bob, 'POST', `/api/requests/${encodeURIComponent(id)}/approve`, { comment: 'e2e set-up' });
  }
  await waitForRequestStatus(server.baseUrl, await login(server.baseUrl, 'alice'), id, 'in progress');
  return id;
}

async function userId(username: string): Promise<string> {
  const me = await api<{ user: { id: string } }>(server.baseUrl, await login(server.baseUrl, username), 'GET', '/api/me');
  return me.user.id;
}

/** Reloads `path` until the badge `testId` shows `status`. */
async function waitForStatus(page: Page, path: string, testId: string, status: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `${testId} to be ${status} on ${path}`,
    async () => {
      await page.goto(`${server.baseUrl}${path}`);
      await page.waitForLoadState('networkidle');
      try {
        await byTestId(page, testId).first().waitFor({ timeout: 3000 });
      } catch {
        return false;
      }
      return (await badgeStatus(page, testId)) === status;
    },
    timeoutMs,
    500,
  );
}

describe('TEAM-rs web UI', { timeout: 600_000 }, () => {
  before(async () => {
    server = await startServer({ extraArgs: ['--sweep-interval', String(SWEEP_INTERVAL_S)] });
    browser = await launchBrowser();
    const alice = await login(server.baseUrl, 'alice');
    const elig = await api<{ accounts: EligibleAccount[] }>(server.baseUrl, alice, 'GET', '/api/eligibility');
    const pick = (approval: boolean): Target | undefined => {
      for (const account of elig.accounts) {
        const ps = account.permissionSets.find((p) => p.approvalRequired === approval);
        if (ps) return { account, ps };
      }
      return undefined;
    };
    const w = pick(true);
    assert.ok(w, 'alice is eligible for an account that needs approval');
    workload = w;
    sandbox = pick(false);
    for (const account of elig.accounts) {
      const ps = account.permissionSets.find((p) => p.ticketRequired);
      if (ps && !ticketed) ticketed = { account, ps };
    }
  });

  after(async () => {
    for (const p of pages) await p.context().close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await server?.stop();
  });

  test('1: alice requests, bob approves, alice sees it running and ends it early', async () => {
    const alice = await open('alice', '/requests/new');
    await shot(alice, 'request-access-empty');
    const id = await submitRequest(alice, workload, 'e2e: investigate the failed deploy', 'request-access-filled');
    assert.equal(await badgeStatus(alice, 'detail-status'), 'pending');
    await byTestId(alice, 'submitted').waitFor();
    await shot(alice, 'request-detail-pending');

    const bob = await open('bob', '/approvals');
    await byTestId(bob, `approve-${id}`).waitFor({ timeout: 20_000 });
    await shot(bob, 'approvals-pending');
    await byTestId(bob, `approve-${id}`).click();
    await shot(bob, 'approve-modal');
    await confirmAction(bob, 'go ahead');
    await shot(bob, 'approvals-after-approve');

    await waitForStatus(alice, '/sessions/active', `status-${id}`, 'in progress');
    await byTestId(alice, `left-${id}`).waitFor();
    await shot(alice, 'active-access-in-progress');
    await byTestId(alice, `end-${id}`).click();
    await confirmAction(alice, 'done already');
    await waitForStatus(alice, '/sessions/ended', `status-${id}`, 'ended');
    await shot(alice, 'ended-access');

    await alice.goto(`${server.baseUrl}/requests/${id}`);
    await byTestId(alice, 'event-ended').first().waitFor();
    assert.equal(await badgeStatus(alice, 'detail-status'), 'ended');
    await shot(alice, 'request-detail-ended');

    await bob.goto(`${server.baseUrl}/approvals/history`);
    await byTestId(bob, `open-${id}`).waitFor();
    const download = bob.waitForEvent('download');
    await byTestId(bob, 'export-decisions').click();
    const file = await (await download).path();
    const csv = readFileSync(file, 'utf8');
    assert.match(csv, new RegExp(`${escape(id)},alice,`));
    assert.match(csv, /,approve,go ahead,/);
    await shot(bob, 'my-decisions');
  });

  test('2: erin follows a deep link, signs in, lands on it and rejects', async () => {
    const alice = await open('alice', '/requests/new');
    const id = await submitRequest(alice, workload, 'e2e: please reject me');

    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const erin = await context.newPage();
    pages.push(erin);
    await erin.goto(`${server.baseUrl}/requests/${id}`);
    await byTestId(erin, 'local-twin-warning').waitFor();
    await shot(erin, 'sign-in-local');
    await choose(erin, 'user-select', /\(erin\)/);
    await byTestId(erin, 'sign-in').click();
    await byTestId(erin, 'reject').waitFor();
    assert.equal(new URL(erin.url()).pathname, `/requests/${id}`, 'erin lands back on the deep link');
    await shot(erin, 'deep-link-detail-approver');

    // With "comment required" on, the server's 400 on `comment` shows beside the box.
    const carol = await login(server.baseUrl, 'carol');
    const settings = await api<Record<string, unknown>>(server.baseUrl, carol, 'GET', '/api/admin/settings');
    await api(server.baseUrl, carol, 'PUT', '/api/admin/settings', { ...settings, commentRequired: true });
    try {
      await byTestId(erin, 'reject').click();
      await byTestId(erin, 'action-confirm').click();
      await waitFor('the comment error', async () =>
        /required/i.test((await byTestId(erin, 'comment-field').textContent()) ?? ''),
      );
      await shot(erin, 'reject-comment-required');
      await confirmAction(erin, 'not this week');
    } finally {
      await api(server.baseUrl, carol, 'PUT', '/api/admin/settings', settings);
    }
    await waitFor('rejected on the detail page', async () => (await badgeStatus(erin, 'detail-status')) === 'rejected');
    await shot(erin, 'request-detail-rejected');

    await waitForStatus(alice, '/requests', `status-${id}`, 'rejected');
    await shot(alice, 'my-requests-rejected');
  });

  test('3: alice cancels a pending request from My requests', async () => {
    const alice = await open('alice', '/requests/new');
    const id = await submitRequest(alice, workload, 'e2e: changed my mind');
    await alice.goto(`${server.baseUrl}/requests`);
    await byTestId(alice, `cancel-${id}`).waitFor();
    const expiry = await byTestId(alice, `expiry-${id}`).textContent();
    assert.match(expiry ?? '', /approx\./, 'a non-admin sees an approximate approval countdown');
    await shot(alice, 'my-requests-pending');
    await byTestId(alice, `cancel-${id}`).click();
    await confirmAction(alice);
    await waitForStatus(alice, '/requests', `status-${id}`, 'cancelled');
    await shot(alice, 'my-requests-cancelled');
  });

  test('4: carol edits an eligibility policy and the new maximum shows', async () => {
    const token = await login(server.baseUrl, 'carol');
    const policies = await api<{ id: string; name: string; maxDurationMinutes: number }[]>(
      server.baseUrl,
      token,
      'GET',
      '/api/admin/eligibility-policies',
    );
    assert.ok(policies.length > 0, 'the demo has eligibility policies');
    const policy = policies[0];
    const [hours, minutes] = policy.maxDurationMinutes === 195 ? ['2', '45'] : ['3', '15'];
    const expected = hours === '3' ? '3 h 15 min' : '2 h 45 min';

    const carol = await open('carol', '/admin/eligibility');
    await byTestId(carol, `edit-eligibility-${policy.id}`).waitFor();
    await shot(carol, 'eligibility-policies');
    await byTestId(carol, `edit-eligibility-${policy.id}`).click();
    await byTestId(carol, 'eligibility-form').waitFor();
    await carol.locator('[data-testid="policy-hours"] input').fill(hours);
    await carol.locator('[data-testid="policy-minutes"] input').fill(minutes);
    await shot(carol, 'eligibility-policy-edit');
    await byTestId(carol, 'save-policy').click();
    await carol.waitForURL(/\/admin\/eligibility$/);
    await waitFor('the new maximum in the list', async () => (await byTestId(carol, `max-${policy.id}`).textContent()) === expected);
    await byTestId(carol, 'policy-saved').waitFor();
    await shot(carol, 'eligibility-policies-after-edit');
    const saved = await api<{ maxDurationMinutes: number }>(server.baseUrl, token, 'GET', `/api/admin/eligibility-policies/${policy.id}`);
    assert.equal(saved.maxDurationMinutes, Number(hours) * 60 + Number(minutes));

    for (const [path, name, testId] of [
      ['/admin/approvers', 'approver-policies', 'approver-policies'],
      ['/admin/approvers/new', 'approver-policy-new', 'approver-form'],
      ['/admin/settings', 'settings', 'settings-form'],
    ] as const) {
      await carol.goto(`${server.baseUrl}${path}`);
      await byTestId(carol, testId).waitFor();
      await carol.waitForLoadState('networkidle');
      assert.equal(await byTestId(carol, 'load-error').count(), 0, `${path} loads without errors`);
      await shot(carol, name);
    }
  });

  test('5: dave filters the audit list and exports CSV with the requests', async () => {
    const dave = await open('dave', '/audit');
    await byTestId(dave, 'audit-results').waitFor();
    await dave.locator('[data-testid="audit-requester"] input').fill('alice');
    await byTestId(dave, 'audit-search').click();
    await dave.waitForLoadState('networkidle');
    // Scenario 1's session ended: its activity is the interesting one.
    const ended = dave.locator('[data-testid^="status-"][data-status="ended"]').first();
    await ended.waitFor();
    const id = (await ended.getAttribute('data-testid'))?.replace('status-', '') ?? '';
    assert.ok(id, 'the audit list shows alice\'s ended request');
    const first = byTestId(dave, `audit-open-${id}`);
    await shot(dave, 'audit');
    const download = dave.waitForEvent('download');
    await byTestId(dave, 'export-csv').click();
    const file = await (await download).path();
    const csv = readFileSync(file, 'utf8');
    assert.ok(csv.includes(id), 'the CSV export holds the request');
    assert.ok(csv.split(/\r?\n/).length > 2, 'the CSV has a header and rows');

    await first.click();
    await byTestId(dave, 'activity').waitFor();
    await dave.waitForLoadState('networkidle');
    assert.equal(await byTestId(dave, 'load-error').count(), 0, 'the session activity loads');
    await shot(dave, 'audit-request-activity');
  });

  test('6: a server validation error shows beside the field and keeps what was typed', async () => {
    const alice = await open('alice', '/requests/new');
    await choose(alice, 'account-select', new RegExp(escape(workload.account.accountId)), workload.account.accountId);
    if (workload.account.permissionSets.length > 1) {
      await choose(alice, 'permission-set-select', new RegExp(`^${escape(workload.ps.permissionSetName)}`));
    }
    const justification = 'e2e: this text must survive the error';
    await alice.locator('[data-testid="duration-hours"] input').fill('999');
    await alice.locator('[data-testid="duration-minutes"] input').fill('0');
    await alice.locator('[data-testid="justification"] textarea').fill(justification);
    if (workload.ps.ticketRequired) await alice.locator('[data-testid="ticket"] input').fill('INC-1');
    await byTestId(alice, 'submit-request').click();
    await waitFor('the duration error', async () =>
      /must be between 1 and \d+ minutes/i.test((await byTestId(alice, 'field-duration').textContent()) ?? ''),
    );
    assert.equal(new URL(alice.url()).pathname, '/requests/new');
    assert.equal(await alice.locator('[data-testid="justification"] textarea').inputValue(), justification);
    assert.equal(await alice.locator('[data-testid="duration-hours"] input').inputValue(), '999');
    await shot(alice, 'request-access-server-error');
  });

  test('7: the account picker stays fast with 10,000 eligible accounts', async () => {
    const alice = await open('alice', '/requests');
    const ps = workload.ps;
    const accounts = Array.from({ length: 10_000 }, (_, i) => ({
      accountId: String(100000000000 + i),
      accountName: `account-${String(i).padStart(5, '0')}`,
      permissionSets: [ps],
    }));
    // Only this page's eligibility call is replaced; everything else is the real server.
    await alice.route('**/api/eligibility', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ maxDurationMinutes: 480, accounts }) }),
    );
    await alice.goto(`${server.baseUrl}/requests/new`);
    await byTestId(alice, 'request-form').waitFor();
    const started = Date.now();
    await byTestId(alice, 'account-select').locator('button').first().click();
    await alice.getByRole('option').first().waitFor();
    const input = byTestId(alice, 'account-select').locator('input').first();
    await input.pressSequentially('100000009876', { delay: 5 });
    await alice.getByRole('option', { name: /account-09876/ }).waitFor();
    const elapsed = Date.now() - started;
    const rendered = await alice.getByRole('option').count();
    await shot(alice, 'request-access-10000-accounts');
    await alice.getByRole('option', { name: /account-09876/ }).click();
    await byTestId(alice, 'entitlement-summary').waitFor();
    console.log(`# 10,000 accounts: opened and filtered in ${elapsed} ms, ${rendered} option(s) in the DOM`);
    assert.ok(elapsed < 10_000, `opening and filtering took ${elapsed} ms`);
  });

  test('8: the sandbox needs no approval and every page of alice and bob loads', async () => {
    const alice = await open('alice', '/requests/new');
    if (ticketed) {
      // The form marks the ticket number as required when the entitlement says so.
      await choose(alice, 'account-select', new RegExp(escape(ticketed.account.accountId)), ticketed.account.accountId);
      await choose(alice, 'permission-set-select', new RegExp(`^${escape(ticketed.ps.permissionSetName)}`));
      await byTestId(alice, 'ticket-required').waitFor();
      await shot(alice, 'request-access-ticket-required');
    }
    if (sandbox) {
      await submitRequest(alice, sandbox, 'e2e: sandbox experiment');
      await waitFor('the sandbox session to start', async () => {
        await alice.reload();
        await byTestId(alice, 'detail-status').waitFor();
        return (await badgeStatus(alice, 'detail-status')) === 'in progress';
      });
      await shot(alice, 'sandbox-in-progress');
    }
    for (const path of ['/requests', '/sessions/active', '/sessions/ended']) {
      await alice.goto(`${server.baseUrl}${path}`);
      await alice.waitForLoadState('networkidle');
      assert.equal(await byTestId(alice, 'load-error').count(), 0, `${path} loads for alice`);
    }
    await alice.goto(`${server.baseUrl}/admin/settings`);
    await byTestId(alice, 'forbidden').waitFor();
    const bob = await open('bob', '/sessions/ended');
    await bob.waitForLoadState('networkidle');
    assert.equal(await byTestId(bob, 'load-error').count(), 0);
    await shot(bob, 'ended-access-approver');
    await bob.getByRole('button', { name: /Bob/ }).first().click();
    await bob.getByRole('menuitem', { name: 'Sign out' }).click();
    await byTestId(bob, 'local-twin-warning').waitFor();
  });

  test('9: carol revokes alice\'s running session as a TEAM admin', async () => {
    // GIVEN a workload session of alice's, approved by bob, running with its assignment in place
    const id = await runningSessionOfAlice(workload, 'e2e: a session the admin revokes');
    const assignment: LocalAssignment = {
      userId: await userId('alice'),
      accountId: workload.account.accountId,
      permissionSetArn: workload.ps.permissionSetArn,
    };
    await waitFor('alice\'s assignment to exist', () => hasAssignment(server.baseUrl, assignment));

    // WHEN carol (admin, neither requester nor approver) opens it
    const carol = await open('carol', `/requests/${encodeURIComponent(id)}`);
    await byTestId(carol, 'admin-revoke').waitFor();
    assert.equal(await badgeStatus(carol, 'detail-status'), 'in progress');
    assert.equal(await byTestId(carol, 'approve').count(), 0, 'carol may not decide on it');
    await shot(carol, 'admin-revoke-detail');

    // THEN "Revoke (admin)" asks for a comment: the button waits until one is typed
    await byTestId(carol, 'admin-revoke').click();
    const modal = byTestId(carol, 'action-modal');
    const confirm = modal.locator('[data-testid="action-confirm"]');
    await confirm.waitFor();
    assert.match((await modal.textContent()) ?? '', /Revoke access \(admin\)/);
    assert.ok(await confirm.isDisabled(), 'confirm is disabled with no comment');
    const comment = carol.locator('[data-testid="comment-input"] textarea');
    await comment.fill('   ');
    assert.ok(await confirm.isDisabled(), 'confirm is disabled with a blank comment');
    await shot(carol, 'admin-revoke-modal-no-comment');
    await comment.fill('e2e: incident 42, access withdrawn');
    await waitFor('the confirm button to be enabled', async () => !(await confirm.isDisabled()));
    await shot(carol, 'admin-revoke-modal-comment');

    // WHEN she confirms
    await confirm.click();
    await byTestId(carol, 'action-done').waitFor();

    // THEN the page shows it revoked and the trail names her as the admin who revoked it
    await waitFor('revoked on the detail page', async () => (await badgeStatus(carol, 'detail-status')) === 'revoked');
    const revokedRow = byTestId(carol, 'timeline').locator('tr', { has: carol.locator('[data-testid="event-revoked"]') });
    await revokedRow.first().waitFor();
    const rowText = (await revokedRow.first().textContent()) ?? '';
    assert.match(rowText, /carol/, 'the revoke event names carol');
    assert.match(rowText, /TEAM admin/, 'the revoke event says it was an admin revoke');
    assert.match(await byTestId(carol, 'detail-closed').textContent() ?? '', /carol.*incident 42/);
    await shot(carol, 'admin-revoke-done');

    // AND alice's assignment is removed from Identity Center, which the trail then shows
    await waitFor('alice\'s assignment to be removed', async () => !(await hasAssignment(server.baseUrl, assignment)));
    await waitFor('the access-removed event', async () => {
      await carol.reload();
      await byTestId(carol, 'detail-status').waitFor();
      await carol.waitForLoadState('networkidle');
      return (await byTestId(carol, 'event-access-removed').count()) > 0;
    });
    assert.equal(await badgeStatus(carol, 'detail-status'), 'revoked');
    await shot(carol, 'admin-revoke-access-removed');
  });

  test('10: carol revokes all of alice\'s access; dave opens the Reconciler page', async () => {
    // GIVEN alice has a running session and a request waiting for approval
    const running = await runningSessionOfAlice(sandbox ?? workload, 'e2e: running when the kill switch is pulled');
    const pending = await submitAsAlice(workload, 'e2e: pending when the kill switch is pulled');
    const aliceToken = await login(server.baseUrl, 'alice');
    await waitForRequestStatus(server.baseUrl, aliceToken, pending, 'pending');

    // WHEN carol opens "Revoke all access" from the navigation and picks alice
    const carol = await open('carol', '/admin/eligibility');
    await carol.getByRole('link', { name: 'Revoke all access', exact: true }).click();
    await byTestId(carol, 'revoke-all-form').waitFor();
    await carol.waitForLoadState('networkidle');
    await shot(carol, 'revoke-all-empty');
    const user = byTestId(carol, 'revoke-all-user').locator('input').first();
    await user.fill('ali');
    await carol.getByRole('option', { name: /Alice Developer/ }).first().click();
    await waitFor('alice as the target', async () =>
      /alice · Alice Developer/.test((await byTestId(carol, 'revoke-all-target').textContent()) ?? ''),
    );
    await carol.locator('[data-testid="revoke-all-comment"] textarea').fill('e2e: laptop stolen, incident 43');
    await shot(carol, 'revoke-all-filled');

    // AND confirms in the modal
    await byTestId(carol, 'revoke-all-submit').click();
    const modal = byTestId(carol, 'revoke-all-modal');
    await modal.locator('[data-testid="revoke-all-confirm"]').waitFor();
    assert.match((await modal.textContent()) ?? '', /Revoke all access of alice\?/);
    assert.match((await modal.textContent()) ?? '', /laptop stolen, incident 43/);
    await shot(carol, 'revoke-all-modal');
    await byTestId(carol, 'revoke-all-confirm').click();

    // THEN the result lists her running session as revoked and her pending request as cancelled
    await byTestId(carol, 'revoke-all-result').waitFor();
    await byTestId(carol, 'revoke-all-done').waitFor();
    const outcome = (id: string) => byTestId(carol, `revoke-all-outcome-${id}`);
    await outcome(running).waitFor();
    assert.equal(await outcome(running).getAttribute('data-outcome'), 'revoked');
    assert.equal(await outcome(pending).getAttribute('data-outcome'), 'cancelled');
    assert.equal((await byTestId(carol, 'revoke-all-failed').textContent())?.replace(/\D/g, ''), '0');
    assert.equal(await modal.count(), 0, 'the modal is closed');
    await shot(carol, 'revoke-all-result');
    await waitForRequestStatus(server.baseUrl, aliceToken, running, 'revoked');
    await waitForRequestStatus(server.baseUrl, aliceToken, pending, 'cancelled');

    // WHEN dave (auditor) opens the Reconciler page from the navigation
    const dave = await open('dave', '/audit');
    await dave.getByRole('link', { name: 'Reconciler', exact: true }).click();
    await dave.waitForURL(/\/admin\/sweeps$/);
    await byTestId(dave, 'sweep-summary').waitFor();
    await dave.waitForLoadState('networkidle');

    // THEN it loads; with a managed teamd sweeping every few seconds a run shows up
    assert.equal(await byTestId(dave, 'load-error').count(), 0, 'the reconciler page loads without errors');
    assert.equal(await byTestId(dave, 'forbidden').count(), 0, 'an auditor may see the reconciler');
    if (server.managed) {
      await waitFor(
        'a reconciler run',
        async () => {
          if ((await byTestId(dave, 'sweep-summary-text').count()) > 0) return true;
          await byTestId(dave, 'sweeps-refresh').click();
          await dave.waitForLoadState('networkidle');
          return (await byTestId(dave, 'sweep-summary-text').count()) > 0;
        },
        30_000,
        1_000,
      );
      await byTestId(dave, 'sweep-started').waitFor();
      assert.match((await byTestId(dave, 'sweep-count-pairs').textContent()) ?? '', /\d/);
    }
    await byTestId(dave, 'sweep-findings').waitFor();
    await shot(dave, 'reconciler');
  });
});
