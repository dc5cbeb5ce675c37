#!/usr/bin/env bash
# Rejects includes that would let the packet path reach network, TLS, database or server code.
# CMake enforces the same rule on the link graph (cmake/Sentinel.cmake); this catches includes
# that would compile through a transitive include path.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
packet_path=(common platform config schema decode capture detect intel)
forbidden='#include[[:space:]]*[<"](boost/|openssl/|curl/|libcurl/|sqlite3|SQLiteCpp|pqxx|libpq|transport/|store/|server/|web/|outputs/)'
status=0
for lib in "${packet_path[@]}"; do
  [ -d "$root/src/$lib" ] || continue
  if hits=$(grep -rnE "$forbidden" "$root/src/$lib" --include='*.h' --include='*.cc'); then
    echo "packet-path library '$lib' includes forbidden headers:"; echo "$hits"; status=1
  fi
done
[ $status -eq 0 ] && echo "packet path is clean: ${packet_path[*]}"
exit $status
