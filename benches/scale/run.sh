#!/usr/bin/env bash
# The scaling table of docs/speed.md: every command on generated chains of branch and HTTP
# nodes (benches/support/chain.rs), release build, wall time and peak memory per run. The Webex
# Connect commands read the chain's spec and flow document; the Flow Designer ones (`fd …`) the
# subflow `build --target flow-designer` writes from it (15 KB an activity), a copy with every
# activity renamed, and the spec `decompile` writes from it.
# Usage: bash benches/scale/run.sh [SIZES...]   (default: 1000 2000 5000 10000)
# Needs GNU time (/usr/bin/time) and python3 (to rename a copy's activities). Prints a Markdown table; each cell is the median of RUNS runs (default 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet --bin wxcflow --example chain_spec
bin=$PWD/target/release/wxcflow
gen=$PWD/target/release/examples/chain_spec
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 2000 5000 10000)
cat > "$work/mock.toml" <<'MOCK'
[[http]]
url = "https://api.example.com/*"
body = '{"value": "v"}'
MOCK

# One command, RUNS times (default 3): the median wall time and the median peak memory.
runs=${RUNS:-3}
measure() {
    local out=() n
    for ((n = 0; n < runs; n++)); do
        /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1 || true
        out+=("$(tail -1 "$work/time")")
    done
    local t m
    t=$(printf '%s\n' "${out[@]}" | cut -d' ' -f1 | sort -n | sed -n "$(((runs + 1) / 2))p")
    m=$(printf '%s\n' "${out[@]}" | cut -d' ' -f2 | sort -n | sed -n "$(((runs + 1) / 2))p")
    printf '%.2f s, %d MB' "$t" $(((m + 512) / 1024))
}

commands=(build check graph sheet diff fmt inspect textconv decompile run unchecked
    "fd build" "fd check" "fd inspect" "fd graph" "fd textconv" "fd run" "fd diff"
    "fd diff renamed" "fd decompile" "fd check spec" "fd build spec")
echo "| command | $(printf '%s | ' "${sizes[@]}")"
echo "|---|$(printf -- '---|%.0s' "${sizes[@]}")"
declare -A row
for n in "${sizes[@]}"; do
    s=$work/chain$n.toml
    "$gen" "$n" > "$s"
    # The changed revision: one node's URL.
    sed 's|/items/7?|/items/seven?|' "$s" > "$work/changed$n.toml"
    "$bin" build "$s" -o "$work/chain$n.flow.json" >/dev/null 2>&1
    fd=$work/fd$n.json
    "$bin" build "$s" --target flow-designer -o "$fd" >/dev/null 2>&1
    "$bin" decompile "$fd" -o "$work/dec$n.toml" >/dev/null 2>&1
    # Every activity renamed (`r_` before its name, in the activity and its properties).
    python3 - "$fd" "$work/fd${n}r.json" <<'RENAME'
import json, sys
export = json.load(open(sys.argv[1]))
for activity in export["process"]["activities"].values():
    activity["name"] = "r_" + activity["name"]
    activity["properties"]["name"] = activity["name"]
json.dump(export, open(sys.argv[2], "w"), indent=2)
RENAME
    for c in "${commands[@]}"; do
        case $c in
            build) cell=$(measure "$bin" build "$s" -o "$work/out.flow.json") ;;
            check) cell=$(measure "$bin" check "$s") ;;
            graph) cell=$(measure "$bin" graph "$s") ;;
            sheet) cell=$(measure "$bin" sheet "$s" -o "$work/sheet.md") ;;
            diff) cell=$(measure "$bin" diff "$s" "$work/changed$n.toml") ;;
            fmt) cell=$(measure "$bin" fmt --check "$s") ;;
            inspect) cell=$(measure "$bin" inspect "$work/chain$n.flow.json") ;;
            textconv) cell=$(measure "$bin" textconv "$work/chain$n.flow.json") ;;
            decompile) cell=$(measure "$bin" decompile "$work/chain$n.flow.json") ;;
            run) cell=$(measure "$bin" run "$s" --mock "$work/mock.toml") ;;
            # `build` of N requests whose status nobody checks (N warnings).
            unchecked)
                "$gen" "$n" unchecked > "$work/unchecked$n.toml"
                cell=$(measure "$bin" build "$work/unchecked$n.toml" -o "$work/out.flow.json") ;;
            "fd build") cell=$(measure "$bin" build "$s" --target flow-designer -o "$work/out.json") ;;
            "fd check") cell=$(measure "$bin" check "$fd") ;;
            "fd inspect") cell=$(measure "$bin" inspect "$fd") ;;
            "fd graph") cell=$(measure "$bin" graph "$fd") ;;
            "fd textconv") cell=$(measure "$bin" textconv "$fd") ;;
            "fd run") cell=$(measure "$bin" run "$fd" --mock "$work/mock.toml") ;;
            "fd diff") cell=$(measure "$bin" diff "$fd" "$fd") ;;
            "fd diff renamed") cell=$(measure "$bin" diff "$fd" "$work/fd${n}r.json") ;;
            "fd decompile") cell=$(measure "$bin" decompile "$fd" -o "$work/out.toml") ;;
            "fd check spec") cell=$(measure "$bin" check "$work/dec$n.toml") ;;
            "fd build spec") cell=$(measure "$bin" build "$work/dec$n.toml" --target flow-designer -o "$work/out.json") ;;
        esac
        row[$c]+="$cell | "
    done
done
for c in "${commands[@]}"; do
    echo "| \`$c\` | ${row[$c]}"
done
