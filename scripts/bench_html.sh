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
# that memory stays flat as pages are added.
# `--html5ever` also builds scripts/html5ever-bench and parses the same
# pages with an HTML5 parser (tree building), for comparison.
#
# Usage: scripts/bench_html.sh [--html5ever]   (REPEAT=N to change the size)
set -euo pipefail
cd "$(dirname "$0")/.."
REPEAT=${REPEAT:-60}
WORK=${WORK:-target/bench-html}
NICE="nice -n 10"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}

$NICE cargo build --release -q --bin tgnorm --example html_bench
BIN=$CARGO_TARGET_DIR/release/tgnorm
HELPER=$CARGO_TARGET_DIR/release/examples/html_bench

rm -rf "$WORK" && mkdir -p "$WORK"
CORPUS=../shared/corpus/tdesktop
"$BIN" -q --emoji keep --no-dedup \
  "$CORPUS"/civil-updates-2023 "$CORPUS"/cyber-news-2022/messages40.html \
  "$CORPUS"/quoxent-group-2020/messages7.html "$CORPUS"/teleaudio-2025/messages4.html \
  > "$WORK/seed.jsonl"
"$HELPER" repeat "$REPEAT" < "$WORK/seed.jsonl" > "$WORK/big.jsonl"
"$BIN" -q "$WORK/big.jsonl" --to tdesktop-html -o "$WORK/export"
PAGES=$(ls "$WORK"/export/messages*.html | wc -l)
BYTES=$(cat "$WORK"/export/messages*.html | wc -c)
echo "export: $PAGES pages, $((BYTES / 1000000)) MB, $(wc -l < "$WORK/big.jsonl") messages"
# Page order, as tgnorm reads a folder: messages.html, messages2.html, …
FILES=$(ls "$WORK"/export/messages*.html | sort -V)
cat $FILES > /dev/null # warm the page cache

measure() { # label, command…
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" > /dev/null 2> "$WORK/err"
  local out secs kb
  out=$(tail -1 "$WORK/time")
  secs=${out% *} kb=${out#* }
  awk -v l="$label" -v s="$secs" -v kb="$kb" -v b="$BYTES" \
    'BEGIN { printf "%-44s %7.2f s %8.1f MB/s  peak RSS %6.1f MB\n", l, s, b / 1e6 / s, kb / 1024 }'
}

"$HELPER" tokenize $FILES
measure "quick-xml tokenise (limit)" "$HELPER" tokenize $FILES
measure "tgnorm HTML → JSONL (default passes)" "$BIN" -q "$WORK/export"
measure "tgnorm HTML → JSONL (text passes off)" "$BIN" -q --no-unicode --no-emoji --no-whitespace --no-dedup "$WORK/export"
TENTH=$(echo "$FILES" | head -n $(( (PAGES + 9) / 10 )))
measure "tgnorm, first tenth of the pages" "$BIN" -q $TENTH

if [[ "${1:-}" == "--html5ever" ]]; then
  $NICE cargo build --release -q --manifest-path scripts/html5ever-bench/Cargo.toml \
    --target-dir "$CARGO_TARGET_DIR/html5ever-bench"
  H5=$CARGO_TARGET_DIR/html5ever-bench/release/html5ever-bench
  "$H5" $FILES
  measure "html5ever RcDom parse" "$H5" $FILES
fi
