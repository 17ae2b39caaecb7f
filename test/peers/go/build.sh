#!/usr/bin/env bash
# Builds the grpc-go test peers: OUT_DIR/client, OUT_DIR/backend, OUT_DIR/csds and OUT_DIR/gocp.
# Writes nothing inside the repository: binaries go to OUT_DIR, modules to the normal
# GOMODCACHE (outside the repository).
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: 'go' not found on PATH: install Go (1.26 or newer) to build the grpc-go peers" >&2
  exit 1
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"

cd "$here"
# -mod=readonly: never rewrite go.mod/go.sum in the repository.
go build -mod=readonly -trimpath -buildvcs=false -o "$out/" ./client ./backend ./csds ./gocp
echo "built $out/client $out/backend $out/csds $out/gocp" >&2
