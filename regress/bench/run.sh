#!/bin/sh
# Postern benchmarks: compare build/smtpd with OpenSMTPD 6.8 (Debian's
# opensmtpd package) and Postfix (Debian's package, unpacked, never
# installed) in one run and report ratios.  Informational only: the exit
# status says whether the harness ran, never whether a number is good.
# See regress/bench/README.md for what each section measures.
#
# Environment (all optional):
#   BENCH_SECTIONS  sections to run, in order     (default: "parse idle smtp tls")
#   BENCH_RUNS      timed runs per parse command  (default: 20)
#   BENCH_STARTS    daemon starts per daemon      (default: 3)
#   BENCH_SCALE     size of the generated config  (default: 1000)
#   BENCH_PORT      first of 4 loopback ports     (default: 2600)
#   BENCH_SETTLE    seconds to idle before measuring memory (default: 2)
#   BENCH_NOINSTALL set to 1 to never call apt-get
#   BUILD           build directory with smtpd, smtpctl (default: build)
#   BENCH_DIR       work directory                (default: $BUILD/bench)
#   BENCH_MSGS, BENCH_CONC, BENCH_ROUNDS, BENCH_IDLE, BENCH_USER,
#   BENCH_SMTP_DAEMONS: the smtp section (see README.md)
#   BENCH_TLS_KEYS, BENCH_TLS_DAEMONS, BENCH_TLS_MSGS, BENCH_TLS_CONC,
#   BENCH_TLS_REUSE, BENCH_TLS12, BENCH_TLS_PLAIN, BENCH_TLS_RESUME,
#   BENCH_TLS_HS, BENCH_TLS_PROCS, BENCH_TLS_CHECKPROCS: the tls section
#   (see README.md)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# BUILD: the build directory holding smtpd and smtpctl (as `make
# BUILD=...`), relative to the top of the tree or absolute.
: "${BUILD:=build}"
case $BUILD in
/*) BD=$BUILD ;;
*) BD=$top/$BUILD ;;
esac
B=${BENCH_DIR:-$BD/bench}
RES=$B/results.tsv
TXT=$B/results.txt

: "${BENCH_SECTIONS:=parse idle smtp tls}"
: "${BENCH_RUNS:=20}"
: "${BENCH_STARTS:=3}"
: "${BENCH_SCALE:=1000}"
: "${BENCH_PORT:=2600}"
: "${BENCH_SETTLE:=2}"
: "${BENCH_NOINSTALL:=0}"
: "${BENCH_MSGS:=5000}"		# messages per smtp-source run
: "${BENCH_MSGS5:=200}"		# the same for OpenSMTPD with backlog 5
: "${BENCH_SIZE:=1024}"		# bytes per message
: "${BENCH_CONC:=20 100}"		# smtp-source concurrencies
: "${BENCH_ROUNDS:=3}"		# runs per concurrency (median)
: "${BENCH_IDLE:=500}"		# idle sessions for memory per session
: "${BENCH_USER:=pbench}"		# local user receiving the mail
: "${BENCH_SMTP_TIMEOUT:=180}"	# seconds per run before giving up
: "${BENCH_FS:=disk}"		# loop: spools, Maildirs on a fresh ext4
: "${BENCH_FS_SIZE:=4G}"		# size of that file system's image
: "${BENCH_SMTP_DAEMONS:=postern opensmtpd5 opensmtpd postfix}"
: "${BENCH_TLS_KEYS:=rsa ecdsa}"	# server key types of the tls section
: "${BENCH_TLS_DAEMONS:=postern opensmtpd postfix}"
: "${BENCH_TLS_MSGS:=3000}"		# messages per tlsload run
: "${BENCH_TLS_CONC:=20}"		# concurrent TLS sessions
: "${BENCH_TLS_REUSE:=10}"		# messages per session, reuse runs
: "${BENCH_TLS12:=1}"		# 1: also a run with TLS 1.2
: "${BENCH_TLS_PLAIN:=1}"		# 1: also the client without STARTTLS
: "${BENCH_TLS_RESUME:=1}"		# 1: also a client that resumes sessions
: "${BENCH_TLS_HS:=1}"		# 1: also sessions without mail
: "${BENCH_TLS_PROCS:=2}"		# client processes
: "${BENCH_TLS_CHECKPROCS:=4}"	# client processes of the capacity check

# Postern is run from a copy taken when the run starts, so that a
# rebuild during the run cannot change (or briefly remove) it.  It
# re-executes itself through /proc/self/exe, so the copy is complete.
P_BUILT=$BD/smtpd
P_CTLBUILT=$BD/smtpctl
P_SMTPD=$B/bin/smtpd
P_SMTPCTL=$B/bin/smtpctl
O_SMTPD=/usr/sbin/smtpd
O_SMTPCTL=/usr/sbin/smtpctl
PF_ROOT=$B/postfix-root
PF_LIB=$PF_ROOT/usr/lib/postfix
PF_SBIN=$PF_ROOT/usr/sbin
PF_DIR=$B/postfix

PORT_P=$((BENCH_PORT + 1))	# Postern
PORT_O=$((BENCH_PORT + 2))	# OpenSMTPD
PORT_X=$((BENCH_PORT + 3))	# Postfix

POLICY_CREATED=0

say() { printf 'bench: %s\n' "$*"; }
note() { printf 'note\t%s\n' "$*" >>"$RES"; say "$*"; }
# row METRIC UNIT POSTERN OPENSMTPD POSTFIX   ("-" for not measured)
row() { printf 'row\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$RES"; }
tool() { python3 "$here/benchtool.py" "$@"; }
now_ns() { date +%s%N; }
have() { command -v "$1" >/dev/null 2>&1; }

cleanup() {
	# A cycle interrupted half-way leaves LOG.pid behind (benchtool.py
	# removes it once the daemon is gone).
	for f in "$B"/*/log.pid "$B"/*/log.*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			say "cleanup: stopping pid $pid"
			kill -TERM "$pid" 2>/dev/null
		fi
		rm -f "$f"
	done
	if [ "$POLICY_CREATED" = 1 ]; then
		rm -f /usr/sbin/policy-rc.d
		POLICY_CREATED=0
	fi
}
# BENCH_FS=loop mounts file systems: run the whole harness in a mount
# namespace of its own, so that they are never seen outside it and go
# away with it.
if [ "$BENCH_FS" = loop ] && [ -z "${BENCH_IN_NS:-}" ]; then
	if unshare --mount --propagation private true 2>/dev/null; then
		BENCH_IN_NS=1
		export BENCH_IN_NS
		exec unshare --mount --propagation private sh "$0" "$@"
	fi
	say "BENCH_FS=loop needs mount namespaces: using the disk as it is"
	BENCH_FS=disk
fi
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------
# Tools and reference daemons.

pkg_ok() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
	    grep -q 'install ok installed'
}

APT_UPDATED=0
apt_install() {
	[ "$BENCH_NOINSTALL" = 1 ] && return 1
	if [ "$APT_UPDATED" = 0 ]; then
		apt-get update -qq >>"$B/apt.log" 2>&1
		APT_UPDATED=1
	fi
	say "installing $*"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends "$@" >>"$B/apt.log" 2>&1
}

ensure_tools() {
	missing=""
	for p in python3 util-linux hyperfine valgrind; do
		pkg_ok "$p" || missing="$missing $p"
	done
	# shellcheck disable=SC2086
	[ -z "$missing" ] || apt_install $missing ||
	    say "could not install$missing (see $B/apt.log)"
	have python3 || { say "python3 is required"; exit 1; }
}

# OpenSMTPD: install Debian's package without letting it start (a
# policy-rc.d that denies every start), keep it from starting at boot,
# and make sure no daemon of it was left running.
ensure_opensmtpd() {
	pkg_ok opensmtpd && return 0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# bench: deny service starts\nexit 101\n' \
		    >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		POLICY_CREATED=1
	fi
	before=""
	[ -f /run/smtpd.pid ] && before=$(cat /run/smtpd.pid 2>/dev/null)
	apt_install opensmtpd
	rc=$?
	if [ "$POLICY_CREATED" = 1 ]; then
		rm -f /usr/sbin/policy-rc.d
		POLICY_CREATED=0
	fi
	[ $rc -eq 0 ] || return 1
	if have deb-systemd-helper; then
		deb-systemd-helper disable opensmtpd.service >/dev/null 2>&1
	fi
	have update-rc.d && update-rc.d opensmtpd disable >/dev/null 2>&1
	if [ -f /run/smtpd.pid ]; then
		pid=$(cat /run/smtpd.pid 2>/dev/null)
		if [ -n "$pid" ] && [ "$pid" != "$before" ] &&
		    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$O_SMTPD" ]
		then
			note "the opensmtpd install started pid $pid; stopped it"
			kill -TERM "$pid"
		fi
	fi
	return 0
}

# Postfix conflicts with opensmtpd as a package: download it and unpack
# it under build/bench, then run it from there with private directories.
ensure_postfix() {
	if [ ! -x "$PF_LIB/sbin/master" ]; then
		[ "$BENCH_NOINSTALL" = 1 ] && return 1
		mkdir -p "$B/pkgs"
		rm -f "$B"/pkgs/postfix_*.deb
		if ! (cd "$B/pkgs" && apt-get download postfix) \
		    >>"$B/apt.log" 2>&1; then
			apt-get update -qq >>"$B/apt.log" 2>&1
			APT_UPDATED=1
			(cd "$B/pkgs" && apt-get download postfix) \
			    >>"$B/apt.log" 2>&1 || return 1
		fi
		rm -rf "$PF_ROOT"
		dpkg -x "$B"/pkgs/postfix_*.deb "$PF_ROOT" || return 1
	fi
	# Its shared-library dependencies (libicu, libdb, ...) do not
	# conflict with anything: install the missing ones.
	if LD_LIBRARY_PATH=$PF_LIB ldd "$PF_LIB/sbin/master" "$PF_SBIN/postconf" \
	    2>/dev/null | grep -q 'not found'; then
		deb=$(ls "$B"/pkgs/postfix_*.deb 2>/dev/null | head -n 1)
		libs=""
		[ -n "$deb" ] && libs=$(dpkg-deb -f "$deb" Depends |
		    tr ',' '\n' | sed 's/[(|].*//; s/ //g' | grep '^lib')
		# shellcheck disable=SC2086
		[ -n "$libs" ] && apt_install $libs
	fi
	if LD_LIBRARY_PATH=$PF_LIB ldd "$PF_LIB/sbin/master" 2>/dev/null |
	    grep -q 'not found'; then
		return 1
	fi
	getent group postdrop >/dev/null || groupadd --system postdrop
	getent passwd postfix >/dev/null ||
	    useradd --system -U -M -d /nonexistent -s /usr/sbin/nologin \
	    postfix
	return 0
}

