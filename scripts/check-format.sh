#!/usr/bin/env bash
# Checks that every C source and header of the repository (*.c, *.h known to
# git, plus new files not yet added and not ignored) is formatted as
# .clang-format says, with clang-format 14 (Debian 12's, the version CI pins:
# other versions format some constructs differently). Prints the files to fix
# and exits 1 when any is not formatted; changes nothing.
#
#   ./scripts/check-format.sh              # check
#   clang-format -i FILE...                # then fix the files it lists
#
# CLANG_FORMAT names another binary (default clang-format-14, else
# clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."

cf=${CLANG_FORMAT:-}
if [ -z "$cf" ]; then
    cf=clang-format
    command -v clang-format-14 > /dev/null && cf=clang-format-14
fi
if ! command -v "$cf" > /dev/null; then
    echo "$0: $cf not found (Debian: apt-get install clang-format)" >&2
    exit 2
fi
version=$("$cf" --version)
case $version in
    *" version 14."*) ;;
    *) echo "$0: warning: CI checks with clang-format 14, this is: $version" >&2 ;;
esac
# A .clang-format this version cannot read would make every file "unformatted".
if ! err=$("$cf" --dump-config 2>&1 > /dev/null) || [ -n "$err" ]; then
    echo "$0: $cf cannot use .clang-format: $err" >&2
    exit 2
fi

if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
    mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' | sort -u)
else
    mapfile -t files < <(find . -path ./.git -prune -o -path './build*' -prune \
        -o -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
fi

bad=()
fix=()
checked=0
for f in "${files[@]}"; do
    [ -f "$f" ] || continue # deleted in the work tree, not yet in the index
    checked=$((checked + 1))
    if ! out=$("$cf" --dry-run --Werror "$f" 2>&1); then
        # One line per place to change: "FILE:LINE:COL: error: code should be
        # clang-formatted [-Wclang-format-violations]", then source lines.
        places=$(grep -c ': error: ' <<< "$out" || true)
        first=$(grep -m 1 ': error: ' <<< "$out" | cut -d: -f2 || true)
        bad+=("$f  (changes at $places places, the first at line ${first:-?})")
        fix+=("$f")
    fi
done

if [ "${#bad[@]}" -ne 0 ]; then
    echo "check-format: ${#bad[@]} of $checked files are not formatted as .clang-format says:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    echo "fix with: $cf -i ${fix[*]}" >&2
    echo "(then see what changed with git diff; reformatting goes in its own commit)" >&2
    exit 1
fi
echo "check-format: $checked files formatted ($cf)"
