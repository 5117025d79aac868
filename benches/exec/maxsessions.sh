#!/usr/bin/env bash
# As root: OpenSSH's MaxSessions (10 here) does not limit direct-tcpip channels. N lab devices
# (default 40, all sessions held open to the end of the run) behind one connection to a real
# sshd with MaxSessions 10; loopback only.
#   sudo N=40 benches/exec/maxsessions.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-$ROOT/target/release/fleetdash}
SCEN=$ROOT/benches/exec/linux.yaml
W=$(mktemp -d); cd "$W"
ssh-keygen -q -t ed25519 -N '' -f hostkey; ssh-keygen -q -t ed25519 -N '' -f userkey
cp userkey.pub authorized_keys
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > sshd_config <<C
Port $PORT
ListenAddress 127.0.0.1
HostKey $W/hostkey
PidFile $W/sshd.pid
AuthorizedKeysFile $W/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding yes
MaxSessions 10
LogLevel ERROR
C
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f sshd_config 2>sshd.log & SSHD=$!
export FLEETDASH_PASSWORD=ms-pw
$BIN lab --devices ${N:-40} --scenario "$SCEN" --base 127.28.0.1 --port 2222 --password ms-pw --write-inventory devices.yaml --write-known-hosts kh >lab.log 2>&1 & LAB=$!
trap 'kill $SSHD $LAB 2>/dev/null; rm -rf "$W"' EXIT
for _ in $(seq 100); do grep -q "known_hosts written" lab.log 2>/dev/null && break; sleep 0.1; done
for _ in $(seq 100); do [ -f sshd.pid ] && break; sleep 0.1; done
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 hostkey.pub)" >> kh
sed 's/^defaults:$/defaults:\n  jump: bastion-1/' devices.yaml > jump.yaml
printf -- '- {name: bastion-1, host: 127.0.0.1, port: %s, platform: linux, username: root, key_file: %s, jump: none}\n' "$PORT" "$W/userkey" >> jump.yaml
$BIN exec jump.yaml --limit 'all:!bastion-1' --json --concurrency ${N:-40} --known-hosts kh --host-keys strict --journal audit.jsonl -- uname -a > out.jsonl 2>err || true
echo "ok: $(grep -c '"ok":true' out.jsonl || true) of ${N:-40} over one sshd connection"
grep -v '"ok":true' out.jsonl | head -3 || true
head -5 sshd.log || true
