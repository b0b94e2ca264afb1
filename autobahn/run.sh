#!/usr/bin/env bash
# Runs the Autobahn|TestSuite against our echo_server (server testee) and
# autobahn_client (client testee) and fails on any FAILED case or on fewer OK
# cases than the profile demands. Needs root (the suite runs in a chroot) and
# ../shared/autobahn.
#
#   bash autobahn/run.sh                       # every case, both roles; rewrites
#                                              # autobahn/{server,client}-summary.json
#   AUTOBAHN_PROFILE=ci bash autobahn/run.sh   # what CI runs (autobahn/expected-ci.env)
#   bash autobahn/run.sh server                # one role
#
# Profiles: expected.env (full: all 517 cases, several minutes a role, most of
# it in the large permessage-deflate cases) and expected-ci.env (all but the
# large-message deflate cases, about a minute a role).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
harness=${AUTOBAHN_HARNESS:-$root/../shared/autobahn}
profile=${AUTOBAHN_PROFILE:-full}
case "$profile" in
full) env_file=$here/expected.env summaries=$here ;;
ci) env_file=$here/expected-ci.env summaries= ;;
*) echo "unknown AUTOBAHN_PROFILE $profile" >&2; exit 2 ;;
esac
# shellcheck source=expected.env
source "$env_file"
roles=${1:-server client}
reports=${AUTOBAHN_REPORTS:-$root/target/autobahn-reports}
export AUTOBAHN_AGENT=wsproto AUTOBAHN_EXCLUDE="$EXCLUDE"

bash "$harness/setup.sh"
cargo build --release -p wsproto-examples --example echo_server --example autobahn_client
bin=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/examples

check() { # role summary-json
    python3 - "$1" "$2" "$MIN_OK" <<'PY'
import json, sys
role, path, min_ok = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = json.load(open(path))["agents"]["wsproto"]
ok, failed = s["behavior"].get("OK", 0), s["failed"] + s["failedClose"]
print(f"autobahn {role}: {s['total']} cases, behavior {s['behavior']}, close {s['behaviorClose']}")
if failed or ok < min_ok:
    sys.exit(f"autobahn {role}: FAILED cases {failed}, OK {ok} (need at least {min_ok})")
PY
}

for role in $roles; do
    out="$reports/$role"
    mkdir -p "$out"
    case "$role" in
    server)
        port=${AUTOBAHN_SERVER_PORT:-9301}
        "$bin/echo_server" "127.0.0.1:$port" 2>"$out/echo_server.log" &
        pid=$!
        trap 'kill $pid 2>/dev/null || true' EXIT
        for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
        bash "$harness/test-server.sh" "127.0.0.1:$port" "$CASES" "$out" | tee "$out/summary.txt"
        kill $pid 2>/dev/null || true
        ;;
    client)
        port=${AUTOBAHN_CLIENT_PORT:-9302}
        bash "$harness/test-client.sh" "$port" "$CASES" "$out" -- "$bin/autobahn_client" | tee "$out/summary.txt"
        ;;
    *) echo "unknown role $role" >&2; exit 2 ;;
    esac
    summary=${summaries:-$out}/$role-summary.json
    # The summary names its report relative to the repository, never by
    # this machine's absolute path.
    python3 "$harness/summarize.py" --json-only "$out" |
        python3 -c 'import json, os, sys; s = json.load(sys.stdin); s["index"] = os.path.relpath(s["index"], sys.argv[1]); print(json.dumps(s))' "$root" > "$summary"
    check "$role" "$summary"
done
