#!/usr/bin/env bash
# Compiles the import closure of protos/protos.json into generated/envoy.js (static ES module)
# and generated/envoy.d.ts. Output goes to a temp dir first so a failed run leaves generated/ intact.
# With --check, compares instead of writing and fails when generated/ is out of date.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a args < <(node -e '
  const c = JSON.parse(require("fs").readFileSync("protos/protos.json", "utf8"));
  console.log([...c.includes.flatMap((i) => ["-p", i]), ...c.entries].join(" "));')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# --keep-case: field names stay as in the .proto files and Envoy's docs (version_info, not versionInfo).
npx --no-install pbjs -t static-module -w es6 --keep-case --dependency protobufjs/minimal.js \
  "${args[@]}" -o "$tmp/envoy.js"
npx --no-install pbts -o "$tmp/envoy.d.ts" "$tmp/envoy.js"
if [ "${1:-}" = --check ]; then
  for f in envoy.js envoy.d.ts; do
    cmp -s "$tmp/$f" "generated/$f" || { echo "generated/$f is out of date: run 'make generate'" >&2; exit 1; }
  done
  echo "generated/ is up to date"
else
  mkdir -p generated
  mv "$tmp/envoy.js" "$tmp/envoy.d.ts" generated/
fi
