// An independent WebSocket peer for wsproto's interop tests: Node's `ws`
// package, as a client or as a server.
//
//   node peer.mjs client URL [--compression on|off] [--concurrency N] [--ca FILE]
//     runs the interop scenario against a WebSocket echo server at URL (our
//     echo_server, tokio_echo or hyper_upgrade) and checks every echo, pong
//     and close. One line per check, then "N passed, N failed"; exit 1 if
//     any check failed. With --ca, a wss:// URL's certificate is checked
//     against the certificates in FILE.
//
//   node peer.mjs server [--port P] [--compression on|off] [--corrupt] [--tls CERT KEY]
//     an echo server for our client. Prints {"listening": PORT}, then one
//     JSON line per connection when it ends: subprotocol, extensions, close
//     code and reason. `ws` hands over whole messages, so a message starting
//     with "frag:" is echoed in three fragments (split at byte boundaries,
//     through a UTF-8 character for text). Text commands: "cmd:ping:<hex>"
//     pings with that payload and answers "ping-ok:<hex>" when the pong
//     carries the same payload; "cmd:close:<code>:<reason>" closes.
//     --corrupt changes one byte of every non-empty echo (negative control).
//     --tls serves wss:// with that certificate chain and key (PEM files).
//
//   node peer.mjs chat URL
//     joins the chat example as "alice" (JSON subprotocol) and "bob" (plain
//     text), checks presence, broadcast and keepalive pings, then prints
//     "waiting-for-cli" and waits for a message from "cli".

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import WebSocket, { WebSocketServer } from 'ws';

const SUBPROTOCOL = 'wsproto-interop';
const KIB = 1024;
const MIB = 1024 * KIB;
const SIZES = [0, 125, 126, 65535, 64 * KIB, 1 * MIB, 16 * MIB];
const MAX_SIZE = 64 * MIB;
const TIMEOUT = 60_000;

function textOfSize(n, seed) {
  // Exactly n bytes of UTF-8 mixing 1- to 4-byte characters.
  const pattern = Buffer.from(`wsproto ${seed} ✓ é 漢字 🦀 `);
  const data = Buffer.alloc(n);
  for (let i = 0; i < n; i += pattern.length) pattern.copy(data, i, 0, Math.min(pattern.length, n - i));
  // Back up to a character boundary, then pad with ASCII.
  let end = n;
  while (end > 0 && !Buffer.from(data.subarray(0, end).toString('utf8')).equals(data.subarray(0, end))) end--;
  data.fill(0x78, end);
  return data.toString('utf8');
}

function binaryOfSize(n, seed) {
  // Deterministic bytes: SHA-256 in counter mode.
  const out = Buffer.alloc(n);
  for (let i = 0, block = 0; i < n; i += 32, block++) {
    createHash('sha256').update(`${seed}:${block}`).digest().copy(out, i, 0, Math.min(32, n - i));
  }
  return out;
}

function corrupt(data, isBinary) {
  if (data.length === 0) return data;
  const out = Buffer.from(data);
  const i = out.length >> 1;
  if (isBinary) {
    out[i] ^= 0x01;
    return out;
  }
  // Keep valid UTF-8: replace one character by an ASCII one.
  const text = out.toString('utf8');
  const chars = [...text];
  const k = Math.min(chars.length - 1, Math.floor(chars.length / 2));
  chars[k] = chars[k] === '#' ? '$' : '#';
  return Buffer.from(chars.join(''));
}

class Checks {
  constructor() {
    this.passed = 0;
    this.failed = 0;
  }
  ok(name, detail = '') {
    this.passed++;
    console.log(`ok   ${name}${detail ? ' ' + detail : ''}`);
  }
  fail(name, detail) {
    this.failed++;
    console.log(`FAIL ${name}: ${detail}`);
  }
  expect(name, condition, detail = '') {
    if (condition) this.ok(name);
    else this.fail(name, detail);
    return condition;
  }
}