# ---------------------------------------------------------------------
# Section: config parse time.

time_parse() {	# NAME BINARY CONF RUNS WARMUP -> sets T_MED (ms)
	name=$1 bin=$2 conf=$3 runs=$4 warm=$5
	T_MED=-
	if have hyperfine; then
		if hyperfine -N --style none --warmup "$warm" --runs "$runs" \
		    --export-json "$B/hf.$name.json" "'$bin' -n -f '$conf'" \
		    >"$B/hf.$name.log" 2>&1; then
			set -- $(tool hyperfine "$B/hf.$name.json") -
			T_MED=$1
		fi
	else
		set -- $(tool timeit "$runs" "$warm" -- "$bin" -n -f "$conf") -
		T_MED=$1
	fi
}

profile_parse() {	# NAME BINARY CONF -> sets MAXRSS (MiB) INSTR (M)
	name=$1 bin=$2 conf=$3
	MAXRSS=- INSTR=-
	MAXRSS=$(tool maxrss -- "$bin" -n -f "$conf") &&
	    MAXRSS=$(awk "BEGIN { print $MAXRSS / 1024 }") || MAXRSS=-
	have valgrind || return 0
	if valgrind --tool=callgrind \
	    --callgrind-out-file="$B/callgrind.$name.out" \
	    --log-file="$B/callgrind.$name.log" \
	    "$bin" -n -f "$conf" >/dev/null 2>&1; then
		INSTR=$(tool callgrind "$B/callgrind.$name.log") &&
		    INSTR=$(awk "BEGIN { print $INSTR / 1e6 }") || INSTR=-
	fi
}

section_parse() {
	say "== parse: smtpd -n on a generated config"
	big=$B/big.conf
	big4=$B/big4.conf
	small=$B/small.conf
	python3 "$here/genconf.py" -s "$BENCH_SCALE" >"$big"
	python3 "$here/genconf.py" -s "$((BENCH_SCALE * 4))" >"$big4"
	cat >"$small" <<-EOF
	listen on 127.0.0.1 port $BENCH_PORT
	action "local" mbox
	match from local for local action "local"
	EOF
	note "parse: big.conf = $(wc -l <"$big") lines, $(grep -c '^table' "$big") inline tables, $(grep -c '^action' "$big") actions, $(grep -c '^match' "$big") match rules, $(grep -c '^[a-z_0-9]* = ' "$big") macros (genconf.py -s $BENCH_SCALE); big4.conf has 4 times the tables, actions and rules; timed by $(have hyperfine && echo hyperfine || echo a timing loop), $BENCH_RUNS runs after 3 warm-ups (big4.conf: 3 runs)"
	for v in p o; do
		eval "${v}_big=- ${v}_small=- ${v}_big4=- ${v}_grow=- ${v}_rss=- ${v}_ins=-"
	done
	for impl in postern opensmtpd; do
		if [ $impl = postern ]; then bin=$P_SMTPD v=p; else bin=$O_SMTPD v=o; fi
		if [ ! -x "$bin" ]; then
			if [ $impl = postern ]; then
				note "parse: Postern skipped: $P_BUILT not built"
			else
				note "parse: OpenSMTPD skipped: $bin not installed"
			fi
			continue
		fi
		bad=""
		for c in "$small" "$big"; do
			if ! "$bin" -n -f "$c" >"$B/n.$impl.out" 2>&1; then
				bad="$c"
				break
			fi
		done
		if [ -n "$bad" ]; then
			note "parse: $impl skipped: $bin -n -f $(basename "$bad") failed: $(grep -v '^$' "$B/n.$impl.out" | head -n 3 | tr '\n' ' ')"
			continue
		fi
		say "parse: $impl"
		time_parse "$impl-small" "$bin" "$small" "$BENCH_RUNS" 3
		eval "${v}_small=\$T_MED"
		time_parse "$impl" "$bin" "$big" "$BENCH_RUNS" 3
		eval "${v}_big=\$T_MED"
		profile_parse "$impl" "$bin" "$big"
		eval "${v}_rss=\$MAXRSS ${v}_ins=\$INSTR"
		if "$bin" -n -f "$big4" >"$B/n4.$impl.out" 2>&1; then
			time_parse "$impl-x4" "$bin" "$big4" 3 0
			eval "${v}_big4=\$T_MED"
			eval "${v}_grow=\$(tool div \"\$${v}_big4\" \"\$${v}_big\")"
		else
			note "parse: $impl rejects big4.conf: $(grep -v '^$' "$B/n4.$impl.out" | head -n 2 | tr '\n' ' ')"
		fi
	done
	# shellcheck disable=SC2154
	{
	row "parse big.conf, median wall" ms "$p_big" "$o_big" -
	row "parse 3-line config, median wall" ms "$p_small" "$o_small" -
	row "parse big.conf, peak RSS" MiB "$p_rss" "$o_rss" -
	row "parse big.conf, instructions" Minstr "$p_ins" "$o_ins" -
	row "parse big4.conf (4x), median wall" ms "$p_big4" "$o_big4" -
	row "parse growth, big4 / big (linear: 4)" x "$p_grow" "$o_grow" -
	}
	have valgrind || note "parse: valgrind not available: no instruction counts"
	note "parse: Postfix has no smtpd.conf-like grammar (main.cf is flat name = value, tables are compiled by postmap), so it has no comparable parse to time"
}

# ---------------------------------------------------------------------
# Section: idle footprint and start-up time.
#
# For each daemon NAME: mkdir_NAME writes its configuration and checks
# it (returns 1, with a note, to skip the daemon), and cycle_NAME runs
# one `benchtool.py cycle`: start in the foreground, wait until ready,
# settle, measure the process tree, stop, wait until all have exited.

