# Shared by scripts/run and scripts/test: installing what is missing and
# building. Sourced, not run.

RUNNER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian packages the build needs.
BUILD_PACKAGES=(g++ meson ninja-build pkg-config libyaml-cpp-dev libsqlite3-dev
  libtomlplusplus-dev catch2 libcli11-dev libfmt-dev nlohmann-json3-dev libssl-dev libpq-dev
  libmysqlcppconn-dev libre2-dev)
# And what the tests need on top.
TEST_PACKAGES=(python3 python3-pytest python3-pytest-xdist python3-jsonschema sqlite3 procps)

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