function withTimeout(promise, what, ms = TIMEOUT) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// A client whose messages, pongs and close are awaited in order.
class Peer {
  constructor(url, protocols, options) {
    this.ws = new WebSocket(url, protocols, options);
    this.messages = [];
    this.waiters = [];
    this.pongs = [];
    this.pongWaiters = [];
    this.pings = [];
    this.ws.on('message', (data, isBinary) => this.push('messages', 'waiters', { data, isBinary }));
    this.ws.on('pong', (data) => this.push('pongs', 'pongWaiters', data));
    this.ws.on('ping', (data) => this.pings.push(data));
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
  }
  push(queue, waiters, item) {
    const waiter = this[waiters].shift();
    if (waiter) waiter(item);
    else this[queue].push(item);
  }
  next(queue, waiters, what) {
    if (this[queue].length) return Promise.resolve(this[queue].shift());
    return withTimeout(new Promise((resolve) => this[waiters].push(resolve)), what);
  }
  message() {
    return this.next('messages', 'waiters', 'a message');
  }
  pong() {
    return this.next('pongs', 'pongWaiters', 'a pong');
  }
  send(data, options = {}) {
    return new Promise((resolve, reject) => this.ws.send(data, options, (err) => (err ? reject(err) : resolve())));
  }
}

function describe(data, isBinary) {
  return `${isBinary ? 'binary' : 'text'} ${data.length} B`;
}

async function echoCheck(checks, peer, name, fragments, isBinary) {
  const whole = Buffer.concat(fragments.map((f) => Buffer.from(f)));
  const start = performance.now();
  for (let i = 0; i < fragments.length; i++) {
    await peer.send(fragments[i], { binary: isBinary, fin: i === fragments.length - 1 });
  }
  const echo = await peer.message();
  const ms = (performance.now() - start).toFixed(0);
  if (echo.isBinary !== isBinary) return checks.fail(name, `sent ${describe(whole, isBinary)}, echo is ${describe(echo.data, echo.isBinary)}`);
  if (!whole.equals(echo.data)) {
    let i = 0;
    while (i < whole.length && i < echo.data.length && whole[i] === echo.data[i]) i++;
    return checks.fail(name, `echo of ${describe(whole, isBinary)} differs at byte ${i} (echo is ${describe(echo.data, echo.isBinary)})`);
  }
  checks.ok(name, `(${describe(whole, isBinary)}, ${ms} ms)`);
}

async function clientScenario(checks, url, compression, concurrency) {
  const options = { perMessageDeflate: compression, maxPayload: MAX_SIZE, ...TLS };
  const peer = new Peer(`${url}/interop?peer=node`, [SUBPROTOCOL, 'wsproto-other'], options);
  await withTimeout(peer.opened, 'the handshake');
  checks.expect('subprotocol negotiated', peer.ws.protocol === SUBPROTOCOL, `got '${peer.ws.protocol}'`);
  console.log(`     extensions negotiated: ${peer.ws.extensions || 'none'}`);

  for (const n of SIZES) {
    await echoCheck(checks, peer, `text echo ${n} B`, [Buffer.from(textOfSize(n, n))], false);
    await echoCheck(checks, peer, `binary echo ${n} B`, [binaryOfSize(n, n)], true);
  }

  // Fragmented: ws sends each piece as one frame with `fin` as given. The
  // text is split inside multi-byte characters.
  const text = Buffer.from('frag ✓ mented tëxt 🦀 end');
  await echoCheck(checks, peer, 'fragmented text, split inside characters', [text.subarray(0, 6), text.subarray(6, 6), text.subarray(6, 22), text.subarray(22)], false);
  await echoCheck(checks, peer, 'fragmented binary', [Buffer.from([0, 1]), Buffer.alloc(0), binaryOfSize(70000, 7), Buffer.from([255])], true);
  await echoCheck(checks, peer, 'fragmented 1 MiB binary, 16 frames', Array.from({ length: 16 }, (_, i) => binaryOfSize(64 * KIB, i)), true);

  for (const payload of [Buffer.alloc(0), Buffer.from('p'), Buffer.from('ping ✓'), binaryOfSize(125, 125)]) {
    peer.ws.ping(payload);
    const pong = await peer.pong();
    checks.expect(`ping ${payload.length} B answered with the same payload`, pong.equals(payload), `pong was ${pong.toString('hex')}`);
  }

  const sent = Array.from({ length: 200 }, (_, i) => (i % 2 ? Buffer.from(textOfSize((i * 37) % 3000, i)) : binaryOfSize((i * 53) % 3000, i)));
  for (let i = 0; i < sent.length; i++) await peer.send(sent[i], { binary: i % 2 === 0 });
  let inOrder = true;
  for (let i = 0; i < sent.length; i++) {
    const echo = await peer.message();
    if (!echo.data.equals(sent[i]) || echo.isBinary !== (i % 2 === 0)) inOrder = false;
  }
  checks.expect('200 pipelined messages echoed in order', inOrder, 'echoes differ from what was sent');

  peer.ws.close(4000, 'node says bye ✓');
  const closed = await withTimeout(peer.closed, 'the close');
  checks.expect('close 4000 echoed by the server', closed.code === 4000, `got ${closed.code} '${closed.reason}'`);
  console.log(`     server's close frame: code ${closed.code} reason '${closed.reason}'`);

  const plain = new Peer(`${url}/plain`, [], options);
  await withTimeout(plain.opened, 'the handshake');
  checks.expect('no subprotocol when none offered', plain.ws.protocol === '', `got '${plain.ws.protocol}'`);
  await echoCheck(checks, plain, 'text echo without subprotocol', [Buffer.from('plain ✓')], false);
  plain.ws.close(1000);
  await withTimeout(plain.closed, 'the close');

  const one = async (i) => {
    const p = new Peer(`${url}/many/${i}`, [], options);
    await withTimeout(p.opened, 'the handshake');
    for (let j = 0; j < 10; j++) {
      const message = Buffer.from(textOfSize((i * 31 + j * 7) % 2000, i * 100 + j));
      await p.send(message, { binary: false });
      const echo = await p.message();
      if (!echo.data.equals(message)) throw new Error(`connection ${i}: echo ${j} differs`);
    }
    p.ws.close(1000);
    const c = await withTimeout(p.closed, 'the close');
    if (c.code !== 1000) throw new Error(`connection ${i}: closed with ${c.code}`);
  };
  const results = await Promise.allSettled(Array.from({ length: concurrency }, (_, i) => one(i)));
  const bad = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason));
  checks.expect(`${concurrency} concurrent connections, 10 echoes each`, bad.length === 0, `${bad.length} failed: ${[...new Set(bad)].slice(0, 3).join('; ')}`);
}

