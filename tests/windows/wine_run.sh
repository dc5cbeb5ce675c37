#!/usr/bin/env bash
# Runs a Windows program under Wine with a private, quiet prefix: the emulator ctest uses for the
# mingw-w64 build (cmake/mingw-w64.cmake). WINEPREFIX defaults to a folder next to the program's
# build tree; the first run creates it (a few seconds), under a lock so parallel tests share it.
set -euo pipefail
wine=/usr/lib/wine/wine64
[ -x "$wine" ] || wine=$(command -v wine64 || command -v wine || true)
if [ -z "$wine" ]; then
  echo "wine is not installed (apt-get install wine wine64): skipped" >&2
  exit 77
fi
if [ -z "${WINEPREFIX:-}" ]; then
  dir=$(cd "$(dirname "$1")" && pwd)
  # <build>/bin or <build>/tests: keep the prefix at <build>/wine.
  export WINEPREFIX="$(dirname "$dir")/wine"
fi
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  mkdir -p "$WINEPREFIX"
  (
    flock 9
    [ -f "$WINEPREFIX/system.reg" ] || "$wine" wineboot -i >/dev/null 2>&1 || true
  ) 9>"$WINEPREFIX.lock"
fi
exec "$wine" "$@"
