#!/usr/bin/env bash
# Benchmark of the Telegram Desktop HTML reader (issue 4).
#
# Builds a large multi-page export with tgnorm's own HTML writer from the
# corpus posts repeated (REPEAT copies, default 60: ~240,000 messages,
# ~240 pages), then measures, on the same bytes:
#   1. the limit: a bare quick-xml tokenising pass (examples/html_bench.rs),
#   2. HTML → JSONL with the default cleaning passes,
#   3. HTML → JSONL with the text passes off (the reader's own cost),
# with wall time and peak RSS, and peak RSS on a tenth of the pages to show
# that memory stays flat as pages are added. A second bare pass reads each
# page into memory and borrows its events, as the reader now does.
# `--html5ever` also builds scripts/html5ever-bench and parses the same
# pages with an HTML5 parser (tree building), for comparison.
#
# Usage: scripts/bench_html.sh [--html5ever | --scaling]   (REPEAT=N to change
# the size; KEEP=1 reuses the export of an earlier run)
#
# `--scaling` (issue 18 item 3) measures only HTML → JSONL with one worker
# thread and with two (`TGNORM_THREADS`: the pipeline's workers and the
# threads that parse pages ahead), and with one thread pinned to one core
# (`taskset -c 0`), RUNS times each (default 3), printing the load average
# beside each run; BASE=path/to/tgnorm adds the same rows for another build
# (the one before pages were parsed in parallel).
#
# Results on the shared 2-core dev machine (2026-11-28, after the html-perf
# profiling pass; 238 pages, 272 MB, 237,480 messages; CPU seconds, as wall
# time there includes waiting for the other core's load):
#   quick-xml tokenise (the limit)          0.49 s CPU  556 MB/s  RSS  3.1 MB
#   quick-xml tokenise, page in memory      0.35 s CPU  779 MB/s  RSS  8.1 MB
#   tgnorm reader alone (no output)         1.25 s CPU  218 MB/s  RSS  9.6 MB
#   tgnorm HTML → JSONL, default passes     3.91 s CPU   70 MB/s  RSS 45.1 MB
#   tgnorm HTML → JSONL, text passes off    2.73 s CPU  100 MB/s  RSS 33.1 MB
#   tgnorm, first tenth of the pages                              RSS 39.9 MB
#   html5ever parse to RcDom (no mapping)  11.82 s CPU   23 MB/s  RSS 18.4 MB
#     (html5ever: an earlier run, not repeated)
# The reader alone runs at 40% of the bare pass (it was a quarter: 1.88 s
# CPU before this pass). CPU times swing by ±20% between runs on this
# machine; instruction counts (valgrind --tool=callgrind on the first ten
# pages) are steadier: bare pass (page in memory) 158 M, reader alone
# 527 M (627 M before), tgnorm 985 M (1,045 M before), of which the reader
# 523 M (585 M). In
# tgnorm the reader thread is the bottleneck (about 55% of the CPU, one
# thread; the cleaning and JSON encoding are spread over the workers).
# `html_bench read` uses tgnorm's allocator (mimalloc), hence its larger
# RSS. Memory is flat: a tenth of the pages and all of them peak at about
# the same RSS (it varies with the batches in flight between threads).
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-60}
WORK=${WORK:-target/bench-html}
NICE="nice -n 10"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}

$NICE cargo build --release -q --bin tgnorm --example html_bench
BIN=$CARGO_TARGET_DIR/release/tgnorm
HELPER=$CARGO_TARGET_DIR/release/examples/html_bench

if [[ "${KEEP:-0}" != 1 || ! -d "$WORK/export" ]]; then
  rm -rf "$WORK" && mkdir -p "$WORK"
  CORPUS=fixtures/corpus/tdesktop
  "$BIN" -q --emoji keep --no-dedup \
    "$CORPUS"/civil-updates-2023 "$CORPUS"/cyber-news-2022/messages40.html \
    "$CORPUS"/quoxent-group-2020/messages7.html "$CORPUS"/teleaudio-2025/messages4.html \
    > "$WORK/seed.jsonl"
  "$HELPER" repeat "$REPEAT" < "$WORK/seed.jsonl" > "$WORK/big.jsonl"
  "$BIN" -q "$WORK/big.jsonl" --to tdesktop-html -o "$WORK/export"
