#!/bin/sh
# scratch-root.sh DIR DEB: installs DEB in a scratch root and runs
# install-check.sh there. The scratch root is an overlay of / whose changes
# land in a tmpfs on DIR, inside private mount and network namespaces, so
# nothing reaches the machine's own files, users or ports; it all vanishes
# when this script ends, and so does any process started there (the pid
# namespace ends with its first process). Needs root (unshare, mount, chroot).
set -eu
dir=$1 deb=$2
here=$(cd "$(dirname "$0")" && pwd)
exec unshare --mount --net --pid --fork sh -eu -c '
dir=$1 deb=$2 here=$3
mount --make-rprivate /
mount -t tmpfs tmpfs "$dir"
mkdir -p "$dir/upper" "$dir/work" "$dir/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
mount -t proc proc "$dir/root/proc"
mount --rbind /dev "$dir/root/dev"
mount -t tmpfs tmpfs "$dir/root/tmp"
mount -t tmpfs tmpfs "$dir/root/run"
cp "$deb" "$dir/root/tmp/roster.deb"
cp "$here/install-check.sh" "$dir/root/tmp/install-check.sh"
ip link set lo up
chroot "$dir/root" /bin/sh /tmp/install-check.sh /tmp/roster.deb
' scratch "$dir" "$deb" "$here"