mkdir_postern() {
	d=$B/postern
	rm -rf "$d"
	mkdir -p "$d"
	# The same spool layout and modes as `make users` gives the default.
	SPOOL=$d/spool sh "$top/tools/users.sh" >"$d/users.log" 2>&1
	cat >"$d/smtpd.conf" <<-EOF
	# Postern bench instance: own spool, control socket and pid file.
	queue path "$d/spool"
	control socket "$d/control.sock"
	pidfile "$d/smtpd.pid"
	listen on 127.0.0.1 port $PORT_P
	action "local" mbox
	match from local for local action "local"
	EOF
	P_WRAP=""
	if ! "$P_SMTPD" -n -f "$d/smtpd.conf" >"$d/n.out" 2>&1; then
		# No pidfile directive (yet)?  Then give the default pid file
		# a private /run in a mount namespace of its own.
		sed -i '/^pidfile/d' "$d/smtpd.conf"
		if "$P_SMTPD" -n -f "$d/smtpd.conf" >"$d/n2.out" 2>&1 &&
		    [ "$NS_OK" = 1 ]; then
			mkdir -p "$d/run"
			P_WRAP=ns
			note "idle: Postern rejects 'pidfile': ran it with a private /run"
		else
			note "idle: Postern skipped: -n rejects its config: $(grep -v '^$' "$d/n.out" | head -n 2 | tr '\n' ' ')"
			return 1
		fi
	fi
	return 0
}

cycle_postern() {
	d=$B/postern
	rm -f "$d/control.sock"
	ctl="'$P_SMTPCTL' -s '$d/control.sock' show stats"
	if [ "$P_WRAP" = ns ]; then
		tool cycle "$d/log" "$PORT_P" "$BENCH_SETTLE" "$ctl" TERM -- \
		    unshare --mount sh -c "mount --bind '$d/run' /run &&
		    exec '$P_SMTPD' -d -f '$d/smtpd.conf'"
	else
		tool cycle "$d/log" "$PORT_P" "$BENCH_SETTLE" "$ctl" TERM -- \
		    "$P_SMTPD" -d -f "$d/smtpd.conf"
	fi
}

# OpenSMTPD's spool, control socket and pid file are compile-time
# constants.  Give it a private /var/spool and /run in a mount namespace
# of its own, so that it can neither see nor disturb anything else
# (another OpenSMTPD, or a Postern using the defaults).
mkdir_opensmtpd() {
	d=$B/opensmtpd
	rm -rf "$d"
	mkdir -p "$d/varspool" "$d/run"
	cat >"$d/smtpd.conf" <<-EOF
	listen on 127.0.0.1 port $PORT_O
	action "local" mbox
	match from local for local action "local"
	EOF
	if [ "$NS_OK" != 1 ]; then
		if [ -e /run/smtpd.sock ] || [ -e /var/spool/smtpd ]; then
			note "idle: OpenSMTPD skipped: no mount namespaces here, and /run/smtpd.sock or /var/spool/smtpd exists (it could disturb another daemon)"
			return 1
		fi
		note "idle: OpenSMTPD ran with the real /var/spool/smtpd and /run (no mount namespaces)"
	fi
	"$O_SMTPD" -n -f "$d/smtpd.conf" >"$d/n.out" 2>&1 || {
		note "idle: OpenSMTPD skipped: -n fails: $(head -n 2 "$d/n.out")"
		return 1
	}
	return 0
}

cycle_opensmtpd() {
	d=$B/opensmtpd
	if [ "$NS_OK" = 1 ]; then
		tool cycle "$d/log" "$PORT_O" "$BENCH_SETTLE" \
		    "nsenter -t {pid} -m $O_SMTPCTL show stats" TERM -- \
		    unshare --mount sh -c "mount --bind '$d/varspool' /var/spool &&
		    mount --bind '$d/run' /run &&
		    exec '$O_SMTPD' -d -f '$d/smtpd.conf'"
	else
		tool cycle "$d/log" "$PORT_O" "$BENCH_SETTLE" \
		    "$O_SMTPCTL show stats" TERM -- \
		    "$O_SMTPD" -d -f "$d/smtpd.conf"
	fi
}

# Postfix: Debian's main.cf defaults where they matter (syslog logging,
# no chroot), loopback only, private config, queue and data directories.
# pf_write DIR SMTPD_MAXPROC: a private Postfix instance's main.cf and
# master.cf under DIR/etc, its queue in DIR/spool.
pf_write() {
	d=$1
	rm -rf "$d"
	mkdir -p "$d/etc" "$d/spool" "$d/data"
	chown postfix "$d/data"
	cat >"$d/etc/main.cf" <<-EOF
	# Postfix bench instance (see regress/bench/README.md).
	compatibility_level = 3.6
	config_directory = $d/etc
	queue_directory = $d/spool
	data_directory = $d/data
	daemon_directory = $PF_LIB/sbin
	command_directory = $PF_SBIN
	shlib_directory = $PF_LIB
	meta_directory = $PF_ROOT/etc/postfix
	mail_owner = postfix
	setgid_group = postdrop
	myhostname = bench.localdomain
	mydestination = \$myhostname, localhost
	mynetworks = 127.0.0.0/8
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	alias_maps =
	alias_database =
	import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH
	EOF
	# Debian's stock master.cf, without chroot and the optional pipes.
	cat >"$d/etc/master.cf" <<-EOF
	127.0.0.1:$PORT_X inet n - n - $2 smtpd
	pickup    unix  n       -       n       60      1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	proxywrite unix -       -       n       -       1       proxymap
	smtp      unix  -       -       n       -       -       smtp
	relay     unix  -       -       n       -       -       smtp
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	local     unix  -       n       n       -       -       local
	virtual   unix  -       n       n       -       -       virtual
	lmtp      unix  -       -       n       -       -       lmtp
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
}

# pf_check DIR: `postfix check` creates the queue directories with their
# owners.
pf_check() {
	LD_LIBRARY_PATH=$PF_LIB MAIL_CONFIG=$1/etc \
	    "$PF_SBIN/postfix" -c "$1/etc" check >"$1/check.out" 2>&1 &&
	    [ -d "$1/spool/pid" ]
}

mkdir_postfix() {
	pf_write "$PF_DIR" -
	if ! pf_check "$PF_DIR"; then
		note "idle: Postfix skipped: postfix check failed (run it under script(1) to see why)"
		return 1
	fi
	return 0
}

# `master -s` is what `postfix start-fg` runs: the daemon without the
# shell integrity checks of `postfix start`.  Stopped by `postfix stop`.
cycle_postfix() {
	d=$PF_DIR
	LD_LIBRARY_PATH=$PF_LIB MAIL_CONFIG=$d/etc \
	    tool cycle "$d/log" "$PORT_X" "$BENCH_SETTLE" "" \
	    "'$PF_SBIN/postfix' -c '$d/etc' stop" -- \
	    "$PF_LIB/sbin/master" -c "$d/etc" -s
}

# measure_daemon NAME: BENCH_STARTS cycles; sets M_PORT M_CTL M_NPROC
# M_RSS M_PSS M_STOP (medians, "-" if not measured).
measure_daemon() {
	name=$1
	M_PORT=- M_CTL=- M_NPROC=- M_RSS=- M_PSS=- M_STOP=-
	l_port="" l_ctl="" l_n="" l_rss="" l_pss="" l_stop=""
	i=0
	while [ $i -lt "$BENCH_STARTS" ]; do
		i=$((i + 1))
		r=$("cycle_$name")
		rc=$?
		# shellcheck disable=SC2086
		set -- $r - - - - - - -
		case $rc in
		0) ;;
		1)	if [ "$2" != - ] && [ "$3" != - ]; then
				[ $i -eq 1 ] &&
				    note "idle: $name: control answered but its port never listened (within 2 s)"
			else
				note "idle: $name: not ready within 20 s; log: $(tail -n 3 "$B/$name/log" 2>/dev/null | tr '\n' ' ')"
				return 1
			fi ;;
		2)	note "idle: $name: exited during start-up; log: $(tail -n 3 "$B/$name/log" 2>/dev/null | tr '\n' ' ')"
			return 1 ;;
		3)	note "idle: $name: some processes did not exit within 10 s of the stop and were killed" ;;
		*)	note "idle: $name: measuring failed (rc $rc)"
			return 1 ;;
		esac
		if [ $i -eq 1 ] && [ -f "$B/$name/log.procs" ]; then
			cp "$B/$name/log.procs" "$B/procs.$name.txt"
		fi
		l_port="$l_port $1" l_ctl="$l_ctl $2" l_n="$l_n $3"
		l_rss="$l_rss $(awk "BEGIN { print $4 / 1024 }")"
		l_pss="$l_pss $(awk "BEGIN { print $5 / 1024 }")"
		l_stop="$l_stop $6"
	done
	# shellcheck disable=SC2086
	{
	M_PORT=$(tool median $l_port) M_CTL=$(tool median $l_ctl)
	M_NPROC=$(tool median $l_n) M_RSS=$(tool median $l_rss)
	M_PSS=$(tool median $l_pss) M_STOP=$(tool median $l_stop)
	}
	return 0
}

