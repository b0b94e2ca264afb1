#!/usr/bin/env bash
# Interop and browser tests against independent implementations, over
# loopback only. Everything they need goes into local folders: a venv
# (interop/.venv) and node_modules (interop/node_modules); Debian's chromium
# is installed with apt-get when /usr/bin/chromium is missing.
#
#   bash interop/run.sh setup     the Python and Node peers
#   bash interop/run.sh peers     + build, then the interop tests (tests/interop/)
#   bash interop/run.sh browser   + chromium, then the chat page in headless chromium
#   bash interop/run.sh h2        + chromium, then the chat page over HTTP/2 (RFC 8441)
#   bash interop/run.sh           peers and browser
#
# The examples and the test harness are built in release: 16 MiB messages,
# compressed, take seconds each in a debug build.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
EXAMPLES=$TARGET_DIR/release/examples
CARGO_FLAGS=(--release --all-features)

say() {
    printf -- '-- %s\n' "$*"
}

setup_python() {
    if [ ! -x interop/.venv/bin/python ]; then
        say "creating interop/.venv"
        python3 -m venv interop/.venv
    fi
    # Reinstall only when requirements.txt changed.
    local want have
    want=$(sha256sum interop/requirements.txt | cut -d' ' -f1)
    have=$(cat interop/.venv/.requirements.sha256 2>/dev/null || true)
    if [ "$want" != "$have" ]; then
        say "pip install -r interop/requirements.txt"
        interop/.venv/bin/python -m pip install --disable-pip-version-check --quiet -r interop/requirements.txt
        echo "$want" >interop/.venv/.requirements.sha256
    fi
    interop/.venv/bin/python -c 'import sys, websockets; print("python", sys.version.split()[0], "websockets", websockets.__version__)'
}

setup_node() {
    # Reinstall only when package-lock.json changed.
    local want have
    want=$(sha256sum interop/package-lock.json | cut -d' ' -f1)
    have=$(cat interop/node_modules/.package-lock.sha256 2>/dev/null || true)
    if [ "$want" != "$have" ]; then
        say "npm ci (interop/node_modules)"
        (cd interop && npm ci --no-audit --no-fund --loglevel=error)
        echo "$want" >interop/node_modules/.package-lock.sha256
    fi
    (cd interop && node -e 'console.log("node", process.version, "ws", require("ws/package.json").version, "playwright-core", require("playwright-core/package.json").version)')
}

setup() {
    setup_python
    setup_node
}

build() {
    say "cargo build ${CARGO_FLAGS[*]} -p wsproto-examples --examples"
    cargo build "${CARGO_FLAGS[@]}" -p wsproto-examples --examples
}

peers() {
    setup
    build
    say "cargo test ${CARGO_FLAGS[*]} --test interop -- --ignored"
    WSPROTO_EXAMPLES_DIR=$EXAMPLES cargo test "${CARGO_FLAGS[@]}" --test interop -- --ignored --nocapture
}

ensure_chromium() {
    if [ ! -x /usr/bin/chromium ]; then
        local sudo=()
        if [ "$(id -u)" -ne 0 ]; then
            sudo=(sudo)
        fi
        say "installing Debian's chromium"
        "${sudo[@]}" apt-get update -q
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q chromium
    fi
    # The wrapper script prints a harmless shell warning on some machines.
    /usr/bin/chromium --version 2>/dev/null
}

browser() {
    setup_node
    ensure_chromium
    say "cargo build ${CARGO_FLAGS[*]} -p wsproto-examples --example chat --example client"
    cargo build "${CARGO_FLAGS[@]}" -p wsproto-examples --example chat --example client
    mkdir -p target/interop
    say "node --test interop/chat_browser.test.mjs"
    WSPROTO_CHAT=$EXAMPLES/chat WSPROTO_CLIENT=$EXAMPLES/client WSPROTO_SCREENSHOTS=$ROOT/target/interop \
        node --test --test-reporter=spec interop/chat_browser.test.mjs
}

h2() {
    setup_node
    ensure_chromium
    # A debug build: the browser chats in small messages, and the workspace
    # tests have built the package's dependencies in debug already.
    say "cargo build -p wsproto-h2h3 --bin h2_server"
    cargo build -p wsproto-h2h3 --bin h2_server
    mkdir -p target/interop
    say "node --test interop/chat_h2_browser.test.mjs"
    WSPROTO_H2_SERVER=$TARGET_DIR/debug/h2_server WSPROTO_SCREENSHOTS=$ROOT/target/interop \
        node --test --test-reporter=spec interop/chat_h2_browser.test.mjs
}

case "${1:-all}" in
setup) setup ;;
peers) peers ;;
browser) browser ;;
h2) h2 ;;
all)
    peers
    browser
    ;;
*)
    echo "usage: bash interop/run.sh [setup|peers|browser|h2|all]" >&2
    exit 2
    ;;
esac
