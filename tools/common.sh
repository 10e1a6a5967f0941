# Shared by tools/run and tools/test. Source it; do not run it.
# shellcheck shell=bash

TILL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

till_say () { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
till_die () { printf 'error: %s\n' "$*" >&2; exit 1; }

# Install the Debian packages of tools/packages that are missing. Fast when nothing is.
till_ensure_packages () {
  local wanted missing=() pkg
  wanted=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$TILL_TOP/tools/packages")
  for pkg in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || till_die "missing packages (${missing[*]}) and no sudo to install them"
    sudo=(sudo)
  fi
  till_say "Installing ${#missing[@]} Debian packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null ||
    till_die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    till_die "apt-get install failed"
}

# The options of the main build (_build), shared by tools/run and tools/test so that
# switching between them does not reconfigure. CI builds with warnings as errors.
till_main_build_options () {
  local werror=false
  [ "${CI:-}" = true ] && werror=true
  printf '%s\n' -Dbuildtype=debugoptimized "-Dwerror=$werror"
}

# till_build DIR [meson options...]: configure DIR once (or when the options change), then build.
till_build () {
  local dir=$1; shift
  local stamp="$TILL_TOP/$dir/.till-options"
  local want="$*"
  if [ ! -f "$TILL_TOP/$dir/build.ninja" ]; then
    till_say "Configuring $dir"
    meson setup "$TILL_TOP/$dir" "$TILL_TOP" "$@" >/dev/null || till_die "meson setup failed for $dir"
    printf '%s' "$want" > "$stamp"
  elif [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    till_say "Reconfiguring $dir"
    meson configure "$TILL_TOP/$dir" "$@" >/dev/null || till_die "meson configure failed for $dir"
    printf '%s' "$want" > "$stamp"
  fi
  till_say "Building $dir"
  meson compile -C "$TILL_TOP/$dir" || till_die "build failed in $dir"
}
