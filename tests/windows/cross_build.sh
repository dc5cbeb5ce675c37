#!/usr/bin/env bash
# ctest windows.cross_build: configures and builds the "windows" preset (mingw-w64, agent and its
# tests only) in <build dir>, so the Windows agent keeps building with every change.
# Usage: cross_build.sh <source dir> <build dir>. Exit 77 (skipped) without the cross compiler.
set -euo pipefail
src=$1 out=$2
command -v x86_64-w64-mingw32-g++-posix >/dev/null || {
  echo "x86_64-w64-mingw32-g++-posix is not installed (packages/test-windows.txt): skipped"
  exit 77
}
# ccache hits from build/windows (same sources) carry over to this folder.
export CCACHE_BASEDIR="$src" CCACHE_NOHASHDIR=true
cd "$src"
cmake --preset windows -B "$out" >"$out.configure.log" 2>&1 || { cat "$out.configure.log"; exit 1; }
cmake --build "$out" -j2
ls -l "$out/bin/sentinel-agent.exe"
# One self-contained program: it must import system DLLs only (no libstdc++/winpthread DLLs).
if command -v x86_64-w64-mingw32-objdump >/dev/null; then
  dlls=$(x86_64-w64-mingw32-objdump -p "$out/bin/sentinel-agent.exe" | awk '/DLL Name/ {print tolower($3)}' | sort -u)
  echo "imports: $(echo $dlls)"
  for d in $dlls; do
    case $d in
      kernel32.dll|advapi32.dll|user32.dll|shell32.dll|ws2_32.dll|winhttp.dll|crypt32.dll|msvcrt.dll|\
      bcrypt.dll|iphlpapi.dll|ole32.dll|gdi32.dll|api-ms-win-*) ;;
      *) echo "FAILED: sentinel-agent.exe needs $d, which Windows does not ship"; exit 1 ;;
    esac
  done
fi
echo "windows cross build: ok"
