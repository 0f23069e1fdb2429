#!/usr/bin/env bash
# Builds the Debian packages of a build folder (cpack, cmake/packaging.cmake) and checks them:
#   - libhbprep-dev, hbprep and (WITH_SERVER=1) hbprep-server, nothing else, each for the
#     architecture the build's binaries are for (read from the ELF header, not from CPack);
#   - each package's files, exactly: headers, static library and CMake package; the CLI and
#     the example models (conffiles); the server and its unit, which starts /usr/bin's server
#     on /etc's models;
#   - the binaries: that architecture, stripped, and every shared library they need (NEEDED)
#     belongs to a package their Depends names (the library's Debian package, named as on
#     the host: Debian names it the same on every architecture); the CMake package names no
#     path of the build machine;
#   - the packages work: `hbprep describe` of the packaged repository with the packaged CLI,
#     and in a cross-build, the find_package(hbprep) consumer (tests/install/consumer)
#     cross-built against the extracted libhbprep-dev and run, under HBPREP_EMULATOR.
# Usage: check_packages.sh BUILD_DIR SOURCE_DIR WORK_DIR [WITH_SERVER]   (WITH_SERVER: 1 or 0)
set -euo pipefail
build=$(realpath "$1") source=$(realpath "$2") work=$(realpath -m "$3") with_server=${4:-1}
read -r -a emulator <<<"${HBPREP_EMULATOR:-}"
rm -rf "$work"
mkdir -p "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cpack --config "$build/CPackConfig.cmake" -B "$work" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; echo "FAIL: cpack"; exit 1; }

case $(readelf -h "$build/client/hbprep" | sed -n 's/^ *Machine: *//p') in
  AArch64) arch=arm64 ;;
  "Advanced Micro Devices X86-64") arch=amd64 ;;
  *) echo "FAIL: no Debian architecture for $build/client/hbprep"; exit 1 ;;
esac
packages="libhbprep-dev hbprep"
[ "$with_server" = 1 ] && packages="$packages hbprep-server"
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
want_debs=$(for p in $packages; do echo "${p}_${version}-1_$arch.deb"; done | sort)
got_debs=$(cd "$work" && ls -1 -- *.deb | sort)
[ "$got_debs" = "$want_debs" ] ||
  fail "cpack made $(echo $got_debs), expected $(echo $want_debs)"

# The files each package must hold, exactly (directories aside).
expected_files() {
  case $1 in
    libhbprep-dev)
      for header in "$source"/include/hbprep/*.h; do echo "/usr/include/hbprep/${header##*/}"; done
      printf '%s\n' /usr/lib/libhbprep_adapters.a /usr/lib/cmake/hbprep/hbprepConfig.cmake \
        /usr/lib/cmake/hbprep/hbprepConfigVersion.cmake /usr/lib/cmake/hbprep/hbprepTargets.cmake \
        "/usr/lib/cmake/hbprep/hbprepTargets-CONFIG.cmake" ;;
    hbprep)
      echo /usr/bin/hbprep
      for model in "$source"/deploy/models/*.yaml "$source"/deploy/models/*.model_info.txt; do
        echo "/etc/hbprep/models/${model##*/}"
      done ;;
    hbprep-server)
      printf '%s\n' /usr/bin/hbprep-server /usr/lib/systemd/system/hbprep-server.service ;;
  esac
}

# NEEDED soname -> its Debian package, through the host's file of that name (dpkg knows it
# by the path its package ships, through /lib or /usr/lib, the link or the file it names).
package_of() {
  case $1 in ld-linux-*) echo libc6; return ;; esac
  local dir path owner
  for dir in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu; do
    [ -e "$dir/$1" ] || continue
    for path in "$dir/$1" "$(readlink -f "$dir/$1")" "/usr${dir#/usr}/$1" "${dir#/usr}/$1"; do
      owner=$(dpkg -S "$path" 2>/dev/null | head -n 1 | cut -d: -f1) && [ -n "$owner" ] &&
        { echo "$owner"; return 0; }
    done
  done
  return 1
}

