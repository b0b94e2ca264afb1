// The chat page over HTTP/2 in a real browser: Debian's chromium, headless,
// driven by playwright-core, against the h2_server example (hyper, TLS with
// a certificate made at start, ALPN h2 and http/1.1 on one port).
//
// The page is loaded over HTTP/2 and its WebSockets (wss://) must ride that
// connection as RFC 8441 extended CONNECT streams. The server records how
// each WebSocket arrived (GET /stats, and a log line per socket); the test
// fails if any came as an HTTP/1.1 upgrade.
//
// Chromium needs no flag for RFC 8441 (on by default since version 91): it
// opens a WebSocket as an HTTP/2 stream when an HTTP/2 connection to the
// origin is open and that server's SETTINGS carried
// SETTINGS_ENABLE_CONNECT_PROTOCOL = 1. The only flag here is for the
// self-signed certificate: --ignore-certificate-errors-spki-list with the
// SHA-256 of its SubjectPublicKeyInfo, which the server prints.
//
// Run by `bash interop/run.sh h2`, which sets:
//   WSPROTO_H2_SERVER     the built h2_server example
//   WSPROTO_SCREENSHOTS   where the screenshots go (under target/)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const SERVER = process.env.WSPROTO_H2_SERVER;
const SHOTS = process.env.WSPROTO_SCREENSHOTS || path.resolve('target/interop');
const PORT = 9571;
const BASE = `https://localhost:${PORT}`;
const WAIT = 15_000;

// Starts the server (pinging every second) and waits for its certificate
// hash and its listening line.
function startServer() {
  const child = spawn(SERVER, [`127.0.0.1:${PORT}`, '--ping-interval', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.log = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the h2 server did not start')), WAIT);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      child.log.push(...chunk.split('\n').filter(Boolean));
      const spki = child.log.find((l) => l.startsWith('spki sha256: '));
      if (spki && child.log.some((l) => l.includes('listening on'))) {
        clearTimeout(timer);
        child.spki = spki.slice('spki sha256: '.length).trim();
        resolve(child);
      }
    });
    child.on('exit', (code) => reject(new Error(`the h2 server exited (${code}): ${child.log.join('\n')}`)));
  });
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', resolve);
    child.kill('SIGKILL');
  });
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

// The server's record of every WebSocket, fetched by the page itself (over
// the same HTTP/2 connection).
async function stats(page) {
  return page.evaluate(async () => (await fetch('/stats', { cache: 'no-store' })).json());
}

test('chat page over HTTP/2 in headless chromium: WebSockets as RFC 8441 streams', async (t) => {
  assert.ok(SERVER, 'WSPROTO_H2_SERVER must name the built h2_server example');
  mkdirSync(SHOTS, { recursive: true });
  const server = await startServer();
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'wsproto-chromium-h2-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      // HTTP/2 over TCP, not QUIC: what this test is about.
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${server.spki}`,
    ],
    viewport: { width: 960, height: 600 },
  });
  try {
    const alice = context.pages()[0] || (await context.newPage());
    const bob = await context.newPage();
    await alice.goto(`${BASE}/?name=alice`);
    await bob.goto(`${BASE}/?name=bob`);

    await t.test('the page came over HTTP/2', async () => {
      for (const page of [alice, bob]) {
        const protocol = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
        assert.equal(protocol, 'h2');
      }
    });

    await t.test('both pages connect and see each other online', async () => {
      await expectStatus(alice, 'online');
      await expectStatus(bob, 'online');
      await expectOnline(alice, ['alice', 'bob']);
      await expectOnline(bob, ['alice', 'bob']);
      assert.equal(await alice.locator('#me').textContent(), 'as alice');
    });

    await t.test('messages go both ways', async () => {
      await say(alice, 'hello bob, over an HTTP/2 stream');
      await expectMessage(bob, 'alice', 'hello bob, over an HTTP/2 stream');
      await say(bob, 'hi alice! ✓ unicode too: 漢字 🦀');
      await expectMessage(alice, 'bob', 'hi alice! ✓ unicode too: 漢字 🦀');
    });

    await t.test('keepalive: idle pages answer the server pings on their streams', async () => {
      const closedBefore = await alice.locator('#log li.system', { hasText: 'connection closed' }).count();
      await new Promise((r) => setTimeout(r, 3500));
      await expectStatus(alice, 'online');
      await expectStatus(bob, 'online');
      assert.equal(await alice.locator('#log li.system', { hasText: 'connection closed' }).count(), closedBefore);
      await say(bob, 'still here after 3.5 s of silence');
      await expectMessage(alice, 'bob', 'still here after 3.5 s of silence');
    });

    await t.test('the server recorded every WebSocket as an extended CONNECT stream, none as HTTP/1.1', async () => {
      const s = await stats(alice);
      console.log(`server record (/stats): ${JSON.stringify(s)}`);
      const lines = server.log.filter((l) => l.startsWith('websocket ') && l.includes(' via '));
      console.log(`server log:\n  ${lines.join('\n  ')}`);
      assert.equal(s.http1_upgrade, 0, 'a WebSocket fell back to HTTP/1.1');
      assert.ok(s.h2_extended_connect >= 2, `expected both pages' WebSockets over HTTP/2, got ${s.h2_extended_connect}`);
      for (const ws of s.websockets) {
        assert.equal(ws.via, 'h2-extended-connect', JSON.stringify(ws));
        assert.equal(ws.version, 'HTTP/2.0');
        assert.ok(ws.deflate, 'chromium offers permessage-deflate; the server accepts it');
      }
      assert.ok(s.websockets.some((ws) => ws.target === '/ws?name=alice'));
      assert.ok(s.websockets.some((ws) => ws.target === '/ws?name=bob'));
      assert.ok(lines.every((l) => l.includes('via h2-extended-connect (HTTP/2.0)')), lines.join('\n'));
      // Each WebSocket rode a connection that served the page: the same
      // client address (TCP port) as a page load.
      for (const ws of s.websockets) {
        assert.ok(s.page_peers.includes(ws.peer), `${ws.peer} not among the page's connections ${s.page_peers}`);
      }
    });

    await t.test('a page that leaves closes its stream; the other sees it go', async () => {
      await alice.screenshot({ path: path.join(SHOTS, 'chat-h2-alice.png') });
      await bob.screenshot({ path: path.join(SHOTS, 'chat-h2-bob.png') });
      await alice.close();
      await bob.locator('#log li.system', { hasText: 'alice left' }).waitFor({ timeout: WAIT });
      await expectOnline(bob, ['bob']);
    });
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    await stop(server);
  }
});
