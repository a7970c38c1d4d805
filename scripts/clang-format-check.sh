#!/bin/sh
# clang-format over every C++ and CUDA source; fails on any difference unless --fix is given.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files 'native/*.cc' 'native/*.h' 'native/*.cu' 2>/dev/null || find native -name '*.cc' -o -name '*.h' -o -name '*.cu')
[ -n "$files" ] || exit 0
if [ "${1:-}" = "--fix" ]; then
  clang-format -i $files
else
  clang-format --dry-run --Werror $files
fi
