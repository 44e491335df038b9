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
BUN="$PWD/node_modules/.bin/bun"
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

files=$(find tests -name '*_test.ts' | sort)
# The suites over real sockets, run once more with the node adapter forced.
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
count() { # log regex -> last number matched, or empty
  grep -aoE "$2" "$1" | tail -1 | grep -oE '[0-9]+' | head -1
}
finish() { # label rc pass fail
  local p=${3:-0} f=${4:-}
  [ -z "$f" ] && f=1
  [ "$2" != 0 ] && [ "$f" = 0 ] && f=1
  record "$1" "$p" "$f"
}

run_node() { # label files...
  local label=$1; shift
  step "node --test: $label ($("$NODE" --version))"
  "$NODE" --test --test-reporter=spec --test-concurrency=2 "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  finish "$label" "$rc" "$(count "$log" 'ℹ pass [0-9]+')" "$(count "$log" 'ℹ fail [0-9]+')"
}
run_deno() { # label files...
  local label=$1; shift
  step "deno test: $label ($("$DENO" --version | head -1))"
  local junit; junit=$(mktemp)
  "$DENO" test -A --no-check --junit-path="$junit" "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]} p f
  read -r p f _ < <("$NODE" scripts/junit_count.mjs "$junit" || echo "0 1 0")
  rm -f "$junit"
  finish "$label" "$rc" "$p" "$f"
}
run_bun() { # label files...
  local label=$1; shift
  step "bun test: $label (bun $("$BUN" --version))"
  "$BUN" test $(printf './%s ' "$@") 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  finish "$label" "$rc" "$(count "$log" '^ *[0-9]+ pass')" "$(count "$log" '^ *[0-9]+ fail')"
}

# shellcheck disable=SC2086
run_node node $files
# shellcheck disable=SC2086
run_deno deno $files
# shellcheck disable=SC2086
run_bun bun $files
# shellcheck disable=SC2086
TW_RUNTIME=node run_deno "deno, node adapter" $conformance
# shellcheck disable=SC2086
TW_RUNTIME=node run_bun "bun, node adapter" $conformance
rm -f "$log"

printf '\n'
for line in "${summary[@]}"; do echo "$line"; done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
