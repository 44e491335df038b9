#!/usr/bin/env bash
# Runs every benchmark in bench/ on every runtime and prints markdown tables.
# Usage: bash bench/run.sh [--quick]
# Needs: node_modules/.bin/{deno,bun,node} (npm ci), /usr/bin/python3 with twisted
# (Debian python3-twisted), wrk (Debian wrk), taskset (util-linux) and, for the C load
# generator, gcc (without it the TCP bench falls back to a node:net client).
# Run it on an otherwise idle machine: the "other" CPU columns show how much the rest of
# the machine took during each measurement.
set -uo pipefail
cd "$(dirname "$0")/.."
B=node_modules/.bin
QUICK=()
if [[ "${1:-}" == "--quick" ]]; then QUICK=(--quick); fi

echo "## Machine"
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
  "deno $($B/deno --version | head -1 | cut -d' ' -f2), bun $($B/bun --version)," \
  "node $($B/node --version), $(/usr/bin/python3 -c 'import twisted; print("Twisted", twisted.__version__)' 2>/dev/null || echo 'no Twisted')," \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

echo "## TCP echo (bench/tcp_echo_bench.ts)"
echo
$B/node bench/tcp_echo_bench.ts "${QUICK[@]}" 2>/dev/null || echo "(tcp_echo_bench failed: rerun it alone to see why)"
echo

echo "## Web (bench/web_bench.ts)"
echo
if command -v wrk >/dev/null; then
  $B/node bench/web_bench.ts "${QUICK[@]}" 2>/dev/null || echo "(web_bench failed: rerun it alone to see why)"
else
  echo "(skipped: wrk not installed; apt-get install wrk)"
fi
echo

echo "## Start-up (bench/startup_bench.ts)"
echo
$B/node bench/startup_bench.ts 2>/dev/null || echo "(startup_bench failed: rerun it alone to see why)"
echo

echo "## DNS (bench/dns_bench.ts)"
echo
if command -v dnsperf >/dev/null && command -v nsd >/dev/null; then
  $B/node bench/dns_bench.ts "${QUICK[@]}" 2>/dev/null || echo "(dns_bench failed: rerun it alone to see why)"
else
  echo "(skipped: dnsperf or nsd not installed; apt-get install dnsperf nsd)"
fi
echo

echo "## AMP (bench/amp_bench.ts)"
echo
$B/node bench/amp_bench.ts "${QUICK[@]}" 2>/dev/null || echo "(amp_bench failed: rerun it alone to see why)"
echo

echo "## Perspective Broker (bench/pb_bench.ts)"
echo
$B/node bench/pb_bench.ts "${QUICK[@]}" 2>/dev/null || echo "(pb_bench failed: rerun it alone to see why)"
echo

echo "## Database pool (bench/adbapi_bench.ts)"
echo
for rt in "$B/deno run -A" "$B/bun" "$B/node"; do
  $rt bench/adbapi_bench.ts --no-python 2>/dev/null || echo "(adbapi_bench failed under $rt: rerun it alone)"
done
echo

echo "## Idle connections (bench/idle_bench.ts)"
echo
$B/node bench/idle_bench.ts 2>/dev/null || echo "(idle_bench failed: rerun it alone to see why)"
echo

# The in-process benchmarks run once per runtime.
for bench in defer_bench http_layer_bench web_static_bench; do
  [[ -f "bench/$bench.ts" ]] || continue
  echo "## bench/$bench.ts"
  for rt in deno bun node; do
    echo
    echo "### $rt"
    echo
    case $rt in
      deno) $B/deno run -A "bench/$bench.ts" ;;
      *) $B/$rt "bench/$bench.ts" ;;
    esac
  done
  echo
done
