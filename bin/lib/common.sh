# Sourced by bin/palisade and bin/test. Finds a JDK 21+ (the machine's default java may be older) and
# builds the project when its jar is missing or older than any source.

palisade_java_major() {
  # Prints the major version of the java at $1, or nothing. A JDK's release file says it without starting a JVM (each
  # start costs a few hundred milliseconds, and the launcher looks at every JDK on the machine before the gateway's
  # own start); a java without one is asked.
  local release
  release="$(dirname "$(dirname "$(readlink -f "$1")")")/release"
  if [ -r "$release" ]; then
    sed -n 's/^JAVA_VERSION="\(1\.\)\{0,1\}\([0-9]*\).*/\2/p' "$release" | head -n 1
    return
  fi
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

# Class-data sharing: a gateway loads about 7,000 classes before it serves, and parsing and verifying them from the
# jars was most of its start-up. A dynamic CDS archive (JDK 19+; target/palisade.jsa) holds them parsed and verified.
# It is written once per build by a training start of the gateway, under a lock so that gateways started together
# neither write it twice nor read it half-written, and used only when it is newer than the jar (the JVM checks the
# class path too and ignores a stale one). Prints nothing; returns 1 when there is no archive to use.
palisade_cds_archive() {
  local opts="$1" jar="$PALISADE_HOME/target/palisade.jar" jsa="$PALISADE_HOME/target/palisade.jsa"
  [ "${PALISADE_CDS:-on}" != off ] || return 1
  [ -f "$jsa" ] && [ "$jsa" -nt "$jar" ] && return 0
  # A read-only install (systemd's ProtectSystem=strict) starts without one; `bin/palisade --version` at install time
  # writes it.
  [ -w "$PALISADE_HOME/target" ] || return 1
  command -v flock >/dev/null 2>&1 || return 1
  (
    # Another launcher is writing it: start without it rather than wait.
    flock -n 9 || exit 1
    [ -f "$jsa" ] && [ "$jsa" -nt "$jar" ] && exit 0
    palisade_cds_train "$opts" "$jar" "$jsa"
  ) 9>"$PALISADE_HOME/target/.palisade.jsa.lock"
}

# Starts the gateway on a throwaway config (ephemeral loopback ports, its own state dir), sends it a few requests, stops
# it with SIGTERM and keeps the archive the JVM wrote at exit. A failed training leaves no archive and says why.
palisade_cds_train() {
  local opts="$1" jar="$2" jsa="$3" dir pid port i
  dir="$(mktemp -d "${TMPDIR:-/tmp}/palisade-cds.XXXXXX")" || return 1
  cat > "$dir/train.yaml" <<'YAML'
listeners: { http: { address: "127.0.0.1:0" } }
admin: { address: "127.0.0.1:0" }
access_log: { enabled: false }
consumers: { trainer: { api_keys: [ { sha256: "4f5e3bd0a7bb38bd0a6ef8b83e1c6b0ac1c0b8d69d3f6d7c4e8a6f1f02b3c4d5" } ] } }
auth: { api_key: { header: X-Api-Key } }
clusters: { nowhere: { endpoints: [ "127.0.0.1:9" ] } }
routes:
  - match: { path_prefix: /keyed }
    cluster: nowhere
    auth: { any_of: [api_key] }
    rate_limits: [ { key: consumer, rate: 100/s } ]
  - match: { path_prefix: / }
    cluster: nowhere
YAML
  echo "palisade: writing the class-data archive for faster starts (once per build; PALISADE_CDS=off skips it)" >&2
  # shellcheck disable=SC2086 # the options are a list of words on purpose
  "$JAVA_HOME/bin/java" $opts -XX:ArchiveClassesAtExit="$jsa.tmp" -Dpalisade.home="$PALISADE_HOME" \
    -jar "$jar" run --config "$dir/train.yaml" --state "$dir/state" > "$dir/log" 2>&1 &
  pid=$!
  for i in $(seq 1 600); do
    grep -q 'serving config version' "$dir/log" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  port="$(sed -n 's/.* on {http=\([0-9]*\)}.*/\1/p' "$dir/log" | head -n 1)"
  if [ -n "$port" ] && command -v curl >/dev/null 2>&1; then
    for i in 1 2 3 4 5; do
      curl -s -o /dev/null -m 5 "http://127.0.0.1:$port/plain" || true
      curl -s -o /dev/null -m 5 -H 'X-Api-Key: wrong' "http://127.0.0.1:$port/keyed" || true
    done
  fi
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -n "$port" ] && [ -s "$jsa.tmp" ]; then
    mv -f "$jsa.tmp" "$jsa"
  else
    echo "palisade: no class-data archive (the training start failed; see below); starting without it" >&2
    tail -n 5 "$dir/log" >&2
    rm -f "$jsa.tmp"
  fi
  rm -rf "$dir"
  [ -f "$jsa" ]
}