for package in $packages; do
  deb="$work/${package}_${version}-1_$arch.deb"
  [ -f "$deb" ] || continue
  root="$work/root-$package"
  dpkg-deb -x "$deb" "$root"
  [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] ||
    fail "$package: Architecture $(dpkg-deb -f "$deb" Architecture), expected $arch"
  got=$(cd "$root" && find . ! -type d | sed 's|^\.||; s|hbprepTargets-[a-z]*\.cmake$|hbprepTargets-CONFIG.cmake|' | sort)
  want=$(expected_files "$package" | sort)
  [ "$got" = "$want" ] ||
    fail "$package holds other files than expected:$(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^</ missing/; s/^>/ extra/' | tr '\n' ';')"
  depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/ *(.*)//; s/^ *//; s/ *$//')
  while IFS= read -r -d '' file; do
    head -c 4 "$file" | grep -q $'\x7fELF' || continue
    name=${file#"$root"}
    machine=$(readelf -h "$file" | sed -n 's/^ *Machine: *//p')
    case $arch:$machine in arm64:AArch64 | "amd64:Advanced Micro Devices X86-64") ;;
      *) fail "$package: $name is for $machine, not $arch" ;;
    esac
    readelf -S "$file" | grep -q '\.debug_info' && fail "$package: $name is not stripped"
    for lib in $(readelf -d "$file" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p'); do
      owner=$(package_of "$lib") || { fail "$package: $name needs $lib, which no host package has"; continue; }
      grep -qx "$owner" <<<"$depends" ||
        fail "$package: $name needs $lib ($owner), which its Depends does not name"
    done
  done < <(find "$root" -type f -print0)
done

# The CLI package: its models are conffiles, and its CLI describes its repository.
cli_root="$work/root-hbprep"
if [ -d "$cli_root" ]; then
  conffiles=$(dpkg-deb --ctrl-tarfile "$work/hbprep_${version}-1_$arch.deb" | tar -xO ./conffiles | sort)
  [ "$conffiles" = "$(expected_files hbprep | grep '^/etc/' | sort)" ] ||
    fail "hbprep's conffiles are not its /etc files: $(echo $conffiles)"
  described=$("${emulator[@]}" "$cli_root/usr/bin/hbprep" describe --models "$cli_root/etc/hbprep/models" 2>&1) ||
    fail "the packaged CLI cannot describe the packaged models: $described"
  for model in "$source"/deploy/models/*.yaml; do
    model=${model##*/}
    grep -q "model ${model%.yaml} " <<<"$described" || fail "hbprep describe does not show ${model%.yaml}"
  done
fi
unit="$work/root-hbprep-server/usr/lib/systemd/system/hbprep-server.service"
if [ "$with_server" = 1 ] && [ -f "$unit" ]; then
  grep -q '^ExecStart=/usr/bin/hbprep-server' "$unit" || fail "the unit does not start /usr/bin/hbprep-server"
  grep -q -- '--models /etc/hbprep/models' "$unit" || fail "the unit does not serve /etc/hbprep/models"
fi

# The engine's package: no path of the build machine, and (cross-build) a consumer builds
# against it for the target and runs.
dev_root="$work/root-libhbprep-dev"
if [ -d "$dev_root" ]; then
  sysroot=$(sed -n 's/^CMAKE_SYSROOT:[A-Z]*=//p' "$build/CMakeCache.txt")
  if grep -nF -e "$build" -e "$source" ${sysroot:+-e "$sysroot"} "$dev_root"/usr/lib/cmake/hbprep/*.cmake; then
    fail "libhbprep-dev's CMake package names paths of the build machine (lines above)"
  fi
  toolchain=$(sed -n 's/^CMAKE_TOOLCHAIN_FILE:[A-Z]*=//p' "$build/CMakeCache.txt")
  if [ -n "$toolchain" ]; then
    arm64_sysroot=$(sed -n 's/^HBPREP_ARM64_SYSROOT:[A-Z]*=//p' "$build/CMakeCache.txt")
    if ! cmake -S "$source/tests/install/consumer" -B "$work/consumer" -G Ninja \
          --toolchain "$toolchain" ${arm64_sysroot:+-DHBPREP_ARM64_SYSROOT="$arm64_sysroot"} \
          -DCMAKE_FIND_ROOT_PATH="$dev_root" >"$work/consumer.log" 2>&1 ||
       ! cmake --build "$work/consumer" >>"$work/consumer.log" 2>&1; then
      fail "the consumer does not build against libhbprep-dev:"
      grep -E "error|Error|undefined" "$work/consumer.log" | head -n 20
    else
      out=$("${emulator[@]}" "$work/consumer/consumer" "$source/deploy/models/cls_pyramid.yaml" \
            "$source/deploy/demo/scene.jpg" 2>&1) || true
      [ "$out" = "$(cat "$source/tests/install/consumer/expected_output.txt")" ] ||
        fail "the consumer built against libhbprep-dev printed: $out"
    fi
  fi
fi

count=$(echo $packages | wc -w)
if [ "$failures" -gt 0 ]; then
  echo "Debian packages ($arch): 0 passed, 1 failed ($failures problems above)"
  exit 1
fi
echo "Debian packages ($arch, $count packages): 1 passed, 0 failed"
