# Sourced by bin/palisade and bin/test. Finds a JDK 21+ (the machine's default java may be older) and
# builds the project when its jar is missing or older than any source.

palisade_java_major() {
  # Prints the major version of the java at $1, or nothing.
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

palisade_find_jdk() {
  local candidates=() c home major
  [ -n "${PALISADE_JAVA_HOME:-}" ] && candidates+=("$PALISADE_JAVA_HOME")
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*; do
    [ -d "$c" ] && candidates+=("$c")
  done
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  local best="" best_major=0
  for home in "${candidates[@]}"; do
    [ -x "$home/bin/java" ] && [ -x "$home/bin/javac" ] || continue
    major=$(palisade_java_major "$home/bin/java")
    [ -n "$major" ] || continue
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then best="$home"; best_major="$major"; fi
  done
  if [ -z "$best" ]; then
    echo "palisade: no JDK 21 or newer found (looked at JAVA_HOME, /usr/lib/jvm, /opt, PATH); set PALISADE_JAVA_HOME" >&2
    return 1
  fi
  export JAVA_HOME="$best"
  export PALISADE_JAVA_MAJOR="$best_major"
  export PATH="$JAVA_HOME/bin:$PATH"
  if [ "$best_major" -ge 24 ]; then
    # Maven's own Guava calls sun.misc.Unsafe, which newer JDKs warn about on every run; the warning is not ours.
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  fi
}

# True when command $1 is on PATH or where Debian's postgresql packages put their server binaries, which is not on
# PATH (/usr/lib/postgresql/VERSION/bin).
palisade_has_command() {
  local c
  command -v "$1" >/dev/null 2>&1 && return 0
  for c in /usr/lib/postgresql/*/bin/"$1"; do
    [ -x "$c" ] && return 0
  done
  return 1
}

# Installs Debian packages that are missing, each given as command:package (tests need redis-server and PostgreSQL's
# server; builds need maven). As root it runs apt-get; otherwise it says what to install and fails.
palisade_ensure_packages() {
  local missing=() cmd pkg
  for spec in "$@"; do
    cmd="${spec%%:*}"; pkg="${spec##*:}"
    palisade_has_command "$cmd" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "palisade: please install: ${missing[*]}" >&2
    return 1
  fi
  echo "palisade: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

palisade_needs_build() {
  local jar="$PALISADE_HOME/target/palisade.jar"
  [ -f "$jar" ] || return 0
  [ -d "$PALISADE_HOME/target/lib" ] || return 0
  [ -n "$(find "$PALISADE_HOME/src/main" "$PALISADE_HOME/pom.xml" -newer "$jar" -print -quit 2>/dev/null)" ]
}

palisade_build() {
  echo "palisade: building (first use or sources changed)..." >&2
  (cd "$PALISADE_HOME" && mvn -B -q -DskipTests -Dmaven.test.skip=true package) >&2
}
