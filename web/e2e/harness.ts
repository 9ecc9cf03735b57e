// Test harness: builds and starts a real teamd on a free port with a fresh data
// directory and the built web UI, drives Debian's Chromium through playwright-core,
// and saves screenshots under web/test-artifacts/.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(WEB_DIR, '..');
export const DIST_DIR = join(WEB_DIR, 'dist');
export const ARTIFACTS = join(WEB_DIR, 'test-artifacts');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Builds the web UI when dist/ is missing or older than its sources. */
export function ensureWebBuilt(): void {
  const index = join(DIST_DIR, 'index.html');
  const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package-lock.json'].map((p) => join(WEB_DIR, p));
  const stale =
    !existsSync(index) || Math.max(...sources.filter(existsSync).map(newestMtime)) > statSync(index).mtimeMs;
  if (!stale) return;
  console.log('# building the web UI (vite build)');
  const r = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: WEB_DIR, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('vite build failed');
}

/** TEAMD_BIN, or a fresh `cargo build -p teamd`. */
export function teamdBinary(): string {
  const fromEnv = process.env.TEAMD_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`TEAMD_BIN=${fromEnv} does not exist`);
    return fromEnv;
  }
  console.log('# building teamd (cargo build -p teamd)');
  const r = spawnSync('cargo', ['build', '-p', 'teamd'], { cwd: REPO_DIR, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('cargo build -p teamd failed');
  const target = process.env.CARGO_TARGET_DIR ? resolve(REPO_DIR, process.env.CARGO_TARGET_DIR) : join(REPO_DIR, 'target');
  const bin = join(target, 'debug', 'teamd');
  if (!existsSync(bin)) throw new Error(`no teamd binary at ${bin}`);
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Server {
  baseUrl: string;
  stop: () => Promise<void>;
  /** Whether this harness started teamd (false with E2E_BASE_URL): its flags are known. */
  managed: boolean;
}

export interface ServerOptions {
  /** More teamd flags, e.g. `['--sweep-interval', '3']`. */
  extraArgs?: string[];
}

export async function startServer(options: ServerOptions = {}): Promise<Server> {
  mkdirSync(ARTIFACTS, { recursive: true });
  ensureWebBuilt();
  const external = process.env.E2E_BASE_URL;
  if (external) {
    // An already running teamd (serving this web/dist), e.g. while developing.
    return { baseUrl: external.replace(/\/+$/, ''), stop: async () => undefined, managed: false };
  }
  const bin = teamdBinary();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'teamd-e2e-'));
  const log = createWriteStream(join(ARTIFACTS, 'teamd.log'));
  const child: ChildProcess = spawn(
    bin,
    [
      '--listen',
      `127.0.0.1:${port}`,
      '--data-dir',
      dataDir,
      '--settle-ms',
      '200',
      '--web-dir',
      DIST_DIR,
      ...(options.extraArgs ?? []),
    ],
    { cwd: REPO_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  for (let i = 0; i < 300; i++) {
    if (exited) throw new Error(`teamd exited at start; see ${join(ARTIFACTS, 'teamd.log')}`);
    try {
      const r = await fetch(`${baseUrl}/api/openapi.json`);
      if (r.ok) return { baseUrl, stop, managed: true };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await stop();
  throw new Error('teamd did not answer /api/openapi.json within 30 s');
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

/** Calls the API directly (test set-up and discovery only). */
export async function api<T>(baseUrl: string, token: string | null, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export async function login(baseUrl: string, username: string): Promise<string> {
  const r = await api<{ token: string }>(baseUrl, null, 'POST', '/api/local/login', { username });
  return r.token;
}

/** Polls until `check` returns a truthy value. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** The fields of an access request the set-up helpers read. */
export interface RequestSummary {
  id: string;
  status: string;
}

/** Submits a request through the API (set-up); `startTime` absent means now. */
export async function submitViaApi(
  baseUrl: string,
  token: string,
  body: { accountId: string; permissionSetArn: string; durationMinutes: number; justification: string; ticketNo?: string },
): Promise<RequestSummary> {
  return api<RequestSummary>(baseUrl, token, 'POST', '/api/requests', body);
}

/** Polls `GET /api/requests/{id}` until its status is `status`. */
export async function waitForRequestStatus(
  baseUrl: string,
  token: string,
  id: string,
  status: string,
  timeoutMs = 30_000,
): Promise<RequestSummary> {
  let seen = '';
  try {
    return await waitFor(`request ${id} to be ${status}`, async () => {
      const r = await api<RequestSummary>(baseUrl, token, 'GET', `/api/requests/${encodeURIComponent(id)}`);
      seen = r.status;
      return r.status === status ? r : null;
    }, timeoutMs);
  } catch (err) {
    throw new Error(`${String(err)} (last seen: ${seen || 'nothing'})`);
  }
}

/** An account assignment of the simulated Identity Center (`GET /api/local/assignments`). */
export interface LocalAssignment {
  userId: string;
  accountId: string;
  permissionSetArn: string;
}

/** Whether the simulated Identity Center holds this assignment now. */
export async function hasAssignment(baseUrl: string, a: LocalAssignment): Promise<boolean> {
  const { items } = await api<{ items: LocalAssignment[] }>(baseUrl, null, 'GET', '/api/local/assignments');
  return items.some(
    (x) => x.userId === a.userId && x.accountId === a.accountId && x.permissionSetArn === a.permissionSetArn,
  );
}

let shotSeq = 0;

/** A screenshot of the whole page in test-artifacts/, numbered in the order taken. */
export async function shot(page: Page, name: string): Promise<void> {
  shotSeq += 1;
  const file = join(ARTIFACTS, `${String(shotSeq).padStart(2, '0')}-${name}.png`);
  // Playwright's fullPage capture briefly looks like a phone to Cloudscape, which then
  // closes the side navigation; grow the viewport to the page's height instead.
  const viewport = page.viewportSize() ?? { width: 1440, height: 900 };
  await page.evaluate(() => window.scrollTo(0, 0));
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: viewport.width, height: Math.min(Math.max(viewport.height, height), 4000) });
  await page.screenshot({ path: file });
  await page.setViewportSize(viewport);
}

/** Opens a Cloudscape Select/Multiselect by test id and picks the option whose text matches. */
export async function choose(page: Page, testId: string, option: RegExp, filter?: string): Promise<void> {
  const root = page.locator(`[data-testid="${testId}"]`);
  await root.locator('button').first().click();
  if (filter !== undefined) {
    const input = root.locator('input').first();
    await input.fill(filter);
  }
  const opt = page.getByRole('option', { name: option }).first();
  await opt.click();
}

export function byTestId(page: Page, id: string): Locator {
  return page.locator(`[data-testid="${id}"]`);
}

/**
 * A new browser context signed in as `username` through the local sign-in page,
 * starting at `path` (a deep link stays where it is).
 */
export async function signIn(browser: Browser, baseUrl: string, username: string, path = '/'): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${baseUrl}${path}`);
  await byTestId(page, 'local-twin-warning').waitFor();
  await choose(page, 'user-select', new RegExp(`\\(${username}\\)`));
  await byTestId(page, 'sign-in').click();
  await byTestId(page, 'top-nav').waitFor();
  return page;
}

/** Status of a request as a StatusBadge shows it. */
export async function badgeStatus(page: Page, testId: string): Promise<string | null> {
  const el = byTestId(page, testId);
  if ((await el.count()) === 0) return null;
  return el.first().getAttribute('data-status');
}
