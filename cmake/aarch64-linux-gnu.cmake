# Cross-build for aarch64 (the boards: RDK X3/X5, J5, J6/S100) on an x86-64 Debian 12 host:
#   deploy/arm64-sysroot.sh            # the arm64 tree, once (about 20 s, 600 MB)
#   cmake -S . -B build-arm64 -G Ninja --toolchain cmake/aarch64-linux-gnu.cmake
# The compiler is Debian's g++-aarch64-linux-gnu; headers and libraries come from the arm64
# tree that deploy/arm64-sysroot.sh extracts (HBPREP_ARM64_SYSROOT, default
# /opt/hbprep/arm64-sysroot); programs the build or CTest runs go through qemu-aarch64 with
# that tree as the loader's root (binfmt_misc is not assumed). Build-time tools (protoc, the
# gRPC plugins) are the host's.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(NOT HBPREP_ARM64_SYSROOT)
  if(DEFINED ENV{HBPREP_ARM64_SYSROOT})
    set(HBPREP_ARM64_SYSROOT "$ENV{HBPREP_ARM64_SYSROOT}")
  else()
    set(HBPREP_ARM64_SYSROOT /opt/hbprep/arm64-sysroot)
  endif()
endif()
set(HBPREP_ARM64_SYSROOT "${HBPREP_ARM64_SYSROOT}" CACHE PATH
    "The arm64 tree (deploy/arm64-sysroot.sh) the cross-build compiles against and runs in")
if(NOT EXISTS "${HBPREP_ARM64_SYSROOT}/.hbprep-arm64-sysroot")
  message(FATAL_ERROR "No complete arm64 tree at ${HBPREP_ARM64_SYSROOT}: run "
                      "deploy/arm64-sysroot.sh ${HBPREP_ARM64_SYSROOT}")
endif()
# try_compile projects read this file again; they get the tree's path from here.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES HBPREP_ARM64_SYSROOT)

set(CMAKE_SYSROOT "${HBPREP_ARM64_SYSROOT}")
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# Libraries, headers and CMake packages from the tree (and any other root given with
# -DCMAKE_FIND_ROOT_PATH, e.g. an extracted arm64 package) only; programs from the host only.
if(NOT HBPREP_ARM64_SYSROOT IN_LIST CMAKE_FIND_ROOT_PATH)
  list(APPEND CMAKE_FIND_ROOT_PATH "${HBPREP_ARM64_SYSROOT}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# pkg-config (gRPC's package asks it for RE2) reads the tree's .pc files, not the host's.
set(ENV{PKG_CONFIG_DIR} "")
set(ENV{PKG_CONFIG_LIBDIR} "${HBPREP_ARM64_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${HBPREP_ARM64_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${HBPREP_ARM64_SYSROOT}")

find_program(HBPREP_QEMU_AARCH64 qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${HBPREP_QEMU_AARCH64};-L;${HBPREP_ARM64_SYSROOT}")
