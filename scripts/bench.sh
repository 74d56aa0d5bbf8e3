#!/usr/bin/env bash
# make bench: every benchmark in the project, the peers beside modelgate on
# the same inputs, and BENCHMARKS.md with the machine, the commands and
# the results. Peers come from the Go module proxy into ~/.cache/modelgate-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
export MODELGATE_TOOLS=${MODELGATE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/modelgate-tools}
bash scripts/tools.sh opa cosign
bash scripts/tools.sh conftest || echo "conftest could not be installed; its row is left out" >&2
export PATH="$MODELGATE_TOOLS:$PATH"
out=$(mktemp)
run() { echo "\$ $*" | tee -a "$out"; { "$@" 2>&1 || true; } | grep -E '^(Benchmark|ok|PASS|FAIL|\s+bench_test)' | tee -a "$out" || true; }
run go test -run '^$' -bench . -benchtime 3x ./digest
run go test -run '^$' -bench . ./facts
run go test -run '^$' -bench 'Decide10|Evaluate10' -benchtime 2000x -count 3 ./gate
run go test -run '^$' -bench Verify200 -benchtime 30x ./cmd/modelgate
run go test -run '^$' -bench Peers -benchtime 10x -count 3 ./cmd/modelgate
run go test -run '^$' -bench Compliance -benchtime 20x ./cmd/modelgate
run go test -run '^$' -bench ReadLedger -benchtime 5x ./vsa
run go test -run '^$' -bench FollowerLag -benchtime 50x ./vsa
run go test -run '^$' -bench FollowedReview -benchtime 200000x ./vsa
run go test -run '^$' -bench Append8Writers -benchtime 1x ./tlog
run go test -run '^$' -bench ReviewWarm -benchtime 20000x ./admission
run go test -run '^$' -bench ReviewMiss -benchtime 300x ./admission
run go test -run '^$' -bench Replay1000 -benchtime 1x -count 3 ./gate
{
  echo "# Benchmarks"
  echo
  echo "Written by \`make bench\` on $(date -u +%Y-%m-%d): $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/{print $2}') GiB, $(go version | cut -d' ' -f3)."
  echo "Peers: opa v1.22.2, conftest, cosign v2.6.5, from the Go module proxy. Each line is a Go benchmark's"
  echo "result (ms: milliseconds per run; ratio: modelgate's time over the peer's); run three times where -count 3."
  echo
  echo '```'
  cat "$out"
  echo '```'
} > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
if grep -q '^FAIL' "$out"; then
  echo "make bench: a benchmark failed; its output is in BENCHMARKS.md" >&2
  exit 1
fi