section_idle() {
	say "== idle: start-up time and idle footprint"
	for v in p o x; do
		eval "${v}_port=- ${v}_ctl=- ${v}_n=- ${v}_rss=- ${v}_pss=- ${v}_stop=-"
	done
	for name in postern opensmtpd postfix; do
		case $name in
		postern) v=p port=$PORT_P ok=1
			if [ ! -x "$P_SMTPD" ] || [ ! -x "$P_SMTPCTL" ]; then
				note "idle: Postern skipped: $P_BUILT or $P_CTLBUILT not built"
				ok=0
			fi ;;
		opensmtpd) v=o port=$PORT_O ok=$O_OK
			[ "$ok" = 1 ] || note "idle: OpenSMTPD skipped: not installed (see $B/apt.log)" ;;
		postfix) v=x port=$PORT_X ok=$X_OK
			[ "$ok" = 1 ] || note "idle: Postfix skipped: could not be unpacked or lacks libraries (see $B/apt.log)" ;;
		esac
		[ "$ok" = 1 ] || continue
		if tool listening "$port"; then
			note "idle: $name skipped: port $port is in use already (set BENCH_PORT)"
			continue
		fi
		"mkdir_$name" || continue
		say "idle: $name ($BENCH_STARTS starts)"
		measure_daemon "$name" || continue
		eval "${v}_port=\$M_PORT ${v}_ctl=\$M_CTL ${v}_n=\$M_NPROC"
		eval "${v}_rss=\$M_RSS ${v}_pss=\$M_PSS ${v}_stop=\$M_STOP"
	done
	# shellcheck disable=SC2154
	{
	row "idle processes" count "$p_n" "$o_n" "$x_n"
	row "idle RSS, sum over processes" MiB "$p_rss" "$o_rss" "$x_rss"
	row "idle PSS, sum over processes" MiB "$p_pss" "$o_pss" "$x_pss"
	row "start to port listening" ms "$p_port" "$o_port" "$x_port"
	row "start to control answering" ms "$p_ctl" "$o_ctl" -
	row "stop to all processes exited" ms "$p_stop" "$o_stop" "$x_stop"
	}
	note "idle: medians of $BENCH_STARTS starts; memory measured $BENCH_SETTLE s after ready; Postfix runs as master -s (what postfix start-fg runs), is stopped by postfix stop and has no control socket"
}

# ---------------------------------------------------------------------
# Section: SMTP throughput (smtp-source) and memory per idle session.
#
# Each daemon delivers user@localhost to a Maildir: Postern and
# OpenSMTPD to ~BENCH_USER/Maildir (maildir action), Postfix through its
# virtual(8) agent to DIR/vmail/BENCH_USER/Maildir.  smtp_NAME writes the
# configuration, checks it and sets S_DIR, S_MAILDIR, S_STOP, S_IDLE and
# S_CMD (the command line, as positional words in "$@" of smtp_run), or
# returns 1 with a note to skip the daemon.

# The bench user: created if missing, and used only if it is ours (its
# GECOS says so), since its Maildir is emptied before every run.
BU_MARK="Postern benchmark mailbox"
ensure_bench_user() {
	if ! getent passwd "$BENCH_USER" >/dev/null; then
		useradd -m -d "/home/$BENCH_USER" -s /usr/sbin/nologin \
		    -c "$BU_MARK" "$BENCH_USER" >>"$B/apt.log" 2>&1 || {
			note "smtp: skipped: could not create user $BENCH_USER"
			return 1
		}
		note "smtp: created user $BENCH_USER ($BU_MARK)"
	fi
	if [ "$(getent passwd "$BENCH_USER" | cut -d: -f5)" != "$BU_MARK" ]; then
		note "smtp: skipped: user $BENCH_USER exists but is not the bench's (GECOS is not \"$BU_MARK\"): set BENCH_USER"
		return 1
	fi
	BU_HOME=$(getent passwd "$BENCH_USER" | cut -d: -f6)
	BU_UID=$(id -u "$BENCH_USER")
	BU_GID=$(id -g "$BENCH_USER")
	mkdir -p "$BU_HOME"
	chown "$BU_UID:$BU_GID" "$BU_HOME"
	maildir_make "$BU_HOME/Maildir"
	return 0
}

maildir_make() {
	mkdir -p "$1/new" "$1/cur" "$1/tmp"
	chown -R "$BU_UID:$BU_GID" "$1"
	chmod 700 "$1" "$1/new" "$1/cur" "$1/tmp"
}

smtp_postern() {
	d=$SB/postern-smtp
	rm -rf "$d"
	mkdir -p "$d"
	SPOOL=$d/spool sh "$top/tools/users.sh" >"$d/users.log" 2>&1
	# max-sessions-per-ip: Postern's default (64) is below the 100
	# concurrent clients and 500 idle sessions that all come from
	# 127.0.0.1 here; neither reference has such a cap.
	tls_conf
	cat >"$d/smtpd.conf" <<-EOF
	# Postern bench instance: own spool, control socket and pid file.
	queue path "$d/spool"
	control socket "$d/control.sock"
	pidfile "$d/smtpd.pid"
	smtp limit max-sessions-per-ip 2000
	${T_PKI}listen on 127.0.0.1 port $PORT_P$T_LISTEN
	action "bench" maildir
	match from any for domain "localhost" action "bench"
	EOF
	if ! "$P_SMTPD" -n -f "$d/smtpd.conf" >"$d/n.out" 2>&1; then
		note "smtp: Postern skipped: -n rejects its config: $(grep -v '^$' "$d/n.out" | head -n 2 | tr '\n' ' ')"
		return 1
	fi
	S_DIR=$d S_MAILDIR=$BU_HOME/Maildir S_STOP=TERM S_IDLE=$BENCH_IDLE
	S_PORT=$PORT_P S_MSGS=$BENCH_MSGS
	set -- "$P_SMTPD" -d -f "$d/smtpd.conf"
	S_CMD=$(quote_args "$@")
	return 0
}

# OpenSMTPD in a mount namespace of its own (private /var/spool, /run,
# and the two fairness fixes: a resolv.conf that looks in /etc/hosts
# before DNS, a hosts file that names 127.0.0.1; with VARIANT "fixed",
# listen(2) backlog raised by the LD_PRELOAD wrapper).
smtp_opensmtpd() {
	variant=$1
	d=$SB/opensmtpd-smtp
	if [ "$NS_OK" != 1 ]; then
		note "smtp: OpenSMTPD skipped: no mount namespaces (it would need the real spool, /run and resolv.conf)"
		return 1
	fi
	rm -rf "$d"
	mkdir -p "$d/varspool" "$d/run"
	printf 'lookup file bind\nnameserver 127.0.0.1\n' >"$d/resolv.conf"
	printf '127.0.0.1\tlocalhost %s\n::1\tlocalhost\n' "$(hostname)" \
	    >"$d/hosts"
	tls_conf
	cat >"$d/smtpd.conf" <<-EOF
	${T_PKI}listen on 127.0.0.1 port $PORT_O$T_LISTEN
	action "bench" maildir
	match from any for domain "localhost" action "bench"
	EOF
	if ! "$O_SMTPD" -n -f "$d/smtpd.conf" >"$d/n.out" 2>&1; then
		note "smtp: OpenSMTPD skipped: -n fails: $(head -n 2 "$d/n.out" | tr '\n' ' ')"
		return 1
	fi
	pre=""
	if [ "$variant" = fixed ]; then
		if ! cc -shared -fPIC -O2 -o "$B/listen_backlog.so" \
		    "$here/listen_backlog.c" -ldl >"$d/cc.out" 2>&1; then
			note "smtp: OpenSMTPD (backlog fixed) skipped: cannot build listen_backlog.so: $(head -n 2 "$d/cc.out" | tr '\n' ' ')"
			return 1
		fi
		pre="LD_PRELOAD=$B/listen_backlog.so"
	fi
	S_DIR=$d S_MAILDIR=$BU_HOME/Maildir S_STOP=TERM S_PORT=$PORT_O
	# Memory per idle session does not depend on the backlog: measured
	# once, with the fixed variant.  With a backlog of 5, clients wait
	# for SYN retransmissions: fewer messages keep the run short.
	S_IDLE=0 S_MSGS=$BENCH_MSGS5
	[ "$variant" = fixed ] && S_IDLE=$BENCH_IDLE S_MSGS=$BENCH_MSGS
	set -- unshare --mount sh -c "mount --bind '$d/varspool' /var/spool &&
	    mount --bind '$d/run' /run &&
	    mount --bind '$d/resolv.conf' /etc/resolv.conf &&
	    mount --bind '$d/hosts' /etc/hosts &&
	    exec env $pre '$O_SMTPD' -d -f '$d/smtpd.conf'"
	S_CMD=$(quote_args "$@")
	return 0
}

