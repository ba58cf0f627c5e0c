// The dashboard in real headless Chromium, against a real network: the
// odin-testbed binary (controller, three agents over TCP, simulated clients)
// serving the API and the built dashboard (web/dist) on a free loopback port.
//
//   node tests/browser.mjs            (from web/, after `npm run build`)
//
// ODIN_TESTBED: the odin-testbed binary (default ../target/debug/odin-testbed);
// CHROMIUM: the browser (default /usr/bin/chromium); ODIN_ARTIFACTS: where the
// screenshots go (default ../target/web-artifacts). Exits 1 on the first
// failed check, with a screenshot of the page as it was.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
const testbedBin = process.env.ODIN_TESTBED ?? join(root, 'target/debug/odin-testbed');
const browserBin = process.env.CHROMIUM ?? '/usr/bin/chromium';
const artifacts = process.env.ODIN_ARTIFACTS ?? join(root, 'target/web-artifacts');
const dist = join(web, 'dist');
mkdirSync(artifacts, { recursive: true });

const scratch = mkdtempSync(join(tmpdir(), 'odin-web-test-'));
const token = `odin_${randomBytes(32).toString('hex')}`;
const tokensFile = join(scratch, 'api-tokens');
// The controller's tokens file: the token's SHA-256 and a name (rest/tokens.rs).
writeFileSync(tokensFile, `sha256:${createHash('sha256').update(token).digest('hex')} browser-test\n`, { mode: 0o600 });

const started = Date.now();
const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`, ...a);

// ---------------------------------------------------------------------------
// The network.

/** Starts odin-testbed; resolves with the process and its API's base URL. */
function startTestbed(listen = '127.0.0.1:0') {
  // A store in the scratch folder: the event history the timeline reads
  // after a reload, kept across the controller's restart below.
  const database = `sqlite://${join(scratch, 'controller.db')}`;
  const args = ['--agents', '3', '--clients', '6', '--handoff-every', '0', '--api-listen', listen, '--api-tokens', tokensFile, '--web-root', dist, '--database', database];
  const child = spawn(testbedBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`odin-testbed printed no API address in 20 s:\n${output.join('')}`)), 20_000);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => output.push(d));
    child.stdout.on('data', (d) => {
      output.push(d);
      const m = /REST API on (http:\/\/[0-9.]+:\d+)\//.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolvePromise({ child, base: m[1], output });
      }
    });
    child.on('exit', (code) => reject(new Error(`odin-testbed exited (${code}):\n${output.join('')}`)));
    child.on('error', reject);
  });
}

