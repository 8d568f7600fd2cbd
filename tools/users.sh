#!/bin/sh
# Create Postern's system users and directories.  Idempotent: safe to run
# on every `make run` and `make test`.
#
#   _smtpd  runs control, lka, ca, smtp, mta, mda (no home, no shell)
#   _smtpq  runs queue and scheduler, owns the spool
#   /var/empty             root-owned empty chroot for roles without files
#   /var/spool/smtpd       spool root, 0711 root
set -eu
[ "$(id -u)" -eq 0 ] || { echo "users: must be run as root" >&2; exit 1; }

EMPTY=/var/empty
SPOOL=${SPOOL:-/var/spool/smtpd}
NOLOGIN=/usr/sbin/nologin

install -d -o root -g root -m 755 "$EMPTY"

if ! getent group _smtpd >/dev/null; then groupadd --system _smtpd; fi
if ! getent group _smtpq >/dev/null; then groupadd --system _smtpq; fi
if ! getent passwd _smtpd >/dev/null; then
	useradd --system -g _smtpd -d "$EMPTY" -s "$NOLOGIN" \
	    -c "Postern SMTP daemon" _smtpd
fi
if ! getent passwd _smtpq >/dev/null; then
	useradd --system -g _smtpq -d "$EMPTY" -s "$NOLOGIN" \
	    -c "Postern SMTP queue" _smtpq
fi

install -d -o root -g root -m 711 "$SPOOL"
for d in queue incoming corrupt purge temporary; do
	install -d -o _smtpq -g root -m 700 "$SPOOL/$d"
done
install -d -o root -g _smtpq -m 770 "$SPOOL/offline"
