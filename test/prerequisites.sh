#!/usr/bin/env bash
# What the tests need besides npm packages: kubectl (renders deploy/ with kustomize), Debian's
# python3-grpcio (gRPC C-core 1.51 at /usr/bin/python3) and chromium (the status page test
# drives it headless), both installed when missing and we may (root with apt), and the pinned
# test peers of test/peers/ (Envoy, grpc-go, grpc-java, C-core), which test/peers/install.sh
# installs once into a cache and reuses.
set -euo pipefail
if ! command -v openssl >/dev/null; then
  echo "tests need openssl on PATH (they sign the certificates of an HTTPS API server)" >&2
  exit 1
fi
if ! command -v kubectl >/dev/null; then
  echo "tests need kubectl (with kustomize v5) on PATH to render deploy/" >&2
  exit 1
fi
if ! /usr/bin/python3 -c 'import grpc' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing python3-grpcio (gRPC C-core 1.51) for the cross-client tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-grpcio >/dev/null
  else
    echo "tests need gRPC C-core for Python: apt-get install python3-grpcio (checked with /usr/bin/python3)" >&2
    exit 1
  fi
fi
if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium (headless) for the status page test" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "tests need Chromium for the status page test: apt-get install chromium (or put chromium on PATH)" >&2
    exit 1
  fi
fi
exec "$(dirname "$0")/peers/install.sh"
