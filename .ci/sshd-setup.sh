#!/usr/bin/env bash
# Root-only preparation for tests/ssh_sshd.rs (idempotent): the local account the test logs
# in as against its own loopback sshd, a fresh random password for it, and sshd's
# privilege-separation directory. The password goes to a file only the invoking user can
# read; it is never printed. Run as root (or via sudo) before `cargo test`.
set -euo pipefail

user=fleetdash-test
state=/run/fleetdash-test
owner=${SUDO_USER:-root}

if [ "$(id -u)" -ne 0 ]; then
  echo "sshd-setup: must run as root (try: sudo $0)" >&2
  exit 1
fi

id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user"
mkdir -p /run/sshd "$state"
chmod 0755 /run/sshd

password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s:%s\n' "$user" "$password" | chpasswd
umask 077
printf '%s' "$password" >"$state/password"
chown "$owner" "$state" "$state/password"
