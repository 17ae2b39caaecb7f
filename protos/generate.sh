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
# Only what kube-xds calls: no verify, length-delimited or service code. The module carries no
# comments (half of its 13 MB, read at every start and resident: measured 10 MB); the
# declarations come from a second build with them, so editors still show the proto docs.
options=(-t static-module -w es6 --keep-case --dependency protobufjs/minimal.js --no-verify --no-delimited --no-service)
npx --no-install pbjs "${options[@]}" --no-comments "${args[@]}" -o "$tmp/envoy.js"
npx --no-install pbjs "${options[@]}" "${args[@]}" -o "$tmp/documented.js"
npx --no-install pbts -o "$tmp/envoy.d.ts" "$tmp/documented.js"
if [ "${1:-}" = --check ]; then
  for f in envoy.js envoy.d.ts; do
    cmp -s "$tmp/$f" "generated/$f" || { echo "generated/$f is out of date: run 'make generate'" >&2; exit 1; }
  done
  echo "generated/ is up to date"
else
  mkdir -p generated
  mv "$tmp/envoy.js" "$tmp/envoy.d.ts" generated/
fi
