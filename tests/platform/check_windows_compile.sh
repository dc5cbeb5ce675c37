#!/usr/bin/env bash
# Compiles platform.windows.cc and the portable transport files with mingw-w64 (syntax only), so
# the Windows agent's sources keep compiling while Linux is the only place tests run.
# Exit 77 (ctest: skipped) when the cross compiler is not installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cxx=$(command -v x86_64-w64-mingw32-g++-posix || true)
[ -n "$cxx" ] || { echo "x86_64-w64-mingw32-g++-posix not installed: skipped"; exit 77; }
inc=$(mktemp -d)
trap 'rm -rf "$inc"' EXIT
# Header-only libraries from Debian, without the rest of /usr/include (glibc headers clash).
for d in spdlog fmt nlohmann; do ln -s "/usr/include/$d" "$inc/$d"; done
# The files that call platform.h; the rest of transport is plain standard C++ (or libcurl,
# which the Windows agent replaces with WinHTTP).
for f in src/platform/platform.windows.cc src/transport/spool.cc src/transport/identity.cc; do
  "$cxx" -std=c++20 -fsyntax-only -Wall -Wextra -Werror -I"$root/src" -I"$inc" \
    -DSPDLOG_FMT_EXTERNAL -DFMT_HEADER_ONLY "$root/$f"
  echo "ok $f"
done
