#!/usr/bin/env bash
# The project's one test command (README "Testing"): installs the pinned tools,
# checks formatting, lint, types, docs and the package, then runs the whole
# suite on Deno, Bun and Node. Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }
die() { printf '\nFAILED: %s\n0 passed, 1 failed\n' "$*"; exit 1; }

if [ "${TW_SKIP_INSTALL:-}" != 1 ]; then
  step "npm ci"
  npm ci --no-audit --no-fund || die "npm ci"
fi
export PATH="$PWD/node_modules/.bin:$PATH"
DENO="$PWD/node_modules/.bin/deno"
NODE="$PWD/node_modules/.bin/node"
export DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1

step "deno fmt --check"
"$DENO" fmt --check || die "deno fmt --check"
step "deno lint"
"$DENO" lint || die "deno lint"
step "deno check (strict)"
dirs=$(for d in mod.ts src runtimes tests bench examples; do [ -e "$d" ] && echo "$d"; done)
# shellcheck disable=SC2086
"$DENO" check $dirs || die "deno check"
step "deno doc --lint"
entries=$("$NODE" -e 'const e=require("./deno.json").exports;console.log(Object.values(e).join(" "))')
# shellcheck disable=SC2086
"$DENO" doc --lint $entries >/dev/null || die "deno doc --lint"
step "deno test --doc (examples in JSDoc and in the Markdown pages)"
# shellcheck disable=SC2086
"$DENO" test --doc --no-run $entries README.md docs/*.md || die "deno test --doc"
step "deno publish --dry-run"
"$DENO" publish --dry-run --allow-dirty || die "deno publish --dry-run"
step "npm run build (the npm package in dist/npm)"
"$NODE" scripts/build_npm.mjs || die "npm run build"

# The suites over real sockets, run once more with the node adapter forced
# (tw trial's deno+node and bun+node: TW_RUNTIME=node under Deno's and Bun's runners).
conformance="tests/runtimes/socket_conformance_test.ts tests/internet/transport_runtime_test.ts tests/internet/reactor_conformance_test.ts tests/interop/twisted_test.ts"
total_pass=0
total_fail=0
summary=()
log=$(mktemp)
record() { # label pass fail
  summary+=("$1: $2 passed, $3 failed")
  total_pass=$((total_pass + $2))
  total_fail=$((total_fail + $3))
}

# tw trial runs each test file under each runtime's own runner and prints, per
# runtime, "RUNTIME: N passed, N failed[, N skipped]".
run_trial() { # runtimes paths...
  local runtimes=$1; shift
  step "tw trial --runtimes $runtimes"
  "$NODE" runtimes/cli.ts trial -j 2 --reporter text --runtimes "$runtimes" "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} rt line p f failed=0
  for rt in ${runtimes//,/ }; do
    line=$(grep -aF "$rt: " "$log" | grep -aE "^[a-z+]+: [0-9]+ passed, [0-9]+ failed" |
      awk -v rt="$rt:" '$1 == rt' | tail -1)
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
    f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
    [ -z "$f" ] && f=1
    failed=$((failed + f))
    record "$rt" "${p:-0}" "$f"
  done
  # A run that failed without a failed test (a crash, a timeout) still counts once.
  [ "$rc" != 0 ] && [ "$failed" = 0 ] && record "tw trial --runtimes $runtimes (exit $rc)" 0 1
  return 0
}

run_trial node,deno,bun tests
# shellcheck disable=SC2086
run_trial deno+node,bun+node $conformance
rm -f "$log"

printf '\n'
for line in "${summary[@]}"; do echo "$line"; done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
