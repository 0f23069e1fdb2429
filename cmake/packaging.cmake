# Debian packages (`cpack -G DEB` in a build folder; amd64 from a native build, arm64 from the
# cross-build of cmake/aarch64-linux-gnu.cmake), one per install component, under /usr:
#   libhbprep-dev   (dev)     the engine: static library, public headers and the CMake package
#                             (find_package(hbprep) -> hbprep::adapters)
#   hbprep          (cli)     the CLI and the example model repository (/etc/hbprep/models)
#   hbprep-server   (server)  the gRPC server and its systemd unit (HBPREP_BUILD_SERVER only)
# Depends name Debian 12's packages of what each links (the CLI's and server's shared
# libraries, the -dev packages the engine's CMake package finds); the same names on arm64 and
# amd64. tests/install/check_packages.sh holds them to the binaries' NEEDED entries and each
# package to its file list. Binaries are stripped (CMAKE_STRIP: the cross binutils' strip in
# a cross-build).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME hbprep)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "hbprep maintainers <hbprep@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Input preparation for Horizon BPU models (HBM/HBIR): the tensors a compiled model takes")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
# The install runs with CMAKE_INSTALL_PREFIX=/usr (CPACK_INSTALL_PREFIX) into a staging DESTDIR, so the unit names
# /usr/bin/hbprep-server and configuration lands in /etc (deploy/CMakeLists.txt).
set(CPACK_SET_DESTDIR ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
# The target's architecture, not the build machine's (CPack would ask dpkg on the host).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
else()
  message(STATUS "hbprep: no Debian architecture for ${CMAKE_SYSTEM_PROCESSOR}; cpack asks dpkg")
endif()

set(CPACK_COMPONENTS_ALL dev cli)
set(runtime "libc6, libgcc-s1, libstdc++6, libabsl20220623, libyaml-cpp0.7, libssl3")
string(APPEND runtime ", libopencv-core406, libopencv-imgproc406, libopencv-imgcodecs406")
string(APPEND runtime ", libturbojpeg0, libjpeg62-turbo")
set(wire_api "libgrpc++1.51, libgrpc29, libprotobuf32")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libhbprep-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "hbprep's engine as a static library, its headers and CMake package (find_package(hbprep))")
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libabsl-dev, libyaml-cpp-dev, libssl-dev, nlohmann-json3-dev, libopencv-core-dev, libopencv-imgproc-dev, libopencv-imgcodecs-dev, libturbojpeg0-dev, libjpeg62-turbo-dev")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME hbprep)
set(CPACK_COMPONENT_CLI_DESCRIPTION
    "The hbprep command-line tool (prepare, describe, calib, diff, preview) and example models")
set(CPACK_DEBIAN_CLI_PACKAGE_DEPENDS "${runtime}")
if(HBPREP_BUILD_REMOTE)
  string(APPEND CPACK_DEBIAN_CLI_PACKAGE_DEPENDS ", ${wire_api}")
endif()
# The example models are configuration: dpkg keeps a user's edits on upgrade.
file(GLOB example_models RELATIVE ${PROJECT_SOURCE_DIR}/deploy/models CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/deploy/models/*.yaml ${PROJECT_SOURCE_DIR}/deploy/models/*.model_info.txt)
list(TRANSFORM example_models PREPEND /etc/hbprep/models/)
list(JOIN example_models "\n" conffiles)
file(WRITE ${CMAKE_BINARY_DIR}/debian/cli/conffiles "${conffiles}\n")
set(CPACK_DEBIAN_CLI_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/debian/cli/conffiles)

if(HBPREP_BUILD_SERVER)
  list(APPEND CPACK_COMPONENTS_ALL server)
  set(CPACK_DEBIAN_SERVER_PACKAGE_NAME hbprep-server)
  set(CPACK_COMPONENT_SERVER_DESCRIPTION
      "hbprep-server: the gRPC service (hbprep.v1 and the Open Inference Protocol) and its systemd unit")
  # hbprep for the unit's model repository (/etc/hbprep/models).
  set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS
      "hbprep (= ${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}), ${runtime}, ${wire_api}, libspdlog1.10, libfmt9, libcpp-httplib0.11")
endif()
include(CPack)