# Postfix: the idle section's instance plus virtual(8) delivery of
# BENCH_USER@localhost to a Maildir, logging to a file (no syslog here),
# and enough smtpd processes for the idle sessions.
smtp_postfix() {
	d=$SB/postfix-smtp
	pf_write "$d" $((BENCH_IDLE + 100))
	maildir_make "$d/vmail/$BENCH_USER/Maildir"
	chown "$BU_UID:$BU_GID" "$d/vmail/$BENCH_USER"
	printf '%s@localhost\t%s/Maildir/\n' "$BENCH_USER" "$BENCH_USER" \
	    >"$d/etc/vmailbox"
	if ! LD_LIBRARY_PATH=$PF_LIB "$PF_SBIN/postconf" -c "$d/etc" -e \
	    "mydestination = \$myhostname" \
	    "virtual_mailbox_domains = localhost" \
	    "virtual_mailbox_base = $d/vmail" \
	    "virtual_mailbox_maps = texthash:$d/etc/vmailbox" \
	    "virtual_uid_maps = static:$BU_UID" \
	    "virtual_gid_maps = static:$BU_GID" \
	    "smtputf8_enable = no" \
	    "maillog_file = $d/maillog" \
	    "maillog_file_prefixes = $d" >"$d/postconf.out" 2>&1 ||
	    { [ -n "${TLS_KEY:-}" ] &&
	    ! LD_LIBRARY_PATH=$PF_LIB "$PF_SBIN/postconf" -c "$d/etc" -e \
	    "smtpd_tls_cert_file = $TLS_KEY.pem" \
	    "smtpd_tls_key_file = $TLS_KEY.key" \
	    "smtpd_tls_security_level = may" >>"$d/postconf.out" 2>&1; } ||
	    ! pf_check "$d"; then
		note "smtp: Postfix skipped: postconf or postfix check failed: $(head -n 2 "$d/postconf.out" "$d/check.out" 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
	S_DIR=$d S_MAILDIR=$d/vmail/$BENCH_USER/Maildir S_PORT=$PORT_X
	S_IDLE=$BENCH_IDLE S_MSGS=$BENCH_MSGS
	S_STOP="LD_LIBRARY_PATH='$PF_LIB' '$PF_SBIN/postfix' -c '$d/etc' stop"
	set -- env LD_LIBRARY_PATH="$PF_LIB" MAIL_CONFIG="$d/etc" \
	    "$PF_LIB/sbin/master" -d -c "$d/etc"
	S_CMD=$(quote_args "$@")
	return 0
}

# quote_args WORD...: the words as one shell-quoted string.
quote_args() {
	for a in "$@"; do
		printf "'%s' " "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"
	done
}

section_smtp() {
	say "== smtp: smtp-source throughput, memory per idle session"
	if [ "$X_OK" != 1 ] || [ ! -x "$PF_SBIN/smtp-source" ]; then
		note "smtp: skipped: no smtp-source (the Postfix package could not be unpacked)"
		return 0
	fi
	# smtp-source needs the unpacked libpostfix-*.so; the daemons must
	# not see that LD_LIBRARY_PATH.
	src=$B/smtp-source
	printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "'$PF_LIB'" \
	    "'$PF_SBIN/smtp-source'" >"$src"
	chmod 755 "$src"
	rm -f "$B"/smtp.*.out "$B/smtp.sum"
	ensure_bench_user || return 0
	SB=$B
	if [ "$BENCH_FS" = loop ]; then
		fs_loop || return 0
	fi
	fs=$(df -PT "$SB" | awk 'NR == 2 { print $1 " (" $2 ")" }')
	note "smtp: spools in $SB and Maildirs in $BU_HOME, on $fs$(fs_journal "$SB")"
	case $fs in
	*tmpfs*|*ramfs*) note "smtp: warning: $SB is on $fs: fsync costs nothing there" ;;
	esac
	# Round 0: check each daemon and measure its idle sessions (on a
	# fresh start: after a load, freed session memory stays in the heap
	# and Postfix keeps idle smtpd processes, which would hide what a
	# session costs).  Then BENCH_ROUNDS rounds that each run every
	# daemon in turn, so that other load on the machine is spread over
	# all of them rather than falling on one.
	daemons=""
	for name in $BENCH_SMTP_DAEMONS; do
		smtp_setup "$name" || continue
		if tool listening "$S_PORT"; then
			note "smtp: $name skipped: port $S_PORT is in use already (set BENCH_PORT)"
			continue
		fi
		daemons="$daemons $name"
		: >"$B/smtp.$name.out"
		if [ "$S_IDLE" -gt 0 ]; then
			say "smtp: $name: $S_IDLE idle sessions"
			smtp_one "$name" "" "$S_IDLE" idle
		fi
	done
	r=0
	while [ $r -lt "$BENCH_ROUNDS" ]; do
		r=$((r + 1))
		for name in $daemons; do
			smtp_setup "$name" || continue
			say "smtp: $name: round $r of $BENCH_ROUNDS: concurrency $BENCH_CONC, $S_MSGS messages of $BENCH_SIZE bytes"
			smtp_one "$name" "$BENCH_CONC" 0 load
		done
	done
	smtp_rows
	[ "$BENCH_FS" = loop ] && fs_unloop
}

# BENCH_FS=loop: a fresh journalled ext4 file system in a file, mounted
# (in run.sh's private mount namespace) on $B/fs for the spools and over
# the bench user's home for the Maildirs: the same disk, but neither the
# host's file system options nor other writers' data (syncfs flushes a
# whole file system) weigh on the figures.
fs_loop() {
	mnt=$B/fs
	fs_unloop
	mkdir -p "$mnt"
	rm -f "$B/fs.img"
	if ! truncate -s "$BENCH_FS_SIZE" "$B/fs.img" ||
	    ! mkfs.ext4 -q -F "$B/fs.img" >"$B/mkfs.out" 2>&1 ||
	    ! mount -o loop "$B/fs.img" "$mnt" 2>>"$B/mkfs.out"; then
		note "smtp: skipped: BENCH_FS=loop: cannot make or mount $B/fs.img: $(head -n 2 "$B/mkfs.out" | tr '\n' ' ')"
		rm -f "$B/fs.img"
		return 1
	fi
	mkdir -p "$mnt/home"
	chown "$BU_UID:$BU_GID" "$mnt/home"
	chmod 755 "$mnt" "$mnt/home"
	mount --bind "$mnt/home" "$BU_HOME"
	maildir_make "$BU_HOME/Maildir"
	SB=$mnt
}

fs_unloop() {
	mountpoint -q "$BU_HOME" && umount "$BU_HOME"
	mountpoint -q "$B/fs" && umount "$B/fs"
	rm -f "$B/fs.img"
}

# fs_journal DIR: ", with a journal" or ", without a journal" for ext4.
fs_journal() {
	dev=$(df -P "$1" | awk 'NR == 2 { print $1 }')
	opt=/proc/fs/ext4/${dev##*/}/options
	[ -r "$opt" ] || return 0
	if grep -q '^journal_checksum' "$opt" || grep -q '^data=' "$opt"; then
		printf ', with a journal'
	else
		printf ', without a journal'
	fi
}

# smtp_setup NAME: write daemon NAME's configuration (smtp_NAME), or
# return 1 with a note.
smtp_setup() {
	case $1 in
	postern)
		[ -x "$P_SMTPD" ] || { note "smtp: Postern skipped: $P_BUILT not built"; return 1; }
		smtp_postern ;;
	opensmtpd5|opensmtpd)
		[ "$O_OK" = 1 ] || { note "smtp: OpenSMTPD skipped: not installed"; return 1; }
		if [ "$1" = opensmtpd5 ]; then
			smtp_opensmtpd 5
		else
			smtp_opensmtpd fixed
		fi ;;
	postfix) smtp_postfix ;;
	*) note "smtp: unknown daemon $1 skipped"; return 1 ;;
	esac
}

