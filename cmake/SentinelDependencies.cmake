# Every dependency comes from a Debian package; see packages/*.txt and DEVELOPERS.md.
include_guard(GLOBAL)
if(SENTINEL_MINGW)
  include(SentinelMingw)
  set(SENTINEL_PCAP_DIR "${PROJECT_SOURCE_DIR}/../shared/pcaps" CACHE PATH
      "Folder of reference captures (MANIFEST.md); golden tests use it")
  return()
endif()
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)

if(NOT WIN32)
  pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
endif()

if(NOT SENTINEL_AGENT_ONLY)
  find_package(OpenSSL 3 REQUIRED)
  find_package(CURL REQUIRED)
  find_package(SQLite3 REQUIRED)
  find_package(Boost 1.74 REQUIRED)
endif()

if(SENTINEL_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(SENTINEL_BUILD_BENCH AND NOT SENTINEL_AGENT_ONLY)
  find_package(benchmark REQUIRED)
endif()

set(SENTINEL_PCAP_DIR "${PROJECT_SOURCE_DIR}/../shared/pcaps" CACHE PATH
    "Folder of reference captures (MANIFEST.md); golden tests use it")
