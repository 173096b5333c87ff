import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  ROOT,
  eventually,
  startReceiver,
  startSystem,
  type Receiver,
  type RunningSystem,
} from '@kera/testing';

jest.setTimeout(600_000);

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const SCREENSHOT = path.join(ROOT, 'test-results', 'dashboard.png');

/** Debian's chromium is the browser; install it when this machine lacks it. */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', timeout: 300_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], {
    stdio: 'inherit',
    timeout: 600_000,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

describe('the dashboard in a real browser', () => {
  let system: RunningSystem;
  let receiver: Receiver;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    ensureChromium();
    // A receiver that always fails, so the transition leaves a failed delivery.
    receiver = await startReceiver((_request, response) => {
      response.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
    });
    system = await startSystem();
    await driveTraffic(system, receiver);

    profile = mkdtempSync(path.join(tmpdir(), 'kera-dashboard-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 1100 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await system?.stop();
    await receiver?.close();
  });

  it('serves a public page that holds no data and asks for the token', async () => {
    const response = await fetch(`${system.gatewayUrl}/dashboard`);
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(html).not.toContain('KER-1');
    expect(html).not.toContain(receiver.url);

    await page.goto(`${system.gatewayUrl}/dashboard`);
    await expect(page.locator('#sign-in').isVisible()).resolves.toBe(true);
    await expect(page.locator('#panels').isVisible()).resolves.toBe(false);
  });

  it('refuses a wrong token and asks again', async () => {
    await page.fill('#token', 'not-the-admin-token-at-all');
    await page.click('#sign-in button[type=submit]');

    await page.waitForSelector('#sign-in-error:has-text("refused the token")');
    expect(await page.evaluate('sessionStorage.getItem("kera.adminToken")')).toBeNull();
  });

  it('shows outbound failures and inbound integrations after sign-in', async () => {
    await page.fill('#token', system.environment.adminToken);
    await page.click('#sign-in button[type=submit]');

    await page.waitForSelector('#failed-total:text-is("1")');
    expect(await page.locator('#succeeded-total').innerText()).toBe('0');
    expect(await page.locator('#chart svg rect.failed').count()).toBe(1);
    expect(await page.locator('#chart svg').getAttribute('aria-label')).toContain('1 failed');

    const integration = page.locator('#inbound tbody tr', { hasText: 'ops-github' });
    await integration.waitFor();
    expect(await integration.innerText()).toContain('github');

    const token = await page.evaluate('sessionStorage.getItem("kera.adminToken")');
    expect(token).toBe(system.environment.adminToken);
    expect(await page.evaluate('localStorage.length')).toBe(0);
  });

  it('lists the failed delivery and sends it again from its button', async () => {
    const row = page.locator('#failures tbody tr', { hasText: receiver.url });
    await row.waitFor();
    expect(await row.innerText()).toContain('HTTP 503');
    expect(await row.innerText()).toContain('KER-1');

    await row.locator('button').click();

    await page.waitForSelector('#failures button:has-text("Sent again")');
    await receiver.waitFor(2, 20_000);
  });

  it('shows the newest audit entries', async () => {
    await page.waitForSelector('#audit tbody tr:has-text("kera.delivery.failed")', {
      timeout: 30_000,
    });
    const auditText = await page.locator('#audit tbody').innerText();
    expect(auditText).toContain('kera.ticket.transitioned');
    expect(auditText).toContain('KER-1');
  });

  it('keeps the token for the tab across a reload and saves a screenshot', async () => {
    await page.reload();
    await page.waitForSelector('#failures tbody tr');
    expect(await page.locator('#panels').isVisible()).toBe(true);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });

  it('forgets the token on sign-out', async () => {
    await page.click('#sign-out');

    await expect(page.locator('#sign-in').isVisible()).resolves.toBe(true);
    expect(await page.evaluate('sessionStorage.getItem("kera.adminToken")')).toBeNull();
  });
});

/** A workflow whose transition posts to the failing receiver, one ticket moved, an integration. */
async function driveTraffic(system: RunningSystem, receiver: Receiver): Promise<void> {
  const workflow = [
    'transitions:',
    '  - from: in_progress',
    '    to: in_review',
    '    actions:',
    '      - type: send_webhook',
    `        url: ${receiver.url}/hook`,
    '',
  ].join('\n');
  const put = await system.api('/api/projects/KER/workflow', {
    method: 'PUT',
    headers: { 'content-type': 'application/yaml' },
    body: workflow,
  });
  expect(put.status).toBe(200);
  const json = { 'content-type': 'application/json' };
  const created = await system.api('/api/tickets', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ project: 'KER', title: 'Dashboard shows failures' }),
  });
  expect(created.status).toBe(201);
  const moved = await system.api('/api/tickets/KER-1/transitions', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ to: 'in_review', actor: 'ops@example.com' }),
  });
  expect(moved.status).toBe(200);

  const integration = await system.api('/api/integrations', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ provider: 'github', name: 'ops-github' }),
  });
  expect(integration.status).toBe(201);

  await receiver.waitFor(1);
  await eventually(
    async () => {
      const response = await system.api('/api/deliveries?status=failed');
      const body = (await response.json()) as { items: unknown[] };
      return body.items.length > 0 ? true : undefined;
    },
    30_000,
    'the failed delivery in the delivery log',
  );
}
