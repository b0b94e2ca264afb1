// The chat example in a real browser: Debian's chromium, headless, driven by
// playwright-core. Two pages chat through the server, the CLI client example
// joins, keepalive pings keep idle pages connected, and after the server is
// killed and restarted both pages reconnect by themselves and chat again.
// Then the same page over TLS (`chat --tls`, the certificate in tls/): the
// page loads from https:// and chats over wss://, and the CLI client joins
// over wss:// trusting the test CA.
//
// Run by `bash interop/run.sh browser`, which sets:
//   WSPROTO_CHAT, WSPROTO_CLIENT   the built chat and client examples
//   WSPROTO_SCREENSHOTS            where the screenshots go (under target/)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHAT = process.env.WSPROTO_CHAT;
const CLIENT = process.env.WSPROTO_CLIENT;
const SHOTS = process.env.WSPROTO_SCREENSHOTS || path.resolve('target/interop');
const PORT = 9561;
const BASE = `http://127.0.0.1:${PORT}`;
const WAIT = 15_000;
const TLS_PORT = 9562;
const TLS_DIR = new URL('./tls/', import.meta.url).pathname;
const [CERT, KEY, CA] = ['localhost.pem', 'localhost.key', 'ca.pem'].map((f) => path.join(TLS_DIR, f));

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

// Starts the chat server (pinging every second; a page that stops answering
// is dropped after two seconds) and waits until it listens.
function startChat(port = PORT, extra = []) {
  const child = spawn(CHAT, [`127.0.0.1:${port}`, '--ping-interval', '1', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.log = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the chat server did not start')), WAIT);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      child.log.push(...chunk.split('\n').filter(Boolean));
      if (chunk.includes('listening on')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`the chat server exited (${code}): ${child.log.join('\n')}`)));
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
}

async function onlineNames(page) {
  return page.locator('#online li').allTextContents();
}

async function expectOnline(page, names) {
  await page.waitForFunction(
    (wanted) => {
      const shown = [...document.querySelectorAll('#online li')].map((li) => li.textContent);
      return wanted.every((n) => shown.includes(n));
    },
    names,
    { timeout: WAIT },
  );
}

async function expectStatus(page, state) {
  await page.locator(`#status[data-state="${state}"]`).waitFor({ timeout: WAIT });
}

async function say(page, text) {
  await page.fill('#text', text);
  await page.click('#send');
}

async function expectMessage(page, from, text) {
  await page.locator('#log li.message', { hasText: text }).filter({ hasText: from }).first().waitFor({ timeout: WAIT });
}

