#!/bin/sh
# After installing or upgrading: the roster system user, its database
# folder (0700), and systemd told about the unit. The service is not
# enabled or started: set /etc/default/roster first, check it with
# `roster doctor`, then `systemctl enable --now roster`.
set -e

if ! getent passwd roster >/dev/null; then
	if command -v adduser >/dev/null; then
		adduser --system --group --home /var/lib/roster --no-create-home \
			--shell /usr/sbin/nologin --gecos "Roster account administration" roster >/dev/null
	else
		useradd --system --user-group --home-dir /var/lib/roster --no-create-home \
			--shell /usr/sbin/nologin --comment "Roster account administration" roster
	fi
fi
install -d -m 0700 -o roster -g roster /var/lib/roster
chown root:roster /etc/default/roster

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
if [ -z "$2" ]; then
	echo "roster: set /etc/default/roster, then check: sudo -u roster sh -c 'set -a; . /etc/default/roster; roster doctor'"
	echo "roster: then start it with: systemctl enable --now roster"
fi
exit 0
