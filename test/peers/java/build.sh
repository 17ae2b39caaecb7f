#!/usr/bin/env bash
# Builds the grpc-java test peer (test/peers/README.md, "The client contract") into OUT_DIR:
#   OUT_DIR/lib/*.jar      grpc-java 1.85.1 and its runtime dependencies (resolved by Maven)
#   OUT_DIR/client.jar     the compiled client (kubexds.peers.Client)
#   OUT_DIR/client         the executable wrapper: OUT_DIR/client --target ... [flags]
# Nothing is written inside the repository: Maven's build directory is OUT_DIR/maven and the
# sources are compiled by javac into OUT_DIR/classes.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi

for tool in java javac jar mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build.sh (grpc-java peer): '$tool' not found on PATH; install a JDK 17+ and Maven 3.8+" >&2
    exit 1
  fi
done

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
case "$out/" in
  "$here"/*) echo "build.sh (grpc-java peer): OUT_DIR must be outside $here" >&2; exit 2 ;;
esac

java_bin="$(command -v java)"
java_bin="$(readlink -f "$java_bin" 2>/dev/null || echo "$java_bin")"

# Dependencies: a fresh copy, so that a changed pin leaves no stale jar behind.
rm -rf "$out/lib" "$out/classes" "$out/client.jar" "$out/client"
mvn_log="$(mktemp)"
if ! mvn -B -q -Dstyle.color=never -f "$here/pom.xml" \
  dependency:copy-dependencies \
  -DincludeScope=runtime \
  -DoutputDirectory="$out/lib" \
  -DbuildDir="$out/maven" >"$mvn_log" 2>&1; then
  cat "$mvn_log" >&2
  rm -f "$mvn_log"
  echo "build.sh (grpc-java peer): mvn could not resolve the dependencies (see above)" >&2
  exit 1
fi
rm -f "$mvn_log"

javac --release 17 -encoding UTF-8 -Xlint:all \
  -d "$out/classes" -cp "$out/lib/*" \
  $(find "$here/src/main/java" -name '*.java' | sort)
jar --create --file "$out/client.jar" -C "$out/classes" .

# Quick start on a small machine: one GC thread and C1 only (a client runs seconds, not hours).
cat > "$out/client" <<WRAPPER
#!/bin/sh
# grpc-java test peer, built by test/peers/java/build.sh
dir="\$(cd "\$(dirname "\$0")" && pwd)"
exec "$java_bin" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xshare:auto \\
  -cp "\$dir/client.jar:\$dir/lib/*" kubexds.peers.Client "\$@"
WRAPPER
chmod +x "$out/client"

echo "built $out/client"