# smtp_one NAME CONC IDLE WHAT: one start, run, stop of daemon NAME
# (the S_* variables set by smtp_NAME); appends to smtp.NAME.out, or to
# S_OUTF if set (with S_SRCARGS added to the client's command line and
# its output in S_SRCLOG: the tls section).
smtp_one() {
	conc=$2 idle=$3 what=$4
	outf=${S_OUTF:-$B/smtp.$name.out}
	eval "set -- $S_CMD"
	tool smtp --log "$S_DIR/log.$what" --port "$S_PORT" \
	    --maildir "$S_MAILDIR" --stop "$S_STOP" --source "$src" \
	    --source-args "${S_SRCARGS:-}" --source-log "${S_SRCLOG:-}" \
	    --hook "${S_HOOK:-}" \
	    --sender "sender@localhost" --rcpt "$BENCH_USER@localhost" \
	    --size "$BENCH_SIZE" --msgs "$S_MSGS" \
	    --conc "$conc" --repeat 1 \
	    --timeout "$BENCH_SMTP_TIMEOUT" --idle "$idle" \
	    --settle "$BENCH_SETTLE" -- "$@" >"$B/smtp.out"
	rc=$?
	sed "s/^/bench: smtp: $name: /" "$B/smtp.out"
	cat "$B/smtp.out" >>"$outf"
	log=$S_DIR/log.$what
	case $rc in
	0) ;;
	1) note "smtp: $name ($what): never greeted within 30 s; log: $(tail -n 3 "$log" | tr '\n' ' ')" ;;
	2) note "smtp: $name ($what): exited during the run; log: $(tail -n 3 "$log" | tr '\n' ' ')" ;;
	3) note "smtp: $name ($what): some processes did not exit within 10 s of the stop and were killed" ;;
	*) note "smtp: $name ($what): the run failed (rc $rc)" ;;
	esac
}

# smtp_rows: the table rows from build/bench/smtp.NAME.out.  The
# OpenSMTPD column holds the backlog-fixed figures; rows marked
# "OpenSMTPD backlog 5" repeat Postern and Postfix next to the
# unfixed OpenSMTPD so that their ratio is in the table too.
smtp_rows() {
	for name in postern opensmtpd5 opensmtpd postfix; do
		f=$B/smtp.$name.out
		[ -s "$f" ] || continue
		tool smtpsum "$f" | sed "s/^/$name /"
	done >"$B/smtp.sum"
	sum() {	# NAME KIND C FIELD
		awk -v n="$1" -v k="$2" -v c="$3" -v f="$4" \
		    '$1 == n && $2 == k && $3 == c { print $f; found = 1 }
		    END { if (!found) print "-" }' "$B/smtp.sum"
	}
	for c in $BENCH_CONC; do
		row "accepted, concurrency $c" msg/s "$(sum postern rate "$c" 4)" \
		    "$(sum opensmtpd rate "$c" 4)" "$(sum postfix rate "$c" 4)"
		row "delivered, concurrency $c" msg/s "$(sum postern rate "$c" 5)" \
		    "$(sum opensmtpd rate "$c" 5)" "$(sum postfix rate "$c" 5)"
	done
	for c in $BENCH_CONC; do
		row "server CPU per message, concurrency $c" ms \
		    "$(sum postern rate "$c" 8)" "$(sum opensmtpd rate "$c" 8)" \
		    "$(sum postfix rate "$c" 8)"
	done
	for c in $BENCH_CONC; do
		row "accepted, c $c, OpenSMTPD backlog 5" msg/s \
		    "$(sum postern rate "$c" 4)" "$(sum opensmtpd5 rate "$c" 4)" -
		row "delivered, c $c, OpenSMTPD backlog 5" msg/s \
		    "$(sum postern rate "$c" 5)" "$(sum opensmtpd5 rate "$c" 5)" -
	done
	row "memory per idle session (PSS)" KiB \
	    "$(awk '$1 == "postern" && $2 == "idle" { print $4 }' "$B/smtp.sum")" \
	    "$(awk '$1 == "opensmtpd" && $2 == "idle" { print $4 }' "$B/smtp.sum")" \
	    "$(awk '$1 == "postfix" && $2 == "idle" { print $4 }' "$B/smtp.sum")"
	while read -r name kind a b _ d e _; do
		case $kind in
		rate) [ "$e" = 0 ] ||
			note "smtp: $name, concurrency $a: $e of $d rounds did not deliver all messages within $BENCH_SMTP_TIMEOUT s, or stalled for 30 s (see $B/smtp.$name.out)" ;;
		backlog) note "smtp: $name listened with a backlog of $a" ;;
		loadavg) note "smtp: $name: 1-minute load average before its runs: $a to $b" ;;
		idle) [ "$a" = "$BENCH_IDLE" ] ||
			note "smtp: $name: only $a of $BENCH_IDLE idle sessions got their EHLO answered" ;;
		esac
	done <"$B/smtp.sum"
	note "smtp: smtp-source (Postfix $v_x) -s C -m $BENCH_MSGS -l $BENCH_SIZE (OpenSMTPD backlog 5: -m $BENCH_MSGS5), one connection per message, MAIL FROM sender@localhost, RCPT TO $BENCH_USER@localhost; median of $BENCH_ROUNDS round(s); accepted = messages / smtp-source wall time, delivered = messages / time until all are in the Maildir (from the start of smtp-source); for msg/s the ratio above 1.00 means Postern is faster"
	note "smtp: Postern and Postfix fsync each message before its 250 (Postern: group commit); OpenSMTPD 6.8 does not fsync its queue at all"
	note "smtp: OpenSMTPD runs with resolv.conf 'lookup file bind' and 127.0.0.1 named in /etc/hosts (it resolves the client before the greeting); its column is with listen(2) backlog raised to SOMAXCONN by LD_PRELOAD (listen_backlog.c); the 'backlog 5' rows are OpenSMTPD as shipped"
	note "smtp: server CPU per message = CPU time (user + system) of the daemon's processes, with the children they reaped (delivery helpers, Postfix's exited smtpd), from the start of smtp-source until all messages were delivered, divided by the messages; the machine's other load does not change it much, unlike msg/s"
	note "smtp: memory per idle session = (PSS of the daemon's processes with $BENCH_IDLE connections that said EHLO - PSS before) / $BENCH_IDLE; Postfix runs one smtpd process per session"
}

# ---------------------------------------------------------------------
# Section: messages per second over STARTTLS.
#
# The smtp section's daemons and Maildir delivery, with a pki made from
# a test CA here, loaded by tlsload.py (smtp-source has no TLS).  Each
# daemon is first probed with one session: one whose handshake fails
# (OpenSMTPD 6.8 on OpenSSL 3) is reported as "fails" with the error
# and not loaded.

# tls_conf: the pki and listener words for Postern and OpenSMTPD when
# TLS_KEY (the key and certificate, without .key/.pem) is set.
tls_conf() {
	T_PKI="" T_LISTEN=""
	[ -n "${TLS_KEY:-}" ] || return 0
	T_PKI="pki bench cert \"$TLS_KEY.pem\"
pki bench key \"$TLS_KEY.key\"
"
	T_LISTEN=" tls pki bench"
}

