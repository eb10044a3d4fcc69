#!/usr/bin/env bash
# Checks that the tracked C++ files follow the repository's .clang-format, changing nothing.
#   scripts/check_format.sh            every tracked *.cpp *.hpp *.h *.cu
#   scripts/check_format.sh FILE...    only these files (e.g. the files a change touches:
#                                      scripts/check_format.sh $(git diff --name-only main -- '*.cpp' '*.hpp' '*.h' '*.cu'))
# Prints each offending file and exits 1 if any; the fix is `clang-format -i FILE`.
# CLANG_FORMAT=/path/to/clang-format picks another binary (the tree is formatted with Debian 12's clang-format 14).
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null 2>&1; then
    echo "check_format: '$clang_format' not found (apt-get install clang-format)" >&2
    exit 2
fi
if [ ! -f .clang-format ]; then
    echo "check_format: no .clang-format at $(pwd)" >&2
    exit 2
fi

files=()
if [ $# -gt 0 ]; then
    for f in "$@"; do
        case "$f" in
            *.cpp | *.hpp | *.h | *.cu) [ -f "$f" ] && files+=("$f") ;;
        esac
    done
else
    while IFS= read -r -d '' f; do
        [ -f "$f" ] && files+=("$f")  # skip files deleted in the work tree but still in the index
    done < <(git ls-files -z -- '*.cpp' '*.hpp' '*.h' '*.cu')
fi
if [ ${#files[@]} -eq 0 ]; then
    echo "check_format: no C++ files to check"
    exit 0
fi

bad=()
for f in "${files[@]}"; do
    # --dry-run --Werror: exit non-zero and print a diagnostic per change clang-format would make; keep only the count.
    if ! "$clang_format" --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
        bad+=("$f")
    fi
done

if [ ${#bad[@]} -gt 0 ]; then
    printf '%s\n' "${bad[@]}"
    echo "check_format: ${#bad[@]} of ${#files[@]} files are not clang-formatted (fix: clang-format -i FILE...)" >&2
    exit 1
fi
echo "check_format: ${#files[@]} files clean"
