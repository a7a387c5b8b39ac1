#!/bin/sh
# tests/apt-install.sh PACKAGE...: install Debian packages (make deps,
# test-deps, fuzz-deps) as root, without starting their services: a
# temporary /usr/sbin/policy-rc.d that exits 101 keeps the postinst of
# nginx and openssh-server from starting them on ports 80 and 22, and one
# that starts anyway (no invoke-rc.d) is stopped by the pid it wrote.
# Installed packages are not upgraded. Not root: prints the command.
set -u
if [ "$(id -u)" != 0 ]; then
	echo "run as root: apt-get update && apt-get install -y $*" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
saved=
if [ -e "$policy" ]; then
	saved=$(mktemp "$policy.XXXXXX") && cp -p "$policy" "$saved" || exit 1
fi

# The pid in pid file FILE when that process is alive, else nothing.
live_pid() {
	pid=$(cat "$1" 2>/dev/null) || return 0
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
	return 0
}

pidfiles="/run/nginx.pid /run/sshd.pid"
before=
for f in $pidfiles; do before="$before $f=$(live_pid "$f")"; done

printf '#!/bin/sh\n# tests/apt-install.sh: start no service\nexit 101\n' \
	>"$policy" && chmod 755 "$policy" || exit 1
apt-get update -qq &&
	apt-get install -y -qq --no-install-recommends --no-upgrade "$@"
rc=$?
if [ -n "$saved" ]; then mv "$saved" "$policy"; else rm -f "$policy"; fi

# A service that runs now and did not before the install: stop it.
for f in $pidfiles; do
	pid=$(live_pid "$f")
	[ -n "$pid" ] || continue
	case " $before " in *" $f=$pid "*) continue ;; esac
	echo "apt-install: stopping pid $pid of $f, started by the install"
	kill -TERM "$pid"
done
exit $rc
