#!/usr/bin/env bash
# Benchmark: tgnorm vs jq vs Python ijson+orjson on one generated result.json.
#
#   scripts/bench.sh [SIZE]        # SIZE like 1G (default), 256M
#
# Builds tgnorm in release mode, generates the file with
# `cargo run --release --example gen_export` (deterministic; kept in $BENCH_DIR
# between runs), then runs, each with /usr/bin/time -v:
#   tgnorm FILE -o OUT.jsonl               (full cleaning, JSONL to a file)
#   jq -c '.messages[]' FILE > OUT         (the usual one-liner)
#   python3 ijson.items(messages.item) + orjson.dumps per line > OUT
#   tgnorm FILE --to parquet -o OUT.parquet and --to csv -o OUT.csv (issue 15)
# and prints throughput (MB/s of input), the ratios and peak RSS, then the
# output sizes next to the input's and the Parquet and CSV throughput as a
# share of JSONL's. BASELINES=0 skips jq and ijson.
# Missing tools are installed (apt-get: jq, time; pip: ijson, orjson).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE="${1:-1G}"
BENCH_DIR="${BENCH_DIR:-/tmp/tgnorm-bench}"
mkdir -p "$BENCH_DIR"
FILE="$BENCH_DIR/result-$SIZE.json"

need_apt() {
  if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$2" ]; then
    echo "bench: installing $3" >&2
    (apt-get update -qq && apt-get install -y -qq "$3") >/dev/null
  fi
}
need_apt jq /usr/bin/jq jq
need_apt /usr/bin/time /usr/bin/time time
if ! python3 -c 'import ijson, orjson' 2>/dev/null; then
  echo "bench: installing ijson orjson" >&2
  python3 -m pip install -q ijson orjson >&2
fi

cargo build --release --quiet --bin tgnorm --example gen_export
TGNORM="${CARGO_TARGET_DIR:-target}/release/tgnorm"
if [ ! -s "$FILE" ]; then
  "${CARGO_TARGET_DIR:-target}/release/examples/gen_export" --size "$SIZE" -o "$FILE"
fi
BYTES=$(stat -c %s "$FILE")
MB=$(awk -v b="$BYTES" 'BEGIN { printf "%.1f", b / 1048576 }')
MSGS=$(grep -c '^  {$' "$FILE" || true)
echo "file: $FILE  ($MB MiB, $MSGS messages)"
# Warm the page cache so every tool reads from memory.
cat "$FILE" > /dev/null

PY="$BENCH_DIR/ijson_orjson.py"
cat > "$PY" <<'PYEOF'
import sys, ijson, orjson
with open(sys.argv[1], "rb") as f, open(sys.argv[2], "wb") as out:
    for msg in ijson.items(f, "messages.item", use_float=True):
        out.write(orjson.dumps(msg))
        out.write(b"\n")
PYEOF
BACKEND=$(python3 -c 'import ijson; print(ijson.backend)')

# run NAME CMD... : prints "NAME wall_seconds rss_kib cpu_seconds"
run() {
  local name="$1"; shift
  local log="$BENCH_DIR/$name.time"
  /usr/bin/time -v -o "$log" "$@"
  local secs rss cpu
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$log")
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$log")
  echo "$name $secs $rss $cpu"
}

results=()
results+=("$(run tgnorm "$TGNORM" "$FILE" -q -o "$BENCH_DIR/out.jsonl")")
# The same parse + map + JSONL without the text passes (unicode, emoji,
# whitespace): the like-for-like comparison with the baselines, which clean
# nothing.
results+=("$(run tg-nopass "$TGNORM" "$FILE" -q -o "$BENCH_DIR/out-nopass.jsonl" --no-unicode --no-emoji --no-whitespace)")
results+=("$(run tg-parq "$TGNORM" "$FILE" -q --to parquet -o "$BENCH_DIR/out.parquet")")
results+=("$(run tg-csv "$TGNORM" "$FILE" -q --to csv -o "$BENCH_DIR/out.csv")")
if [ "${BASELINES:-1}" != 0 ]; then
results+=("$(run jq sh -c "jq -c '.messages[]' '$FILE' > '$BENCH_DIR/jq.out'")")
results+=("$(run ijson sh -c "python3 '$PY' '$FILE' '$BENCH_DIR/ijson.out'")")
fi

# Wall clock is what the targets are about; CPU time (user + sys) is shown
# too because on a shared machine wall clock also measures the neighbours.
printf '\n%-8s %9s %9s %12s %10s %9s %10s\n' tool "wall s" "MB/s" "peak RSS" "tgnorm is" "CPU s" "CPU ratio"
tg_secs=$(echo "${results[0]}" | awk '{ print $2 }')
tg_cpu=$(echo "${results[0]}" | awk '{ print $4 }')
for r in "${results[@]}"; do
  set -- $r
  awk -v n="$1" -v s="$2" -v rss="$3" -v cpu="$4" -v mb="$MB" -v tg="$tg_secs" -v tgc="$tg_cpu" \
    'BEGIN { printf "%-8s %9.2f %9.1f %9.1f MB %9.1fx %9.2f %9.1fx\n", n, s, mb / s, rss / 1024, s / tg, cpu, cpu / tgc }'
done
echo
echo "ijson backend: $BACKEND; tgnorm wrote $(wc -l < "$BENCH_DIR/out.jsonl") posts."
echo "Targets (issue 3): >= 10x jq, >= 2x ijson, peak RSS <= 64 MB."

# Issue 15 item 5: Parquet and CSV next to JSONL (throughput share, size).
mib() { stat -c %s "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
printf '\n%-10s %10s %12s\n' output "size MiB" "of input"
for f in "$FILE" "$BENCH_DIR/out.jsonl" "$BENCH_DIR/out.parquet" "$BENCH_DIR/out.csv"; do
  awk -v n="$(basename "$f")" -v m="$(mib "$f")" -v in_mb="$MB" \
    'BEGIN { printf "%-10s %10.1f %11.0f%%\n", n, m, 100 * m / in_mb }'
done
for r in "${results[@]}"; do
  set -- $r
  case "$1" in tg-parq|tg-csv)
    awk -v n="$1" -v s="$2" -v tg="$tg_secs" -v rss="$3" \
      'BEGIN { printf "%s: throughput %.0f%% of JSONL'"'"'s, peak RSS %.1f MB\n", n, 100 * tg / s, rss / 1024 }' ;;
  esac
done
echo "Targets (issue 15): Parquet and CSV throughput >= 80% of JSONL's, peak RSS <= 64 MB."
