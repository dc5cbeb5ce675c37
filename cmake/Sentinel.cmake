# Build helpers shared by every library, program and test.
include_guard(GLOBAL)

set(SENTINEL_WARNINGS -Wall -Wextra -Werror -Wnon-virtual-dtor -Wcast-align -Wunused
    -Woverloaded-virtual -Wimplicit-fallthrough)

# Libraries on the packet path must never reach network, TLS, database or server code.
set(SENTINEL_PACKET_PATH_LIBS common platform config schema decode capture detect intel)
set(SENTINEL_FORBIDDEN_ON_PACKET_PATH
    sentinel_transport sentinel_libcurl sentinel_store sentinel_server sentinel_web sentinel_outputs
    OpenSSL::SSL OpenSSL::Crypto CURL::libcurl SQLite::SQLite3 SQLiteCpp PkgConfig::PQXX
    Boost::headers Boost::boost)

function(sentinel_apply_defaults target)
  target_compile_options(${target} PRIVATE ${SENTINEL_WARNINGS})
  if(SENTINEL_SANITIZE)
    # GCC 12 reports maybe-uninitialized inside std::regex and std::variant under ASan only.
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined
                                             -Wno-error=maybe-uninitialized)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  elseif(SENTINEL_TSAN)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer
                                             -Wno-error=maybe-uninitialized)
    target_link_options(${target} PRIVATE -fsanitize=thread)
  endif()
endfunction()

# sentinel_library(<name> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# Creates the static library sentinel_<name> (alias sentinel::<name>); includes are rooted at src/.
function(sentinel_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target sentinel_${name})
  if(ARG_SOURCES)
    add_library(${target} STATIC ${ARG_SOURCES})
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/src)
    target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    sentinel_apply_defaults(${target})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/src)
    target_link_libraries(${target} INTERFACE ${ARG_DEPS})
  endif()
  add_library(sentinel::${name} ALIAS ${target})
endfunction()

# sentinel_program(<target> SOURCES ... DEPS ...)
function(sentinel_program target)
  cmake_parse_arguments(ARG "" "OUTPUT_NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_DEPS})
  if(ARG_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
  endif()
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  sentinel_apply_defaults(${target})
endfunction()

# sentinel_test(<name> SOURCES ... DEPS ... [LABELS ...])
# One gtest binary; each TEST becomes its own ctest entry so ctest -j spreads them.
function(sentinel_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
      SENTINEL_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      SENTINEL_BINARY_DIR="${PROJECT_BINARY_DIR}"
      SENTINEL_PCAP_DIR="${SENTINEL_PCAP_DIR}")
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  sentinel_apply_defaults(${name})
  # TZ=UTC and LC_ALL=C come from the test presets (CMakePresets.json).
  if(CMAKE_CROSSCOMPILING)
    # One ctest per binary: each start of an emulated (Wine) program costs about half a second.
    # SENTINEL_CROSS_GTEST_FILTER_<name>: cases left out of the cross build (set by tests/).
    set(filter "")
    if(SENTINEL_CROSS_GTEST_FILTER_${name})
      set(filter "--gtest_filter=${SENTINEL_CROSS_GTEST_FILTER_${name}}")
    endif()
    add_test(NAME ${name} COMMAND ${name} ${filter})
    if(ARG_LABELS)
      set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
    endif()
  else()
    gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60)
    # gtest_discover_tests keeps only the first of several labels (its PROPERTIES are split into
    # name/value pairs), so the labels are set afterwards on the tests it found (<name>_TESTS).
    if(ARG_LABELS)
      set(labels_file ${CMAKE_CURRENT_BINARY_DIR}/${name}_labels.cmake)
      file(WRITE ${labels_file}
           "if(DEFINED ${name}_TESTS)\n  set_tests_properties(\${${name}_TESTS} PROPERTIES LABELS \"${ARG_LABELS}\")\nendif()\n")
      set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${labels_file})
    endif()
  endif()
endfunction()

# Walks the link graph of every packet-path library and fails the configure step when one of
# them reaches a forbidden target (network, TLS, database, server).
function(_sentinel_collect_links target out_var)
  set(seen ${${out_var}})
  foreach(prop LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
    get_target_property(links ${target} ${prop})
    if(NOT links)
      continue()
    endif()
    foreach(link IN LISTS links)
      string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" link "${link}")
      if(link IN_LIST seen)
        continue()
      endif()
      list(APPEND seen ${link})
      if(TARGET ${link})
        get_target_property(aliased ${link} ALIASED_TARGET)
        if(aliased)
          list(APPEND seen ${aliased})
          set(link ${aliased})
        endif()
        _sentinel_collect_links(${link} seen)
      endif()
    endforeach()
  endforeach()
  set(${out_var} ${seen} PARENT_SCOPE)
endfunction()

function(sentinel_check_packet_path)
  foreach(lib IN LISTS SENTINEL_PACKET_PATH_LIBS)
    if(NOT TARGET sentinel_${lib})
      continue()
    endif()
    set(reached "")
    _sentinel_collect_links(sentinel_${lib} reached)
    foreach(bad IN LISTS SENTINEL_FORBIDDEN_ON_PACKET_PATH)
      if(bad IN_LIST reached)
        message(FATAL_ERROR "packet-path library sentinel_${lib} depends on ${bad}; "
                            "the packet path must not reach network, TLS, database or server code")
      endif()
    endforeach()
  endforeach()
endfunction()
