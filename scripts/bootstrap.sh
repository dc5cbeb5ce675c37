#!/usr/bin/env bash
# Installs exactly the Debian packages from packages/<set>.txt that are not installed yet.
# Idempotent: a second run installs nothing and does not touch apt's lists.
# Usage: scripts/bootstrap.sh build [test ...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- build

wanted=()
for set_name in "$@"; do
  # A set is packages/<set>.txt plus any packages/<set>-<area>.txt.
  lists=("$root/packages/$set_name.txt" "$root"/packages/"$set_name"-*.txt)
  [ -f "${lists[0]}" ] || { echo "bootstrap: no package list ${lists[0]}" >&2; exit 2; }
  for list in "${lists[@]}"; do
    [ -f "$list" ] || continue
    while read -r pkg _; do
      [[ -z "$pkg" || "$pkg" == \#* ]] && continue
      wanted+=("$pkg")
    done <"$list"
  done
done

# Names that an installed package provides count as present (e.g. a nodejs build that bundles npm
# and conflicts with Debian's npm package).
provided=$(dpkg-query -W -f='${Status}\t${Provides}\n' 2>/dev/null |
  awk -F'\t' '$1 == "install ok installed" { print $2 }' | tr ',' '\n' | sed 's/([^)]*)//; s/ //g')
missing=()
for pkg in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] && continue
  grep -qxF "$pkg" <<<"$provided" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#wanted[@]} packages present"
  exit 0
fi

echo "bootstrap: installing ${#missing[@]} missing packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
"${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
