#!/usr/bin/env bash
# make install into a DESTDIR: the binary, the man pages, the templates
# and the bash completion land where the installed deploy finds them.
. "$(dirname "$0")/lib.sh"

dest=$TMP/inst
run make -C "$ROOT" --no-print-directory -s install DESTDIR="$dest" \
	PREFIX=/usr
check_rc "make install DESTDIR=... PREFIX=/usr exits 0" 0
for f in bin/deploy share/man/man1/deploy.1 share/man/man5/deploy-ecosystem.5 \
	share/deploy/templates/nginx.conf.tmpl \
	share/deploy/templates/deploy.service \
	share/deploy/templates/ecosystem.json \
	share/bash-completion/completions/deploy; do
	check_true "installed: /usr/$f" test -s "$dest/usr/$f"
done

unset DEPLOY_TEMPLATES
mkdir -p "$TMP/proj" && cd "$TMP/proj" || exit 1
run "$dest/usr/bin/deploy" init
check_rc "the installed binary finds its starter template" 0
run "$dest/usr/bin/deploy" startup
check_out "and its systemd template" "^ExecStart=$dest/usr/bin/deploy daemon"
run "$dest/usr/bin/deploy" nginx
check_rc "and its nginx template" 0
check_out "which renders an upstream" '^upstream app \{'
if command -v man >/dev/null; then
	run bash -c "MANWIDTH=80 man -l '$dest/usr/share/man/man1/deploy.1' \
		2>&1 >/dev/null"
	check_true "the installed man page renders without a warning" \
		test -z "$out"
fi

finish