async function runClient(url, compression, concurrency) {
  const checks = new Checks();
  console.log(`ws client -> ${url} (compression offered: ${compression ? 'on' : 'off'})`);
  try {
    await clientScenario(checks, url, compression, concurrency);
  } catch (e) {
    checks.fail('scenario', String(e && e.stack ? e.message : e));
  }
  console.log(`node client: ${checks.passed} passed, ${checks.failed} failed`);
  process.exit(checks.failed === 0 && checks.passed > 0 ? 0 : 1);
}

function runServer(port, compression, corruptEcho, tls) {
  // With TLS, `ws` serves on an https server of ours.
  const https = tls && createServer({ cert: readFileSync(tls[0]), key: readFileSync(tls[1]) });
  const wss = new WebSocketServer({
    ...(https ? { server: https } : { host: '127.0.0.1', port }),
    perMessageDeflate: compression,
    maxPayload: MAX_SIZE,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  if (https) {
    https.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ listening: https.address().port })));
  } else {
    wss.on('listening', () => console.log(JSON.stringify({ listening: wss.address().port })));
  }
  wss.on('connection', (ws, request) => {
    const info = { path: request.url, subprotocol: ws.protocol || null, extensions: ws.extensions || 'none', messages: 0 };
    let pingWanted = null;
    ws.on('message', (data, isBinary) => {
      info.messages++;
      const text = isBinary ? null : data.toString('utf8');
      if (text !== null && text.startsWith('cmd:')) {
        const [, verb, ...rest] = text.split(':');
        if (verb === 'ping') {
          pingWanted = rest[0];
          ws.ping(Buffer.from(rest[0], 'hex'));
        } else if (verb === 'close') {
          ws.close(Number(rest[0]), rest.slice(1).join(':'));
        }
        return;
      }
      const echo = corruptEcho ? corrupt(data, isBinary) : data;
      if (!corruptEcho && echo.length >= 5 && echo.subarray(0, 5).toString() === 'frag:') {
        const a = Math.floor(echo.length / 3) + 1;
        const b = Math.floor((2 * echo.length) / 3) + 1;
        ws.send(echo.subarray(0, a), { binary: isBinary, fin: false });
        ws.send(echo.subarray(a, b), { binary: isBinary, fin: false });
        ws.send(echo.subarray(b), { binary: isBinary, fin: true });
      } else {
        ws.send(echo, { binary: isBinary });
      }
    });
    ws.on('pong', (data) => {
      if (pingWanted === null) return;
      const verdict = data.toString('hex') === pingWanted ? 'ping-ok' : 'ping-bad';
      ws.send(`${verdict}:${pingWanted}`);
      pingWanted = null;
    });
    ws.on('close', (code, reason) => {
      info.close_code = code;
      info.close_reason = reason.toString();
      console.log(JSON.stringify({ closed: info }));
    });
  });
}

