#!/bin/sh
# install-check.sh DEB, inside the scratch root: install the package with
# apt-get, print what the test checks (user, folder, version), then start
# `roster serve` as the roster user without systemd, run `roster doctor`
# against it, and stop it.
set -eu
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends "$1" >/tmp/apt.log 2>&1; then
	cat /tmp/apt.log
	exit 1
fi
echo "user: $(getent passwd roster)"
echo "dir: $(stat -c '%a %U:%G' /var/lib/roster)"
echo "version: $(roster --version)"
echo "unit: $(grep -E '^(ExecStart|EnvironmentFile)=' /usr/lib/systemd/system/roster.service | tr '\n' ' ')"

# As the service would run: the roster user, a clean environment with the
# service's HOME, /etc/default/roster's settings. Every step execs, so $pid
# is roster itself and gets the SIGTERM.
as_roster="setpriv --reuid roster --regid roster --init-groups env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/roster USER=roster LOGNAME=roster"
settings='set -a; . /etc/default/roster; exec "$@"'
$as_roster sh -c "$settings" roster roster serve --http 127.0.0.1:8080 >/tmp/serve.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
tries=0
until grep -q "invitation site listening" /tmp/serve.log; do
	tries=$((tries + 1))
	if [ $tries -gt 600 ] || ! kill -0 $pid 2>/dev/null; then
		echo "serve did not start:"; cat /tmp/serve.log; exit 1
	fi
	sleep 0.05 # polling a condition, with a limit
done
echo "serve: listening"
code=0
$as_roster sh -c "$settings" roster roster doctor >/tmp/doctor.txt 2>&1 || code=$?
echo "doctor exit: $code"
sed 's/^/doctor: /' /tmp/doctor.txt
kill $pid
code=0
wait $pid || code=$?
echo "serve exit: $code"
echo "db: $(stat -c '%a %U:%G' /var/lib/roster/roster.db)"