# tls_certs: a test CA and a server certificate for localhost and
# 127.0.0.1 for each key type in BENCH_TLS_KEYS, in $B/tls (keys 0600).
tls_certs() {
	t=$B/tls
	rm -rf "$t"
	mkdir -p "$t"
	chmod 700 "$t"
	printf '%s\n' "basicConstraints = critical, CA:FALSE" \
	    "keyUsage = critical, digitalSignature, keyEncipherment" \
	    "extendedKeyUsage = serverAuth" \
	    "subjectAltName = DNS:localhost, IP:127.0.0.1" \
	    "subjectKeyIdentifier = hash" \
	    "authorityKeyIdentifier = keyid" >"$t/server.ext"
	(
	umask 077
	openssl req -x509 -newkey rsa:2048 -noenc -days 7 \
	    -subj "/CN=Postern bench CA" -keyout "$t/ca.key" -out "$t/ca.pem" \
	    -addext "basicConstraints = critical, CA:TRUE" \
	    -addext "keyUsage = critical, keyCertSign, cRLSign" || exit 1
	for k in $BENCH_TLS_KEYS; do
		case $k in
		rsa) alg="-newkey rsa:2048" ;;
		ecdsa) alg="-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
		*) echo "unknown key type $k"; exit 1 ;;
		esac
		# shellcheck disable=SC2086
		openssl req $alg -noenc -subj /CN=localhost \
		    -keyout "$t/$k.key" -out "$t/$k.csr" &&
		openssl x509 -req -in "$t/$k.csr" -days 7 -CA "$t/ca.pem" \
		    -CAkey "$t/ca.key" -CAcreateserial -extfile "$t/server.ext" \
		    -out "$t/$k.pem" || exit 1
		chmod 600 "$t/$k.key"
	done
	) >"$t/openssl.log" 2>&1 || {
		note "tls: skipped: openssl could not make the test certificates: $(tail -n 2 "$t/openssl.log" | tr '\n' ' ')"
		return 1
	}
	chmod 644 "$t"/*.pem
	chmod 711 "$t"
	return 0
}

tls_keyname() {
	case $1 in
	rsa) echo "RSA-2048" ;;
	ecdsa) echo "ECDSA P-256" ;;
	*) echo "$1" ;;
	esac
}

# tls_probe NAME KEY: start daemon NAME (smtp_setup done), run one
# session through it and stop it.  Sets T_PROBE to "ok PROTO CIPHER" or
# "fails: ERROR" (with the daemon's log lines about TLS appended).
tls_probe() {
	T_PROBE=""
	pout=$B/tls.$2.$1.probe
	rm -f "$pout"
	eval "set -- $S_CMD"
	pcmd="/usr/bin/python3 '$here/tlsload.py' --probe --cafile '$B/tls/ca.pem' -f sender@localhost -t '$BENCH_USER@localhost' 127.0.0.1:$S_PORT >'$pout' 2>&1"
	tool cycle "$S_DIR/log.probe" "$S_PORT" 0 "$pcmd" "$S_STOP" -- \
	    "$@" >/dev/null
	T_PROBE=$(head -n 1 "$pout" 2>/dev/null)
	case $T_PROBE in
	ok*) return 0 ;;
	fails*)	srv=$(grep -i 'tls\|ssl\|key\|handshake' "$S_DIR/log.probe" |
		    grep -v 'bench:' | tail -n 2 | tr '\n' ' ')
		[ -n "$srv" ] && T_PROBE="$T_PROBE (server log: $srv)" ;;
	*) T_PROBE="fails: never greeted or died; log: $(tail -n 2 "$S_DIR/log.probe" | tr '\n' ' ')" ;;
	esac
	return 1
}

section_tls() {
	say "== tls: messages per second over STARTTLS"
	if [ ! -x /usr/bin/python3 ] || ! have openssl; then
		note "tls: skipped: needs /usr/bin/python3 and openssl"
		return 0
	fi
	ensure_bench_user || return 0
	tls_certs || return 0
	src=$B/tlsload
	printf '#!/bin/sh\nexec /usr/bin/python3 %s "$@"\n' \
	    "'$here/tlsload.py'" >"$src"
	chmod 755 "$src"
	SB=$B
	if [ "$BENCH_FS" = loop ]; then
		fs_loop || return 0
	fi
	rm -f "$B"/tls.*
	c=$BENCH_TLS_CONC
	t_runs="$c $c,--per-conn,$BENCH_TLS_REUSE"
	[ "$BENCH_TLS12" = 1 ] && t_runs="$t_runs $c,--tls,1.2"
	# The TLS path alone: sessions without mail.
	[ "$BENCH_TLS_HS" = 1 ] && t_runs="$t_runs $c,--handshake-only"
	t_check="$c,--procs,$BENCH_TLS_CHECKPROCS"
	# The same client without STARTTLS, once (with the first key's
	# starts): what the rest of the path costs, to tell TLS's share.
	t_plain=""
	[ "$BENCH_TLS_PLAIN" = 1 ] && t_plain="$c,--no-tls"
	t_key1=${BENCH_TLS_KEYS%% *}
	# A client that offers the session (ticket) of its last one, once.
	t_resume=""
	[ "$BENCH_TLS_RESUME" = 1 ] && t_resume="$c,--resume"
	# Round 0: probe every daemon with every key.
	pairs=""
	for key in $BENCH_TLS_KEYS; do
		TLS_KEY=$B/tls/$key
		for name in $BENCH_TLS_DAEMONS; do
			smtp_setup "$name" || continue
			if tool listening "$S_PORT"; then
				note "tls: $name skipped: port $S_PORT is in use already (set BENCH_PORT)"
				continue
			fi
			say "tls: $name, $(tls_keyname "$key"): probe"
			if tls_probe "$name" "$key"; then
				pairs="$pairs $key:$name"
			fi
			say "tls: $name, $(tls_keyname "$key"): $T_PROBE"
			printf '%s\n' "$T_PROBE" >"$B/tls.$key.$name.result"
		done
	done
	r=0
	while [ $r -lt "$BENCH_ROUNDS" ]; do
		r=$((r + 1))
		for pair in $pairs; do
			key=${pair%%:*} name=${pair#*:}
			TLS_KEY=$B/tls/$key
			smtp_setup "$name" || continue
			runs=$t_runs
			[ "$name" = postfix ] && runs="$runs $t_check"
			[ "$key" = "$t_key1" ] && runs="$runs $t_resume $t_plain"
			S_MSGS=$BENCH_TLS_MSGS S_OUTF=$B/tls.$key.$name.out
			S_SRCARGS="--procs $BENCH_TLS_PROCS --cafile $B/tls/ca.pem"
			S_SRCLOG=$B/tls.$key.$name.client
			# Postern: ca's counters around each run (key
			# operations performed for smtp's handshakes).
			S_HOOK=""
			[ "$name" = postern ] &&
			    S_HOOK="echo {what} {conc} \$('$P_SMTPCTL' -s '$S_DIR/control.sock' show stats | grep '^ca\.') >>'$B/tls.$key.postern.stats'"
			say "tls: $name, $(tls_keyname "$key"): round $r of $BENCH_ROUNDS: $runs"
			smtp_one "$name" "$runs" 0 "tls-$key"
			S_OUTF="" S_SRCARGS="" S_SRCLOG="" S_HOOK=""
		done
	done
	TLS_KEY=""
	tls_rows
	[ "$BENCH_FS" = loop ] && fs_unloop
}

# tls_cell KEY NAME RUN FIELD: a figure of tls.KEY.NAME.out's summary
# ("fails" if the daemon's probe failed, "-" if not measured).
tls_cell() {
	res=$(cat "$B/tls.$1.$2.result" 2>/dev/null)
	case $res in
	fails*) echo fails; return ;;
	esac
	[ -s "$B/tls.$1.$2.out" ] || { echo -; return; }
	tool smtpsum "$B/tls.$1.$2.out" |
	    awk -v c="$3" -v f="$4" '$1 == "rate" && $2 == c { print $f; found = 1 }
	    END { if (!found) print "-" }'
}

tls_rows() {
	c=$BENCH_TLS_CONC
	if [ -n "$t_plain" ]; then
		row "no TLS (same client), 1 msg/connection, c $c" msg/s \
		    "$(tls_cell "$t_key1" postern "$t_plain" 3)" - \
		    "$(tls_cell "$t_key1" postfix "$t_plain" 3)"
		row "  server CPU per message" ms \
		    "$(tls_cell "$t_key1" postern "$t_plain" 7)" - \
		    "$(tls_cell "$t_key1" postfix "$t_plain" 7)"
		row "  client CPU, % of one CPU" % \
		    "$(tls_cell "$t_key1" postern "$t_plain" 9)" - \
		    "$(tls_cell "$t_key1" postfix "$t_plain" 9)"
	fi
	for key in $BENCH_TLS_KEYS; do
		k=$(tls_keyname "$key")
		for run in $t_runs; do
			case $run in
			*--per-conn*) what="$BENCH_TLS_REUSE msg/connection" ;;
			*--tls,1.2*) what="TLS 1.2, 1 msg/connection" ;;
			*--handshake-only*) what="handshakes only (no mail)" ;;
			*) what="1 msg/connection" ;;
			esac
			unit=msg/s per="per message"
			case $run in
			*--handshake-only*) unit=hs/s per="per handshake" ;;
			esac
			row "STARTTLS $k, $what, c $c" "$unit" \
			    "$(tls_cell "$key" postern "$run" 3)" \
			    "$(tls_cell "$key" opensmtpd "$run" 3)" \
			    "$(tls_cell "$key" postfix "$run" 3)"
			row "  server CPU $per" ms \
			    "$(tls_cell "$key" postern "$run" 7)" - \
			    "$(tls_cell "$key" postfix "$run" 7)"
			row "  client CPU, % of one CPU" % \
			    "$(tls_cell "$key" postern "$run" 9)" - \
			    "$(tls_cell "$key" postfix "$run" 9)"
		done
		if [ "$key" = "$t_key1" ] && [ -n "$t_resume" ]; then
			row "STARTTLS $k, 1 msg/connection, client resumes, c $c" msg/s \
			    "$(tls_cell "$key" postern "$t_resume" 3)" \
			    "$(tls_cell "$key" opensmtpd "$t_resume" 3)" \
			    "$(tls_cell "$key" postfix "$t_resume" 3)"
			row "  server CPU per message" ms \
			    "$(tls_cell "$key" postern "$t_resume" 7)" - \
			    "$(tls_cell "$key" postfix "$t_resume" 7)"
		fi
		row "STARTTLS $k, c $c, client check: $BENCH_TLS_CHECKPROCS client processes" msg/s \
		    - - "$(tls_cell "$key" postfix "$t_check" 3)"
	done
	for key in $BENCH_TLS_KEYS; do
		k=$(tls_keyname "$key")
		for name in $BENCH_TLS_DAEMONS; do
			res=$(cat "$B/tls.$key.$name.result" 2>/dev/null)
			case $res in
			fails*) note "tls: $name, $k: $res" ;;
			"") ;;
			*) cl=$(tool tlsclient "$B/tls.$key.$name.client" 2>/dev/null)
			   note "tls: $name, $k: probe $res; load: $cl" ;;
			esac
		done
		a=$(tls_cell "$key" postfix "$c" 3)
		b=$(tls_cell "$key" postfix "$t_check" 3)
		[ "$a" != - ] && [ "$b" != - ] &&
		    note "tls: client capacity, $k: Postfix took $a msg/s from $BENCH_TLS_PROCS client processes and $b from $BENCH_TLS_CHECKPROCS (ratio $(tool div "$b" "$a")): a ratio near 1.00 means the client is not what limits the rate"
		[ -s "$B/tls.$key.postern.out" ] &&
		    note "tls: Postern, $k, 1 msg/connection: CPU per message by process (ms): $(tool cpusum "$B/tls.$key.postern.out" "$c")"
		[ "$key" = "$t_key1" ] && [ -n "$t_plain" ] &&
		    [ -s "$B/tls.$key.postern.out" ] &&
		    note "tls: Postern, no TLS (same client), 1 msg/connection: CPU per message by process (ms): $(tool cpusum "$B/tls.$key.postern.out" "$t_plain")"
		if [ -s "$B/tls.$key.postern.stats" ]; then
			# shellcheck disable=SC2046
			set -- $(tool castat "$B/tls.$key.postern.stats" \
			    "$B/tls.$key.postern.out" "$c") - - - - - - - - - - - -
			note "tls: Postern, $k, 1 msg/connection: ca performed $2 private-key operations per message, $4 per second, $6 ms of ca CPU each (one CPU would allow about $(tool div 1000 "$6" | cut -d. -f1) per second); ca was on a CPU $8 % and smtp ${10} % of the run"
		fi
		if [ "$BENCH_TLS_HS" = 1 ] && [ -s "$B/tls.$key.postern.stats" ]; then
			# shellcheck disable=SC2046
			set -- $(tool castat "$B/tls.$key.postern.stats" \
			    "$B/tls.$key.postern.out" "$c,--handshake-only") \
			    - - - - - - - - - - - -
			note "tls: Postern, $k, handshakes only: $4 key operations per second by ca, $6 ms of ca CPU each; ca was on a CPU $8 % and smtp ${10} % of the run; CPU per handshake by process (ms): $(tool cpusum "$B/tls.$key.postern.out" "$c,--handshake-only")"
		fi
		[ -s "$B/tls.$key.postfix.out" ] &&
		    note "tls: Postfix, $k, 1 msg/connection: CPU per message by process (ms; smtpd processes that exited during the run are counted in master, which reaped them): $(tool cpusum "$B/tls.$key.postfix.out" "$c" | cut -c 1-200)"
	done
	for key in $BENCH_TLS_KEYS; do
		for name in $BENCH_TLS_DAEMONS; do
			f=$B/tls.$key.$name.out
			[ -s "$f" ] || continue
			tool smtpsum "$f" | while read -r kind run x _ rounds failed _; do
				case $kind in
				rate) [ "$failed" != 0 ] &&
				    note "tls: $name, $(tls_keyname "$key"), $run: $failed of $rounds rounds did not deliver every message (see $f and $B/tls.$key.$name.client)" ;;
				loadavg) note "tls: $name, $(tls_keyname "$key"): 1-minute load average before its runs: $run to $x" ;;
				esac
			done
		done
	done
	note "tls: tlsload.py (Python $(/usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])'), $(/usr/bin/python3 -c 'import ssl; print(ssl.OPENSSL_VERSION)')) in $BENCH_TLS_PROCS processes, $c sessions at a time, $BENCH_TLS_MSGS messages of $BENCH_SIZE bytes per run; each session: EHLO, STARTTLS, handshake verifying the certificate against the test CA, EHLO, then 1 (or $BENCH_TLS_REUSE) MAIL, RCPT, DATA, QUIT; protocol as negotiated (TLS 1.3) unless the row says TLS 1.2; msg/s = messages / client wall time (accepted), median of $BENCH_ROUNDS round(s); server CPU as in the smtp section; client CPU = user + system of tlsload's processes over its run, as a share of one CPU"
}

# Further sections (latency under load, ...) are added as
# section_<name> functions and listed in BENCH_SECTIONS.

# ---------------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || { say "must be run as root"; exit 1; }
mkdir -p "$B"
: >"$RES"
rm -f "$B"/procs.*.txt
rm -rf "${B:?}/bin"
mkdir -p "$B/bin"
for f in "$P_BUILT" "$P_CTLBUILT"; do
	[ -x "$f" ] || continue
	cp "$f" "$B/bin/" 2>/dev/null ||
	    { sleep 2; cp "$f" "$B/bin/"; } || rm -f "$B/bin/${f##*/}"
