# Shared by scripts/run and scripts/test: installing what is missing and
# building. Sourced, not run.

RUNNER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages the build needs.
BUILD_PACKAGES=(g++ meson ninja-build pkg-config libyaml-dev libsqlite3-dev
  libtomlplusplus-dev catch2 libcli11-dev libfmt-dev nlohmann-json3-dev libssl-dev libpq-dev
  libmysqlcppconn-dev libgraphviz-dev libvectorscan-dev)
# And what the tests need on top.
TEST_PACKAGES=(python3 python3-pytest python3-pytest-xdist python3-jsonschema sqlite3 procps
  graphviz chromium python3-pil)
# The completions and the manual page (tests/e2e/test_ship.py), the package tests.
TEST_PACKAGES+=(python3-yaml zsh fish groff-base)
# A transaction pooler in front of the test PostgreSQL (test_pgbouncer.py).
TEST_PACKAGES+=(pgbouncer)
# The Galera cluster of the tests (servers.sh start_galera): its provider, rsync for SST.
TEST_PACKAGES+=(galera-4 rsync)
# What scripts/package and its test (scripts/test --package) need.
PACKAGE_PACKAGES=(dpkg-dev lintian debootstrap)
# And the static link: libmariadb.a (libmysqlcppconn-static.a stands on it), libz.a.
STATIC_PACKAGES=(libmariadb-dev zlib1g-dev)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "scripts: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

# Installs the Debian packages given that are not installed yet.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "scripts: installing ${missing[*]}" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >&2
}

# build_dir NAME [meson options...]: configures once, then builds.
build_dir() {
  local dir="$RUNNER_ROOT/$1"
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$RUNNER_ROOT" "$@" >&2 || return 1
  fi
  ninja -C "$dir" >&2
}

# The version of an installed Debian package ("15.18-0+deb12u1").
installed_version() {
  dpkg-query -W -f='${Version}' "$1" 2>/dev/null
}

# Prints a folder holding libpgcommon_shlib.a and libpgport_shlib.a, which
# libpq.a needs in a static build. Debian ships them in
# postgresql-server-dev-NN, which would bring clang and LLVM along: the
# package of the installed libpq-dev's exact version is downloaded instead
# and the two archives extracted, once, under /var/cache/runner.
pg_static_libdir() {
  local version major dir tmp
  version=$(installed_version libpq-dev)
  [ -n "$version" ] || { echo "scripts: libpq-dev is not installed" >&2; return 1; }
  major=${version%%.*}
  if [ -f "/usr/lib/postgresql/$major/lib/libpgcommon_shlib.a" ]; then
    echo "/usr/lib/postgresql/$major/lib"
    return 0
  fi
  dir=${RUNNER_CACHE:-/var/cache/runner}/pg-static-$version
  if [ ! -f "$dir/libpgport_shlib.a" ]; then
    tmp=$(mktemp -d /tmp/runner-pgdev.XXXXXX) && chmod 755 "$tmp"  # apt downloads as _apt
    (cd "$tmp" && apt-get download "postgresql-server-dev-$major=$version" >&2) &&
      dpkg-deb -x "$tmp"/postgresql-server-dev-*.deb "$tmp/root" &&
      as_root mkdir -p "$dir" &&
      as_root cp "$tmp/root/usr/lib/postgresql/$major/lib/libpgcommon_shlib.a" \
        "$tmp/root/usr/lib/postgresql/$major/lib/libpgport_shlib.a" "$dir/"
    local rc=$?
    rm -rf "$tmp"
    [ $rc -eq 0 ] || { echo "scripts: could not get postgresql-server-dev-$major=$version" >&2; return 1; }
  fi
  echo "$dir"
}

# The Debian mirror apt uses here for bookworm ("http://deb.debian.org/debian/").
debian_mirror() {
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
    awk '$2 == "bookworm" { print $1; exit }'
}

# Prints the path of a tarball of a minimal Debian 12 root (debootstrap
# --variant=minbase bookworm, from the mirror apt uses here, with the same
# suites as apt here: bookworm, bookworm-updates, bookworm-security), built
# once and kept under /var/cache/runner (RUNNER_CACHE). A root takes
# debootstrap a few minutes; unpacking the tarball, seconds.
debian_root_tarball() {
  local cache=${RUNNER_CACHE:-/var/cache/runner} mirror tmp rc
  local tarball=$cache/bookworm-minbase.tar.gz
  if [ -s "$tarball" ]; then
    echo "$tarball"
    return 0
  fi
  ensure_packages debootstrap >&2 || return 1
  mirror=$(debian_mirror)
  [ -n "$mirror" ] || { echo "scripts: no bookworm mirror in apt's sources" >&2; return 1; }
  as_root mkdir -p "$cache"
  tmp=$(mktemp -d /var/tmp/runner-root.XXXXXX)
  echo "scripts: debootstrap --variant=minbase bookworm from $mirror (once; a few minutes)" >&2
  as_root debootstrap --variant=minbase bookworm "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    tail -n 20 "$tmp/debootstrap.log" >&2
    [ -f "$tmp/root/debootstrap/debootstrap.log" ] && tail -n 20 "$tmp/root/debootstrap/debootstrap.log" >&2
  else
    # The suites apt has here, as the root's sources (and those of debian:bookworm-slim).
    apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null | sort -u |
      awk '$2 ~ /^bookworm/ { print "deb " $1 " " $2 " main" }' >"$tmp/root/etc/apt/sources.list"
    as_root rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
    as_root tar -C "$tmp/root" -czf "$tarball.part" . && as_root mv "$tarball.part" "$tarball"
    rc=$?
  fi
  as_root rm -rf "$tmp"
  [ $rc -eq 0 ] && echo "$tarball"
  return $rc
}
