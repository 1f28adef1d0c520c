#!/bin/sh
# After removing: systemd forgets the unit. The database in /var/lib/roster
# and the roster user stay, even on purge: they hold the office's accounts.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
exit 0