done
: >"$B/apt.log"

ensure_tools
O_OK=0 X_OK=0
if ensure_opensmtpd && [ -x "$O_SMTPD" ]; then O_OK=1; else
	say "OpenSMTPD not available (see $B/apt.log)"; fi
if ensure_postfix; then X_OK=1; else
	say "Postfix not available (see $B/apt.log)"; fi
NS_OK=0
if unshare --mount sh -c "mount --bind '$B' /mnt" 2>/dev/null; then NS_OK=1; fi

v_p=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
v_o=$(dpkg-query -W -f='${Version}' opensmtpd 2>/dev/null || echo -)
v_x=-
[ "$X_OK" = 1 ] &&
    v_x=$(ls "$B"/pkgs/postfix_*.deb 2>/dev/null | sed 's/.*postfix_//; s/_.*//')

for s in $BENCH_SECTIONS; do
	if type "section_$s" >/dev/null 2>&1; then
		"section_$s"
	else
		note "unknown section $s skipped"
	fi
done

{
	echo "Postern benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "host: $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
	echo "versions: Postern $v_p, OpenSMTPD ${v_o:--}, Postfix ${v_x:--}"
	echo "ratios are Postern / reference: below 1.00 means Postern uses less (time, memory, processes, CPU); for msg/s above 1.00 means Postern is faster"
	echo
	tool report "$RES"
	for name in postern opensmtpd postfix; do
		f=$B/procs.$name.txt
		[ -s "$f" ] || continue
		echo
		echo "$name processes when idle (first start; RSS and PSS in KiB):"
		echo "    pid user           RSS     PSS  command"
		cat "$f"
	done
} >"$TXT"
echo
cat "$TXT"
echo
say "results in $TXT (raw rows: $RES)"
exit 0
