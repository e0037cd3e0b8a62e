#!/usr/bin/env bash
# Installs flowshark's build and test dependencies on Debian 12 with apt-get:
# the packages README's quick start and ./scripts/test.sh need. Runs apt-get
# through sudo only when not already root (a container or CI job running as
# root may have no sudo), never prompts (DEBIAN_FRONTEND=noninteractive), and
# installs no recommended packages, so users and CI get the same set.
#
#   ./scripts/install-deps.sh            # build, run and test flowshark
#   ./scripts/install-deps.sh --ci       # + what .ci/run needs besides
#   ./scripts/install-deps.sh PKG...     # + any further Debian packages
set -euo pipefail

# Build flowshark, run it, and run the whole test suite (scripts/test.sh,
# normal and AddressSanitizer + UndefinedBehaviorSanitizer builds).
# wireshark-common (dumpcap, live capture) comes with tshark; iproute2 (ip
# netns) is what tests/live builds its namespaces with; GnuTLS parses --tls's
# certificates and openssl is tests/tls's oracle and TLS peers.
packages=(build-essential cmake pkg-config libwireshark-dev tshark wireshark-common
    libglib2.0-dev libcmocka-dev python3 python3-jsonschema libndpi-dev libndpi-bin
    libsqlite3-dev sqlite3 iproute2 libgnutls28-dev openssl libigraph-dev)

# .ci/run also needs: clang and its runtime libraries (scripts/fuzz.sh:
# libFuzzer), pandas (tests/python's to_pandas test, skipped without it),
# clang-format 14 (scripts/check-format.sh), Slurm and munge
# (tests/cluster/test_slurm.sh starts a private single-node cluster), Dask
# (tests/cluster/test_dask.py: python3-distributed, which brings python3-dask),
# networkx and scikit-learn (tests/botnet: the graph's and DBSCAN's oracles;
# skipped without them outside CI).
ci_packages=(clang libclang-rt-14-dev python3-pandas clang-format slurm-wlm munge
    python3-distributed python3-networkx python3-sklearn)

for arg in "$@"; do
    case $arg in
        --ci) packages+=("${ci_packages[@]}") ;;
        -h | --help)
            sed -n '2,10s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        -*) echo "$0: unknown option $arg (usage: $0 [--ci] [PACKAGE...])" >&2; exit 1 ;;
        *) packages+=("$arg") ;;
    esac
done

# sudo resets the environment, so DEBIAN_FRONTEND goes on apt-get's command
# line through env rather than through an export.
as_root=(env DEBIAN_FRONTEND=noninteractive)
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo > /dev/null; then
        echo "$0: not root and no sudo: run it as root, or install sudo" >&2
        exit 1
    fi
    as_root=(sudo "${as_root[@]}")
fi

echo "== apt-get install ${packages[*]} =="
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" > /dev/null
