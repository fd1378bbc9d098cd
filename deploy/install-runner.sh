#!/bin/sh
# deploy/install-runner.sh DEB: installs the runner from its Debian package
# into a Debian 12 system, its dependencies from the system's apt sources,
# and creates the unprivileged user it runs as (uid and gid 10001, home
# /home/runner, where the checksum cache goes when /migrations is mounted
# read-only) and /migrations, owned by it.
#
# The container image's only install step (deploy/Dockerfile), and what
# `scripts/test --package` runs in a minimal Debian 12 root: the same
# steps, so that the test proves the image's.
set -eu
deb=$1
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$deb"
apt-get clean
rm -rf /var/lib/apt/lists/*
groupadd --system --gid 10001 runner
useradd --system --uid 10001 --gid runner --create-home --home-dir /home/runner \
  --shell /usr/sbin/nologin runner
mkdir -p /migrations
chown runner:runner /migrations