async function api(base, path, init = {}) {
  const r = await fetch(base + path, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

/** Polls `check` (returning truthy when done) every 100 ms for `ms`. */
async function until(what, check, ms = 10_000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------
// The checks.

let testbed;
let browser;
let page;
let failures = 0;
let passed = 0;
/** The client the handoff check moved: { mac, from, to }. */
let moved = null;

async function check(name, body) {
  const t = Date.now();
  try {
    await body();
    passed++;
    log(`ok   ${name} (${Date.now() - t} ms)`);
  } catch (e) {
    failures++;
    log(`FAIL ${name}: ${e.stack ?? e}`);
    if (page) await page.screenshot({ path: join(artifacts, `failed-${name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
    throw e;
  }
}

const shot = (name) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

async function main() {
  log(`odin-testbed: ${testbedBin}`);
  testbed = await startTestbed();
  const { base } = testbed;
  log(`network up, API and dashboard at ${base}/`);
  await until('six placed clients', async () => (await api(base, '/api/v1/clients')).clients.filter((c) => c.lvap?.state === 'active').length === 6);

  browser = await chromium.launch({
    executablePath: browserBin,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  page = await context.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  await check('the page loads and asks for a token', async () => {
    const response = await page.goto(`${base}/`);
    if (response?.status() !== 200) throw new Error(`GET / answered ${response?.status()}`);
    await page.getByTestId('login').waitFor({ timeout: 10_000 });
    // An unknown page path is the dashboard too; an unknown API path is JSON.
    const r = await fetch(`${base}/some/page`);
    if (r.status !== 200 || !(await r.text()).includes('<div id="app">')) throw new Error('no SPA fallback');
    const a = await fetch(`${base}/api/v1/nothing`, { headers: { Authorization: `Bearer ${token}` } });
    if (a.status !== 404 || !(await a.json()).error) throw new Error('an unknown API path is not a JSON 404');
    await shot('01-login');
  });

  await check('a bad token is refused with a message', async () => {
    await page.fill('input[name=token]', 'odin_not_a_valid_token');
    await page.click('button[type=submit]');
    const error = page.getByTestId('login-error');
    await error.waitFor({ timeout: 10_000 });
    const text = await error.textContent();
    if (!/refused this token/.test(text ?? '')) throw new Error(`message: ${text}`);
    if (await page.getByTestId('topology').count()) throw new Error('the dashboard opened anyway');
    await shot('02-bad-token');
  });

  await check('the good token shows the network: 3 APs, 6 clients, their links', async () => {
    await page.fill('input[name=token]', token);
    await page.click('button[type=submit]');
    await page.getByTestId('topology').waitFor({ timeout: 10_000 });
    await page.waitForFunction(
      () =>
        document.querySelectorAll('[data-testid=topology] [data-ap]').length === 3 &&
        document.querySelectorAll('[data-testid=topology] [data-client]').length === 6 &&
        document.querySelectorAll('[data-testid=topology] [data-link][data-serving=true]').length === 6 &&
        document.querySelectorAll('[data-testid=topology] [data-link][data-serving=false]').length >= 6 &&
        document.querySelectorAll('[data-testid=clients] tbody tr').length === 6,
      null,
      { timeout: 10_000 },
    );
    const stored = await page.evaluate(() => localStorage.getItem('odin.apiToken'));
    if (stored !== token) throw new Error('the token is not kept in localStorage');
    // Kept across a reload: no second sign-in.
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=topology] [data-client]').length === 6, null, {
      timeout: 10_000,
    });
    await page.getByTestId('stream-state').filter({ hasText: 'live' }).waitFor({ timeout: 10_000 });
    // A few seconds of signal samples for the chart.
    await page.waitForTimeout(2500);
    await shot('03-network');
  });

  await check('a manual handoff through the UI moves the client, on screen and in the controller', async () => {
    const { clients } = await api(base, '/api/v1/clients');
    const client = clients.find((c) => c.lvap?.agent === 'ap-1') ?? clients[0];
    const from = client.lvap.agent;
    const to = from === 'ap-3' ? 'ap-2' : 'ap-3';
    log(`     moving ${client.mac} from ${from} to ${to}`);
    const form = page.getByTestId('handoff-form');
    await form.locator('select[name=client]').selectOption(client.mac);
    await form.locator('select[name=agent]').selectOption(to);
    await form.locator('button[type=submit]').click();
    await form.getByText(`moved ${client.mac} to ${to}`).waitFor({ timeout: 15_000 });
    await page.waitForFunction(
      ({ mac, to }) =>
        document.querySelector(`[data-testid=clients] tr[data-client="${mac}"] .serving`)?.textContent?.startsWith(`${to}/`) &&
        document.querySelector(`[data-testid=topology] [data-client="${mac}"]`)?.getAttribute('data-serving') === to &&
        document.querySelector(`[data-testid=topology] [data-link="${mac}>${to}"]`)?.getAttribute('data-serving') === 'true',
      { mac: client.mac, to },
      { timeout: 10_000 },
    );
    const now = await api(base, `/api/v1/clients/${client.mac}`);
    if (now.lvap?.agent !== to) throw new Error(`the controller says ${client.mac} is on ${now.lvap?.agent}`);
    // The timeline has it, completed, with who asked and the step durations.
    const entry = page.locator(`[data-testid=timeline] li[data-client="${client.mac}"].completed`).first();
    await entry.waitFor({ timeout: 10_000 });
    const text = await entry.textContent();
    for (const want of [`${from}/0 → ${to}/0`, 'api', 'dashboard', 'export', 'authorize']) {
      if (!text?.includes(want)) throw new Error(`timeline entry lacks ${JSON.stringify(want)}: ${text}`);
    }
    await page.locator(`[data-testid=clients] tr[data-client="${client.mac}"]`).click();
    await page.waitForTimeout(1500);
    await shot('04-after-handoff');
    moved = { mac: client.mac, from, to };
  });

  await check('after a reload the timeline shows the handoff from the stored history', async () => {
    if (!moved) throw new Error('no handoff to look for');
    await page.reload();
    const entry = page.locator(`[data-testid=timeline] li[data-client="${moved.mac}"].completed`).first();
    await entry.waitFor({ timeout: 10_000 });
    const text = await entry.textContent();
    for (const want of [`${moved.from}/0 → ${moved.to}/0`, 'api', 'dashboard', 'export']) {
      if (!text?.includes(want)) throw new Error(`history entry lacks ${JSON.stringify(want)}: ${text}`);
    }
    if ((await page.getByText('no stored history').count()) > 0) throw new Error('the page says there is no stored history');
  });

  await check('a channel change through the UI is shown and done', async () => {
    const { agents } = await api(base, '/api/v1/agents');
    const radio = agents.find((a) => a.name === 'ap-2').radios[0];
    const channel = radio.channels.find((c) => c !== radio.channel);
    log(`     ap-2/${radio.index}: channel ${radio.channel} -> ${channel}`);
    const form = page.getByTestId('channel-form');
    await form.locator('select[name=radio]').selectOption(`ap-2/${radio.index}`);
    await form.locator('select[name=channel]').selectOption(String(channel));
    await form.locator('button[type=submit]').click();
    await form.getByText(`is on channel ${channel}`).waitFor({ timeout: 15_000 });
    await page.waitForFunction(
      ({ channel }) =>
        document.querySelector('[data-testid=agents] tr[data-agent="ap-2"] .channel')?.textContent === String(channel) &&
        document.querySelector('[data-testid=topology] [data-ap="ap-2"]')?.textContent?.includes(`ch ${channel}`),
      { channel },
      { timeout: 10_000 },
    );
    const now = await api(base, '/api/v1/agents/ap-2');
    if (now.radios[0].channel !== channel) throw new Error(`the controller says channel ${now.radios[0].channel}`);
    await shot('05-after-channel-change');
  });

  await check('apps: configured, enabled and disabled through the UI', async () => {
    const card = page.locator('[data-app="rescue"]');
    const textarea = card.locator('textarea');
    await textarea.fill('{"bogus": 1}');
    await card.getByRole('button', { name: 'Save configuration' }).click();
    await card.getByText(/refused its configuration/).waitFor({ timeout: 10_000 });
    // A threshold no client is under: nothing moves.
    await textarea.fill('{"threshold_dbm": -95, "margin_db": 10}');
    await card.getByRole('button', { name: 'Save configuration' }).click();
    await card.getByText('configuration saved').waitFor({ timeout: 10_000 });
    await card.getByRole('button', { name: 'Enable' }).click();
    await card.locator('.badge', { hasText: /^enabled$/ }).waitFor({ timeout: 10_000 });
    let rescue = (await api(base, '/api/v1/apps')).apps.find((a) => a.name === 'rescue');
    if (!rescue.enabled || rescue.config?.threshold_dbm !== -95) throw new Error(`the controller says ${JSON.stringify(rescue)}`);
    await shot('06-apps');
    await card.getByRole('button', { name: 'Disable' }).click();
    await card.locator('.badge', { hasText: /^disabled$/ }).waitFor({ timeout: 10_000 });
    rescue = (await api(base, '/api/v1/apps')).apps.find((a) => a.name === 'rescue');
    if (rescue.enabled) throw new Error('the controller says rescue is still enabled');
  });

  await check('a killed controller shows the unreachable banner, and it goes when the controller is back', async () => {
    const port = new URL(base).port;
    testbed.child.kill('SIGKILL');
    await page.getByTestId('unreachable').waitFor({ timeout: 10_000 });
    await shot('07-unreachable');
    // The same address again: the page recovers by itself, no reload.
    testbed = await until('a new testbed on the same port', () => startTestbed(`127.0.0.1:${port}`).catch(() => null), 20_000);
    await page.getByTestId('unreachable').waitFor({ state: 'detached', timeout: 15_000 });
    await page.getByTestId('stream-state').filter({ hasText: 'live' }).waitFor({ timeout: 15_000 });
    await shot('08-recovered');
  });

  await check('a revoked token sends the page back to the sign-in, with a message', async () => {
    // The controller reads the tokens file again when it changes.
    const other = createHash('sha256').update(`odin_${randomBytes(32).toString('hex')}`).digest('hex');
    writeFileSync(tokensFile, `sha256:${other} someone-else\n`, { mode: 0o600 });
    await page.getByTestId('login').waitFor({ timeout: 10_000 });
    await page.getByText('The controller refused the token').waitFor({ timeout: 5_000 });
    if (await page.evaluate(() => localStorage.getItem('odin.apiToken'))) throw new Error('the refused token is still kept');
    await shot('09-revoked');
  });

  if (consoleErrors.length) throw new Error(`errors in the page: ${consoleErrors.join('; ')}`);
}

try {
  await main();
  log(`${passed} checks passed; screenshots in ${artifacts}`);
} catch (e) {
  if (!failures) log(`FAIL: ${e.stack ?? e}`);
  process.exitCode = 1;
} finally {
  await browser?.close().catch(() => {});
  testbed?.child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
}
