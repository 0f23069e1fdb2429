#!/usr/bin/env bash
# The container's runtime stage installs a package for every shared library the two binaries
# link directly (so that a new dependency cannot be forgotten there): each NEEDED library,
# resolved with ldd and mapped to its Debian package, must be in deploy/Containerfile's
# runtime apt-get list or in Debian's base (libc6, libstdc++6, libgcc-s1).
# Usage: container_libraries.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 source=$2
listed=$(sed -n '/^FROM debian:12-slim/,/rm -rf/p' "$source/deploy/Containerfile" |
         tr ' \\' '\n\n' | grep -E '^lib[a-z0-9.+-]+$' | sort -u)
status=0
for binary in "$build/server/hbprep-server" "$build/client/hbprep"; do
  for lib in $(readelf -d "$binary" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p'); do
    # "lib => /path (addr)", or "/path/lib (addr)" for the dynamic loader (NEEDED when
    # position-independent code uses thread_local: __tls_get_addr).
    path=$(ldd "$binary" | awk -v lib="$lib" '
      $1 == lib && !found {print $3; found = 1}
      {n = split($1, part, "/"); if (n > 1 && part[n] == lib && !found) {print $1; found = 1}}')
    package=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -n 1 | cut -d: -f1 || true)
    [[ -z $package ]] && package=$(dpkg -S "$path" | head -n 1 | cut -d: -f1)
    case $package in libc6|libstdc++6|libgcc-s1) continue ;; esac
    if ! grep -qx "$package" <<<"$listed"; then
      echo "$(basename "$binary") links $lib ($package), which deploy/Containerfile does not install"
      status=1
    fi
  done
done
[[ $status == 0 ]] && echo "every library the binaries link has its package in deploy/Containerfile"
exit $status