test('chat page in headless chromium: two pages, the CLI client, keepalive, reconnect', async (t) => {
  assert.ok(CHAT && CLIENT, 'WSPROTO_CHAT and WSPROTO_CLIENT must name the built examples');
  mkdirSync(SHOTS, { recursive: true });
  let server = await startChat();
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'wsproto-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 960, height: 600 },
  });
  let cli = null;
  try {
    const alice = context.pages()[0] || (await context.newPage());
    const bob = await context.newPage();
    await alice.goto(`${BASE}/?name=alice`);
    await bob.goto(`${BASE}/?name=bob`);

    await t.test('both pages connect and see each other online', async () => {
      await expectStatus(alice, 'online');
      await expectStatus(bob, 'online');
      await expectOnline(alice, ['alice', 'bob']);
      await expectOnline(bob, ['alice', 'bob']);
      assert.equal(await alice.locator('#me').textContent(), 'as alice');
    });

    await t.test('messages go both ways', async () => {
      await say(alice, 'hello bob, this is alice');
      await expectMessage(bob, 'alice', 'hello bob, this is alice');
      await say(bob, 'hi alice! ✓ unicode too: 漢字 🦀');
      await expectMessage(alice, 'bob', 'hi alice! ✓ unicode too: 漢字 🦀');
    });

    await t.test('the CLI client example joins and chats', async () => {
      cli = spawn(CLIENT, [`ws://127.0.0.1:${PORT}/ws?name=terminal`], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      cli.stdout.setEncoding('utf8');
      cli.stdout.on('data', (d) => (out += d));
      await expectOnline(alice, ['alice', 'bob', 'terminal']);
      cli.stdin.write('hello from the terminal\n');
      await expectMessage(alice, 'terminal', 'hello from the terminal');
      await expectMessage(bob, 'terminal', 'hello from the terminal');
      await say(alice, 'welcome, terminal');
      const deadline = Date.now() + WAIT;
      while (!out.includes('alice: welcome, terminal') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(out, /alice: welcome, terminal/);
      cli.stdin.end(); // the client closes with 1000 and exits
      const code = await new Promise((resolve) => cli.once('exit', resolve));
      assert.equal(code, 0);
      cli = null;
      await alice.locator('#log li.system', { hasText: 'terminal left' }).waitFor({ timeout: WAIT });
    });

    await t.test('keepalive: idle pages answer the server pings and stay connected', async () => {
      // The server pings after 1 s of silence and drops a page silent 1 s more.
      const closedBefore = await alice.locator('#log li.system', { hasText: 'connection closed' }).count();
      await new Promise((r) => setTimeout(r, 3500));
      await expectStatus(alice, 'online');
      await expectStatus(bob, 'online');
      assert.equal(await alice.locator('#log li.system', { hasText: 'connection closed' }).count(), closedBefore);
      await say(bob, 'still here after 3.5 s of silence');
      await expectMessage(alice, 'bob', 'still here after 3.5 s of silence');
    });

    await t.test('after the server drops, both pages reconnect and chat again', async () => {
      await stop(server);
      await expectStatus(alice, 'offline');
      await expectStatus(bob, 'offline');
      assert.deepEqual(await onlineNames(alice), []);
      server = await startChat();
      await expectStatus(alice, 'online');
      await expectStatus(bob, 'online');
      await expectOnline(alice, ['alice', 'bob']);
      await expectOnline(bob, ['alice', 'bob']);
      await say(bob, 'back after the restart');
      await expectMessage(alice, 'bob', 'back after the restart');
      await say(alice, 'welcome back, bob');
      await expectMessage(bob, 'alice', 'welcome back, bob');
    });

    await alice.screenshot({ path: path.join(SHOTS, 'chat-alice.png') });
    await bob.screenshot({ path: path.join(SHOTS, 'chat-bob.png') });
    console.log(`screenshots: ${path.join(SHOTS, 'chat-alice.png')}, ${path.join(SHOTS, 'chat-bob.png')}`);
  } finally {
    if (cli) cli.kill('SIGKILL');
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await stop(server);
  }
});

test('chat page over https and wss in headless chromium, and the CLI client over wss', async () => {
  assert.ok(CHAT && CLIENT, 'WSPROTO_CHAT and WSPROTO_CLIENT must name the built examples');
  const server = await startChat(TLS_PORT, ['--tls', CERT, KEY]);
  // Chromium trusts the test certificate by its public key, nothing else.
  const der = new X509Certificate(readFileSync(CERT)).publicKey.export({ type: 'spki', format: 'der' });
  const spki = createHash('sha256').update(der).digest('base64');
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'wsproto-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spki}`],
    viewport: { width: 960, height: 600 },
  });
  let cli = null;
  try {
    const carol = context.pages()[0] || (await context.newPage());
    const dave = await context.newPage();
    const base = `https://localhost:${TLS_PORT}`;
    await carol.goto(`${base}/?name=carol`);
    await dave.goto(`${base}/?name=dave`);
    await expectStatus(carol, 'online');
    await expectStatus(dave, 'online');
    await expectOnline(carol, ['carol', 'dave']);
    await say(carol, 'hello over wss ✓');
    await expectMessage(dave, 'carol', 'hello over wss ✓');
    await say(dave, 'and back 🦀');
    await expectMessage(carol, 'dave', 'and back 🦀');
    // The pages' WebSockets went over TLS: the server logged their joins.
    assert.ok(server.log.some((l) => l.includes('carol joined')), server.log.join('\n'));

    cli = spawn(CLIENT, [`wss://localhost:${TLS_PORT}/ws?name=terminal`, '--ca', CA], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout.setEncoding('utf8');
    cli.stdout.on('data', (d) => (out += d));
    await expectOnline(carol, ['carol', 'dave', 'terminal']);
    cli.stdin.write('hello from the terminal over wss\n');
    await expectMessage(dave, 'terminal', 'hello from the terminal over wss');
    await say(carol, 'hi terminal');
    const deadline = Date.now() + WAIT;
    while (!out.includes('carol: hi terminal') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /carol: hi terminal/);
    cli.stdin.end();
    assert.equal(await new Promise((resolve) => cli.once('exit', resolve)), 0);
    cli = null;
    await carol.screenshot({ path: path.join(SHOTS, 'chat-tls-carol.png') });
  } finally {
    if (cli) cli.kill('SIGKILL');
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await stop(server);
  }
});
