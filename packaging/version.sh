#!/bin/sh
# Prints the Debian version of this checkout: the nearest version tag from
# `git describe`, without its v and with + for - (v1.2.0-3-gabc1234 →
# 1.2.0+3+gabc1234); without one, 0.0.0~gitDATE.COMMIT, since a Debian
# version must start with a digit.
v=$(git describe --tags --dirty --match 'v[0-9]*' 2>/dev/null | sed 's/^v//')
if [ -n "$v" ]; then
	echo "$v" | tr - +
else
	c=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	echo "0.0.0~git$(date -u +%Y%m%d).$c"
fi
