#!/usr/bin/env bash
# Makes the arm64 tree that the aarch64 cross-build (cmake/aarch64-linux-gnu.cmake) compiles
# against and qemu-aarch64 runs in, or reuses it when it is there and complete; prints its path.
# Usage: deploy/arm64-sysroot.sh [DIR]    DIR: ${HBPREP_ARM64_SYSROOT:-/opt/hbprep/arm64-sysroot}
#
# The tree is Debian 12's arm64 packages of deploy/arm64-packages.txt and their dependencies,
# extracted (not installed: no maintainer script runs) by `mmdebstrap --variant=extract` into a
# folder of its own. Nothing on the host changes: installing :arm64 -dev packages beside the
# amd64 ones removes amd64 packages (libyaml-cpp-dev has no Multi-Arch field;
# libopencv-imgcodecs-dev:arm64 pulls the non-multiarch libgdcm-dev and libgdal32) and upgrades
# host libraries to the mirror's versions. Packages come from the host's own apt sources
# (HBPREP_ARM64_MIRRORS, mirror arguments as mmdebstrap takes them, overrides them).
#
# After extraction, what dpkg and the maintainer scripts would have done, as far as a build
# needs it:
#   - absolute symlinks are made relative (libz.so -> /lib/... would otherwise name the host's
#     amd64 file to the cross linker),
#   - the update-alternatives links of the BLAS and LAPACK libraries that OpenCV links
#     (usr/lib/aarch64-linux-gnu/libblas.so.3 -> blas/libblas.so.3, and liblapack.so.3),
#   - the gRPC plugins that gRPC's CMake package checks for in usr/bin are links to the host's
#     (amd64, run at build time; protobuf-compiler-grpc in deploy/packages.txt).
# The tree is complete when its stamp (written last) names this script's and the package
# list's checksums; anything else is made anew beside it and moved into place.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:-${HBPREP_ARM64_SYSROOT:-/opt/hbprep/arm64-sysroot}}
dir=$(realpath -m "$dir")
list="$here/arm64-packages.txt"
stamp_name=.hbprep-arm64-sysroot
want=$(cat "$0" "$list" | sha256sum | cut -d' ' -f1)

mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
if [ "$(cat "$dir/$stamp_name" 2>/dev/null)" = "$want" ]; then
  echo "$dir"
  exit 0
fi

packages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list" | paste -sd, -)
if [ -n "${HBPREP_ARM64_MIRRORS:-}" ]; then
  read -r -a mirrors <<<"$HBPREP_ARM64_MIRRORS"
else
  # The host's Debian sources (a file as a mirror argument is pasted in as it is, deb822 or
  # one-line); with none, mmdebstrap's default mirror with its updates and security suites.
  mirrors=()
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources; do
    [ -f "$file" ] && grep -qE '^[[:space:]]*(deb |Types:)' "$file" && mirrors+=("$file")
  done
fi

new="$dir.new"
rm -rf "$new"
log="$dir.log"
echo "arm64-sysroot: extracting $(tr ',' '\n' <<<"$packages" | wc -l) packages and their dependencies into $dir" >&2
if ! mmdebstrap --arch=arm64 --variant=extract --include="$packages" bookworm "$new" \
       ${mirrors[@]+"${mirrors[@]}"} >"$log" 2>&1; then
  cat "$log" >&2
  echo "arm64-sysroot: mmdebstrap failed (log above)" >&2
  exit 1
fi

# Absolute symlinks, relative to the tree (dev/'s point into /proc and stay as they are).
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  ln -sfn "$(realpath -s -m --relative-to="$(dirname "$link")" "$new$target")" "$link"
done < <(find "$new" -path "$new/dev" -prune -o -type l -lname '/*' -print0)

# The alternatives' links, to the only provider the tree has (the reference BLAS and LAPACK).
multiarch="$new/usr/lib/aarch64-linux-gnu"
for alternative in blas/libblas.so.3 lapack/liblapack.so.3; do
  [ -e "$multiarch/$alternative" ] ||
    { echo "arm64-sysroot: $alternative missing from the tree" >&2; exit 1; }
  ln -sfn "$alternative" "$multiarch/$(basename "$alternative")"
done

# gRPC's CMake package checks that its plugins exist beside its libraries' prefix.
targets="$multiarch/cmake/grpc/gRPCTargets-none.cmake"
[ -f "$targets" ] || { echo "arm64-sysroot: $targets missing from the tree" >&2; exit 1; }
for plugin in $(grep -oE '_IMPORT_PREFIX\}/bin/[A-Za-z0-9_]+' "$targets" | sed 's|.*/||' | sort -u); do
  host=$(command -v "$plugin") ||
    { echo "arm64-sysroot: the host has no $plugin (protobuf-compiler-grpc)" >&2; exit 1; }
  mkdir -p "$new/usr/bin"
  ln -sfn "$host" "$new/usr/bin/$plugin"
done

echo "$want" >"$new/$stamp_name"
rm -rf "$dir"
mv "$new" "$dir"
rm -f "$log"
echo "$dir"
