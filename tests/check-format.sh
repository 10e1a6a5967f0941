#!/bin/sh
# Every C file of the project is as clang-format leaves it (.clang-format at the top).
# Usage: check-format.sh SOURCE_ROOT
# Fix with: git ls-files '*.c' '*.h' | xargs clang-format -i
set -eu
root=$1
cd "$root"

if ! command -v clang-format >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    echo "clang-format is missing (tools/packages lists it)" >&2
    exit 1
  fi
  echo "SKIP: clang-format is not installed" >&2
  exit 77
fi
major=$(clang-format --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [ "$major" != 14 ] && [ "${CI:-}" != true ]; then
  # Other versions format some constructs differently; Debian 12's is the reference.
  echo "SKIP: clang-format $major is not 14" >&2
  exit 77
fi

if [ -d .git ] || git rev-parse --git-dir >/dev/null 2>&1; then
  files=$(git ls-files '*.c' '*.h')
else
  files=$(find src tests bench -name '*.[ch]' | sort)
fi

# One run for all files; clang-format names each file it would change.
if ! out=$(clang-format --dry-run --Werror $files 2>&1); then
  printf '%s\n' "$out" | sed -n 's/^\([^:]*\.[ch]\):[0-9]*:[0-9]*: error: .*/not formatted: \1/p' | sort -u >&2
  echo "run: clang-format -i FILE" >&2
  exit 1
fi
echo "all C files formatted"
