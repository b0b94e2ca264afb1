"""An independent WebSocket peer for wsproto's interop tests: Python's
`websockets` library (asyncio implementation), as a client or as a server.

client URL   runs the interop scenario against a WebSocket echo server at
             URL (our echo_server, tokio_echo or hyper_upgrade) and checks
             every echo, pong and close. Prints one line per check and a
             closing "N passed, N failed" line; exits 1 if any check failed.

server       an echo server for our client. Prints {"listening": PORT}, then
             one JSON line per connection when it ends, with what it saw:
             the subprotocol, the extensions, the close code and reason.
             Fragmented messages are echoed with the same fragmentation.
             Text commands: "cmd:ping:<hex>" pings with that payload and
             answers "ping-ok:<hex>" once the matching pong arrived;
             "cmd:close:<code>:<reason>" closes with that code and reason.

--ca FILE (client) trusts the certificates in FILE for a wss:// URL.
--tls CERT KEY (server) serves wss:// with that certificate chain and key.

--corrupt (server) changes one byte of every non-empty echo: the negative
control proving that the checks on the other side catch a bad echo.
"""

import argparse
import asyncio
import json
import random
import ssl
import sys
import time

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

SUBPROTOCOL = "wsproto-interop"
KIB = 1024
MIB = 1024 * KIB
# The sizes of the issue, plus the last 16-bit length (65535).
SIZES = [0, 125, 126, 65535, 64 * KIB, 1 * MIB, 16 * MIB]
MAX_SIZE = 64 * MIB
TIMEOUT = 60
# The client's TLS settings for a wss:// URL (--ca); empty for ws://.
TLS = {}


