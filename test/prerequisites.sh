#!/usr/bin/env bash
# What the tests need besides npm packages: kubectl (renders deploy/ with kustomize) and
# gRPC C-core for Python (Debian's python3-grpcio, at /usr/bin/python3), the second real
# proxyless client. Installs python3-grpcio when it is missing and we may (root with apt).
set -euo pipefail
if ! command -v kubectl >/dev/null; then
  echo "tests need kubectl (with kustomize v5) on PATH to render deploy/" >&2
  exit 1
fi
if /usr/bin/python3 -c 'import grpc' 2>/dev/null; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing python3-grpcio (gRPC C-core) for the cross-client tests" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-grpcio >/dev/null
  exit 0
fi
echo "tests need gRPC C-core for Python: apt-get install python3-grpcio (checked with /usr/bin/python3)" >&2
exit 1
