#!/usr/bin/env bash
# ELM: ./elm start [--daemon] | ./elm exec '<gogo commands>' | ./elm stop      (see README.md)
# Works from any current directory. In the source tree it runs the distribution that
# `mvn install` assembles in runtime/target/elm; in an unpacked distribution, its own lib/.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
if [ -f "$here/lib/elm-launcher.jar" ]; then
  jar="$here/lib/elm-launcher.jar"
else
  jar="$here/runtime/target/elm/lib/elm-launcher.jar"
fi
if [ ! -f "$jar" ]; then
  echo "elm: the distribution is not built ($jar is missing); build it with: mvn -q -B install -DskipTests" >&2
  exit 1
fi
export ELM_HOME="${ELM_HOME:-$here}"
# The native libraries' environment (see native-env.sh beside the launcher jar).
# shellcheck source=runtime/src/main/sh/native-env.sh
[ -f "$(dirname "$jar")/native-env.sh" ] && . "$(dirname "$jar")/native-env.sh"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# shellcheck disable=SC2086 # ELM_JAVA_OPTS is a list of JVM options
exec "$java" ${ELM_JAVA_OPTS:-} -jar "$jar" "$@"