async function runChat(url) {
  // Joins the chat example as two members and checks what they see.
  const checks = new Checks();
  const alice = new Peer(`${url}/ws?name=alice`, ['wsproto.chat.json'], {});
  const bob = new Peer(`${url}/ws?name=bob`, [], {});
  try {
    await withTimeout(Promise.all([alice.opened, bob.opened]), 'the handshakes');
    checks.expect('alice gets the JSON subprotocol', alice.ws.protocol === 'wsproto.chat.json', `got '${alice.ws.protocol}'`);
    checks.expect('bob (no subprotocol) gets plain text', bob.ws.protocol === '', `got '${bob.ws.protocol}'`);
    const json = async (peer, predicate, what) => {
      for (;;) {
        const m = JSON.parse((await peer.message()).data.toString());
        if (predicate(m)) return m;
      }
    };
    const line = async (peer, predicate) => {
      for (;;) {
        const m = (await peer.message()).data.toString();
        if (predicate(m)) return m;
      }
    };
    const online = (m, names) => names.every((n) => (m.online || []).includes(n));
    await withTimeout(json(alice, (m) => online(m, ['alice', 'bob', 'cli'])), 'alice, bob and cli online');
    checks.ok('presence: alice sees alice, bob and cli online');
    await alice.send('hello from alice ✓');
    const seen = await withTimeout(line(bob, (m) => m.includes('hello from alice')), 'the broadcast');
    checks.expect('broadcast: bob gets alice\'s message as a plain line', seen === 'alice: hello from alice ✓', `got '${seen}'`);
    const echo = await withTimeout(json(alice, (m) => m.type === 'message'), 'the echo');
    checks.expect('broadcast: alice gets her own message back as JSON', echo.from === 'alice' && echo.text === 'hello from alice ✓', JSON.stringify(echo));
    // Keepalive: idle, the server pings (ws answers each ping itself).
    const before = bob.pings.length;
    await new Promise((r) => setTimeout(r, 1600));
    checks.expect('keepalive: the server pinged the idle connection', bob.pings.length - before >= 2, `${bob.pings.length - before} pings in 1.6 s`);
    console.log('waiting-for-cli');
    const fromCli = await withTimeout(json(alice, (m) => m.type === 'message' && m.from === 'cli'), 'a message from cli');
    checks.expect('the CLI client example chats too', fromCli.text === 'hello from the terminal', JSON.stringify(fromCli));
    bob.ws.close(1000);
    const gone = await withTimeout(json(alice, (m) => m.type === 'leave' && m.name === 'bob'), 'bob leaving');
    checks.expect('presence: bob leaves', !gone.online.includes('bob'), JSON.stringify(gone));
    alice.ws.close(1000, 'bye');
    await withTimeout(alice.closed, 'the close');
  } catch (e) {
    checks.fail('chat scenario', String(e && e.message ? e.message : e));
  }
  console.log(`node chat: ${checks.passed} passed, ${checks.failed} failed`);
  process.exit(checks.failed === 0 ? 0 : 1);
}

const [mode, ...args] = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const compression = flag('--compression', 'on') === 'on';
// The client's TLS settings for a wss:// URL (--ca): trust FILE's certificates.
const TLS = flag('--ca') ? { ca: readFileSync(flag('--ca')) } : {};
const tlsAt = args.indexOf('--tls');
const tls = tlsAt >= 0 ? [args[tlsAt + 1], args[tlsAt + 2]] : null;
if (mode === 'client') {
  await runClient(args[0].replace(/\/$/, ''), compression, Number(flag('--concurrency', '100')));
} else if (mode === 'server') {
  runServer(Number(flag('--port', '0')), compression, args.includes('--corrupt'), tls);
} else if (mode === 'chat') {
  await runChat(args[0].replace(/\/$/, ''));
} else {
  console.error('usage: node peer.mjs client URL | server | chat URL (see the top of this file)');
  process.exit(2);
}