def text_of_size(n, seed):
    """Exactly n bytes of UTF-8 mixing 1- to 4-byte characters."""
    pattern = f"wsproto {seed} ✓ é 漢字 🦀 ".encode()
    data = (pattern * (n // len(pattern) + 1))[:n]
    # Cut at a character boundary, then pad with ASCII to n bytes.
    while True:
        try:
            text = data.decode()
            break
        except UnicodeDecodeError:
            data = data[:-1]
    return text + "x" * (n - len(data))


def binary_of_size(n, seed):
    return random.Random(seed).randbytes(n)


def corrupt(message):
    """One byte changed in the middle; empty messages stay empty."""
    if not message:
        return message
    i = len(message) // 2
    if isinstance(message, str):
        # Keep valid UTF-8: replace a character by an ASCII one.
        return message[:i] + ("#" if message[i] != "#" else "$") + message[i + 1 :]
    return message[:i] + bytes([message[i] ^ 0x01]) + message[i + 1 :]


class Checks:
    def __init__(self, who):
        self.who = who
        self.passed = 0
        self.failed = 0

    def ok(self, name, detail=""):
        self.passed += 1
        print(f"ok   {name}{' ' + detail if detail else ''}", flush=True)

    def fail(self, name, detail):
        self.failed += 1
        print(f"FAIL {name}: {detail}", flush=True)

    def expect(self, name, condition, detail=""):
        if condition:
            self.ok(name)
        else:
            self.fail(name, detail)
        return condition


def describe(message):
    kind = "text" if isinstance(message, str) else "binary"
    size = len(message.encode()) if isinstance(message, str) else len(message)
    return f"{kind} {size} B"


async def echo_check(checks, ws, name, message):
    """Sends message (or a list of fragments) and checks the echo."""
    whole = message
    if isinstance(message, list):
        whole = "".join(message) if isinstance(message[0], str) else b"".join(message)
    start = time.monotonic()
    await ws.send(message)
    echo = await asyncio.wait_for(ws.recv(), TIMEOUT)
    elapsed = time.monotonic() - start
    if type(echo) is not type(whole):
        return checks.fail(name, f"sent {describe(whole)}, echo is {describe(echo)}")
    if echo != whole:
        first = next((i for i, (a, b) in enumerate(zip(echo, whole)) if a != b), min(len(echo), len(whole)))
        return checks.fail(name, f"echo of {describe(whole)} differs at index {first} (echo is {describe(echo)})")
    checks.ok(name, f"({describe(whole)}, {elapsed * 1000:.0f} ms)")


def extensions_of(ws):
    return ws.response.headers.get("Sec-WebSocket-Extensions") or "none"


async def run_client(url, compression, concurrency):
    checks = Checks("python client")
    comp = "deflate" if compression == "on" else None
    print(f"websockets client -> {url} (compression offered: {compression})", flush=True)
    try:
        await client_scenario(checks, url, comp, concurrency)
    except Exception as e:  # noqa: BLE001 - any surprise is a failed check
        checks.fail("scenario", f"{type(e).__name__}: {e}")
    print(f"python client: {checks.passed} passed, {checks.failed} failed", flush=True)
    return checks.failed == 0 and checks.passed > 0


async def client_scenario(checks, url, comp, concurrency):
    async with connect(
        url + "/interop?peer=python",
        subprotocols=[SUBPROTOCOL, "wsproto-other"],
        compression=comp,
        max_size=MAX_SIZE,
        ping_interval=None,
        open_timeout=TIMEOUT,
        **TLS,
    ) as ws:
        checks.expect(
            "subprotocol negotiated", ws.subprotocol == SUBPROTOCOL, f"got {ws.subprotocol!r}, want {SUBPROTOCOL!r}"
        )
        print(f"     extensions negotiated: {extensions_of(ws)}", flush=True)

        for n in SIZES:
            await echo_check(checks, ws, f"text echo {n} B", text_of_size(n, n))
            await echo_check(checks, ws, f"binary echo {n} B", binary_of_size(n, n))

        # Fragmented messages: websockets sends each item as one frame.
        await echo_check(checks, ws, "fragmented text", ["frag", "mented ✓ ", "", "tëxt 🦀"])
        await echo_check(checks, ws, "fragmented binary", [b"\x00\x01", b"", binary_of_size(70000, 7), b"\xff"])
        await echo_check(checks, ws, "fragmented 1 MiB binary, 16 frames", [binary_of_size(64 * KIB, i) for i in range(16)])

        # Pings: websockets resolves the waiter only for a pong with the same payload.
        for payload in [b"", b"p", "ping ✓".encode(), binary_of_size(125, 125)]:
            try:
                waiter = await ws.ping(payload)
                await asyncio.wait_for(waiter, TIMEOUT)
                checks.ok(f"ping {len(payload)} B answered with the same payload")
            except asyncio.TimeoutError:
                checks.fail(f"ping {len(payload)} B", "no pong with the same payload")

        # Pipelining: many messages in flight, echoes in order.
        sent = [text_of_size(i * 37 % 3000, i) if i % 2 else binary_of_size(i * 53 % 3000, i) for i in range(200)]
        for message in sent:
            await ws.send(message)
        echoes = [await asyncio.wait_for(ws.recv(), TIMEOUT) for _ in sent]
        checks.expect("200 pipelined messages echoed in order", echoes == sent, "echoes differ from what was sent")

        await ws.close(4000, "python says bye ✓")
        checks.expect(
            "close 4000 echoed by the server",
            ws.close_code == 4000,
            f"got code {ws.close_code} reason {ws.close_reason!r}",
        )
        print(f"     server's close frame: code {ws.close_code} reason {ws.close_reason!r}", flush=True)

    # Without a subprotocol offer, none is chosen.
    async with connect(
        url + "/plain", compression=comp, max_size=MAX_SIZE, ping_interval=None, open_timeout=TIMEOUT, **TLS
    ) as ws:
        checks.expect("no subprotocol when none offered", ws.subprotocol is None, f"got {ws.subprotocol!r}")
        await echo_check(checks, ws, "text echo without subprotocol", "plain ✓")

    # Many concurrent connections.
    async def one(i):
        async with connect(
            url + f"/many/{i}", compression=comp, max_size=MAX_SIZE, ping_interval=None, open_timeout=TIMEOUT, **TLS
        ) as ws:
            for j in range(10):
                message = text_of_size((i * 31 + j * 7) % 2000, i * 100 + j)
                await ws.send(message)
                if await asyncio.wait_for(ws.recv(), TIMEOUT) != message:
                    return False
            return True

    results = await asyncio.gather(*(one(i) for i in range(concurrency)), return_exceptions=True)
    good = sum(1 for r in results if r is True)
    errors = {repr(r) for r in results if r is not True}
    checks.expect(
        f"{concurrency} concurrent connections, 10 echoes each", good == concurrency, f"{good} good; {errors}"
    )


async def run_server(port, compression, corrupt_echo, tls):
    async def handler(ws):
        info = {
            "path": ws.request.path,
            "subprotocol": ws.subprotocol,
            "extensions": extensions_of(ws),
            "messages": 0,
            "fragmented": 0,
        }
        try:
            while True:
                fragments = [fragment async for fragment in ws.recv_streaming()]
                info["messages"] += 1
                if len(fragments) > 1:
                    info["fragmented"] += 1
                first = fragments[0]
                whole = "".join(fragments) if isinstance(first, str) else b"".join(fragments)
                if isinstance(whole, str) and whole.startswith("cmd:"):
                    await command(ws, whole)
                    continue
                if corrupt_echo:
                    await ws.send(corrupt(whole))
                elif len(fragments) > 1:
                    await ws.send(fragments)
                else:
                    await ws.send(first)
        except ConnectionClosed:
            pass
        finally:
            info["close_code"] = ws.close_code
            info["close_reason"] = ws.close_reason
            print(json.dumps({"closed": info}, ensure_ascii=False, separators=(",", ":")), flush=True)

    async def command(ws, text):
        _, verb, rest = text.split(":", 2)
        if verb == "ping":
            payload = bytes.fromhex(rest)
            try:
                await asyncio.wait_for(await ws.ping(payload), TIMEOUT)
                await ws.send(f"ping-ok:{rest}")
            except asyncio.TimeoutError:
                await ws.send(f"ping-bad:{rest}")
        elif verb == "close":
            code, reason = rest.split(":", 1)
            await ws.close(int(code), reason)

    def select_subprotocol(connection, offered):
        return SUBPROTOCOL if SUBPROTOCOL in offered else None

    async with serve(
        handler,
        "127.0.0.1",
        port,
        select_subprotocol=select_subprotocol,
        compression="deflate" if compression == "on" else None,
        max_size=MAX_SIZE,
        ping_interval=None,
        ssl=tls,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        print(json.dumps({"listening": port}, separators=(",", ":")), flush=True)
        await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    client = sub.add_parser("client")
    client.add_argument("url")
    client.add_argument("--compression", choices=["on", "off"], default="on")
    client.add_argument("--concurrency", type=int, default=100)
    client.add_argument("--ca")
    server = sub.add_parser("server")
    server.add_argument("--port", type=int, default=0)
    server.add_argument("--compression", choices=["on", "off"], default="on")
    server.add_argument("--corrupt", action="store_true")
    server.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    args = parser.parse_args()
    if args.mode == "client":
        if args.ca:
            TLS["ssl"] = ssl.create_default_context(cafile=args.ca)
        ok = asyncio.run(run_client(args.url.rstrip("/"), args.compression, args.concurrency))
        sys.exit(0 if ok else 1)
    tls = None
    if args.tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(*args.tls)
    asyncio.run(run_server(args.port, args.compression, args.corrupt, tls))


if __name__ == "__main__":
    main()
