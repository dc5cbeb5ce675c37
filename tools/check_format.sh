#!/usr/bin/env bash
# Fails when clang-format would change any C++ file of ours.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mapfile -t files < <(git ls-files '*.h' '*.cc' 2>/dev/null || find src apps tests bench -name '*.h' -o -name '*.cc')
[ ${#files[@]} -gt 0 ] || { echo "no sources"; exit 0; }
bad=()
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "clang-format would change: ${bad[*]}"; echo "fix with: clang-format -i ${bad[*]}"; exit 1
fi
echo "clang-format clean (${#files[@]} files)"
