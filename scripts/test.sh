#!/usr/bin/env bash
# Builds flowshark and runs the whole test suite twice: a normal build, then
# a build with AddressSanitizer + UndefinedBehaviorSanitizer (leak checks on).
# Extra CMake flags can be passed in FS_CMAKE_FLAGS (CI sets -DFS_WERROR=ON).
# The tests are turned on whatever build/ held before (the README's quick
# start configures it with -DFS_BUILD_TESTS=OFF), and a run in which no test
# ran fails.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
flags=${FS_CMAKE_FLAGS:-}

echo "== build and test (RelWithDebInfo) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo $flags -DFS_BUILD_TESTS=ON > /dev/null
cmake --build build -j "$jobs"
ctest --test-dir build -j "$jobs" --output-on-failure --no-tests=error

echo "== build and test under AddressSanitizer + UndefinedBehaviorSanitizer =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFS_SANITIZE=address,undefined $flags \
    -DFS_BUILD_TESTS=ON > /dev/null
cmake --build build-asan -j "$jobs"
ctest --test-dir build-asan -j "$jobs" --output-on-failure --no-tests=error
