#!/bin/sh
# Installs the Debian packages the build needs, and only those that are missing.
# Runs as root, or through sudo when it is available. Prints nothing when all is there.
set -eu

PKGS="liblmdb-dev libnng-dev nng-utils libjansson-dev libcmocka-dev pkg-config tzdata"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
if [ "$(id -u)" = 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing; run as root or install sudo" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# An old package index cannot find the packages; refresh it once before giving up.
# shellcheck disable=SC2086
$SUDO apt-get install -y --no-install-recommends $missing ||
	{ $SUDO apt-get update && $SUDO apt-get install -y --no-install-recommends $missing; }