fi
# The writer makes a full-account export when the posts name several chats
# (the seed's four): the pages are then in export/chats/chat_N/.
# Page order, as tgnorm reads a folder: messages.html, messages2.html, …
FILES=$(find "$WORK/export" -name 'messages*.html' | sort -V)
PAGES=$(echo "$FILES" | wc -l)
BYTES=$(cat $FILES | wc -c)
echo "export: $PAGES pages, $((BYTES / 1000000)) MB, $(wc -l < "$WORK/big.jsonl") messages"
cat $FILES > /dev/null # warm the page cache

measure() { # label, bytes, command…
  local label=$1 bytes=$2; shift 2
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time" "$@" > /dev/null 2> "$WORK/err"
  read -r secs user sys kb < <(tail -1 "$WORK/time")
  # CPU time too: on a shared machine wall time includes waiting.
  awk -v l="$label" -v s="$secs" -v u="$user" -v y="$sys" -v kb="$kb" -v b="$bytes" \
    'BEGIN { c = u + y; if (c <= 0) c = 0.01;
             printf "%-40s %6.2f s wall %7.1f MB/s | %6.2f s CPU %7.1f MB/s | peak RSS %6.1f MB\n",
                    l, s, b / 1e6 / s, c, b / 1e6 / c, kb / 1024 }'
}

if [[ "${1:-}" == "--scaling" ]]; then
  RUNS=${RUNS:-3}
  scaling() { # label prefix, binary
    local name=$1 bin=$2 run
    for run in $(seq "$RUNS"); do
      echo "  load: $(cut -d' ' -f1-3 /proc/loadavg)"
      measure "$name, 1 thread, 1 core" "$BYTES" \
        env TGNORM_THREADS=1 taskset -c 0 "$bin" -q "$WORK/export"
      measure "$name, 1 thread" "$BYTES" env TGNORM_THREADS=1 "$bin" -q "$WORK/export"
      measure "$name, 2 threads" "$BYTES" env TGNORM_THREADS=2 "$bin" -q "$WORK/export"
    done
  }
  scaling "tgnorm" "$BIN"
  if [[ -n "${BASE:-}" ]]; then
    scaling "base" "$BASE"
  fi
  exit 0
fi

measure "quick-xml tokenise (the limit)" "$BYTES" "$HELPER" tokenize $FILES
measure "quick-xml tokenise, page in memory" "$BYTES" "$HELPER" tokenize-page $FILES
measure "tgnorm reader alone (no output)" "$BYTES" "$HELPER" read $FILES
measure "tgnorm HTML → JSONL, default passes" "$BYTES" "$BIN" -q "$WORK/export"
measure "tgnorm HTML → JSONL, text passes off" "$BYTES" "$BIN" -q --no-unicode --no-emoji --no-whitespace --no-dedup "$WORK/export"
TENTH=$(echo "$FILES" | head -n $(( (PAGES + 9) / 10 )))
TENTH_BYTES=$(cat $TENTH | wc -c)
measure "tgnorm, first tenth of the pages" "$TENTH_BYTES" "$BIN" -q $TENTH

if [[ "${1:-}" == "--html5ever" ]]; then
  $NICE cargo build --release -q --manifest-path scripts/html5ever-bench/Cargo.toml \
    --target-dir "$CARGO_TARGET_DIR/html5ever-bench"
  H5=$CARGO_TARGET_DIR/html5ever-bench/release/html5ever-bench
  measure "html5ever parse to RcDom (no mapping)" "$BYTES" "$H5" $FILES
fi
