#!/usr/bin/env bash
# deploy nginx: golden configs (each also through a real nginx -t), the
# command line, and what a failure leaves behind.
. "$(dirname "$0")/lib.sh"

NGINX=${NGINX:-/usr/sbin/nginx}
GOLDEN=$ROOT/tests/golden
NGX_FIX=$FIXTURES/nginx

# A main config under $TMP/ngx that includes FILE in its http block, for
# nginx -t without root and without touching /var/log/nginx or /run.
nginx_main() {
	mkdir -p "$TMP/ngx"
	cat >"$TMP/ngx/nginx.conf" <<CONF
pid $TMP/ngx/nginx.pid;
error_log stderr;
events {
}
http {
	access_log off;
	client_body_temp_path $TMP/ngx/client_body;
	proxy_temp_path $TMP/ngx/proxy;
	fastcgi_temp_path $TMP/ngx/fastcgi;
	uwsgi_temp_path $TMP/ngx/uwsgi;
	scgi_temp_path $TMP/ngx/scgi;
	include $1;
}
CONF
}

# nginx -t on FILE included in the main config above.
nginx_t() {
	nginx_main "$1"
	"$NGINX" -t -q -e stderr -p "$TMP/ngx/" -c "$TMP/ngx/nginx.conf" \
		2>"$TMP/nginx_t.err"
}

# Golden files: NAME.conf renders fixtures/nginx/NAME.json on this host,
# NAME@TARGET.conf for every host of deploy target TARGET. The fixtures'
# directory (where the test certificates are) is @FIXTURES@ in them.
n_golden=0
for g in "$GOLDEN"/*.conf; do
	base=$(basename "$g" .conf)
	name=${base%@*}
	args=()
	[ "$base" != "$name" ] && args=(--target "${base#*@}")
	n_golden=$((n_golden + 1))
	run "$DEPLOY" -c "$NGX_FIX/$name.json" nginx "${args[@]}"
	if [ "$rc" = 0 ] && diff -u "$g" \
		<(printf '%s\n' "${out//$NGX_FIX/@FIXTURES@}") >"$TMP/diff"
	then
		ok "golden $base"
	else
		not_ok "golden $base" "exit $rc: $err" "$(head -n 20 "$TMP/diff")"
	fi
	golden=$(<"$g")
	printf '%s\n' "${golden//@FIXTURES@/$NGX_FIX}" >"$TMP/golden.conf"
	if [ -x "$NGINX" ]; then
		check_true "nginx -t accepts golden $base" \
			nginx_t "$TMP/golden.conf"
		[ -s "$TMP/nginx_t.err" ] && cat "$TMP/nginx_t.err"
	fi
	run "$DEPLOY" -c "$NGX_FIX/$name.json" nginx "${args[@]}" --check
	check_rc "deploy nginx --check passes $base" 0
done
check_true "at least 12 golden configs ($n_golden)" test "$n_golden" -ge 12

# Every option of the issue shows up in some golden file.
all=$(cat "$GOLDEN"/*.conf)
for want in ' weight=' ' max_fails=' ' fail_timeout=' ' max_conns=' \
	' backup;' ' down;' 'least_conn;' 'ip_hash;' \
	'hash \$request_uri consistent;' 'random two' 'keepalive [0-9]+;' \
	'listen 127\.0\.0\.1:8080;' 'listen \[::\]:8080;' 'server_name ' \
	'client_max_body_size ' 'proxy_next_upstream_tries 2;' \
	'proxy_set_header Connection \$deploy_connection_keepalive;' \
	'location /assets/' 'expires 7d;' 'server \[fd00::3\]:' \
	'server 192\.0\.2\.3:3000 weight=2 max_fails=0 backup;' \
	'Upgrade \$http_upgrade' 'X-Forwarded-Proto \$scheme' \
	'proxy_next_upstream error timeout http_502 http_503;' \
	'listen 443 ssl http2;' 'listen 127\.0\.0\.1:8443 ssl http2;' \
	'ssl_certificate "@FIXTURES@/tls/cert\.pem";' \
	'ssl_protocols TLSv1\.2 TLSv1\.3;' 'ssl_session_cache shared:' \
	'Strict-Transport-Security "max-age=31536000" always;' \
	'location /\.well-known/acme-challenge/' 'root "/var/www/acme";' \
	'return 301 https://\$host\$request_uri;' \
	'return 301 https://\$host:8443\$request_uri;' \
	'location /api/' 'proxy_pass http://api/;' 'proxy_pass http://www;' \
	'server 192\.0\.2\.12:4001 max_fails=0;'; do
	if grep -qE -- "$want" <<<"$all"; then ok "goldens cover /$want/"
	else not_ok "goldens cover /$want/"; fi
done

# The command line.
mkdir -p "$TMP/app" && cd "$TMP/app" || exit 1
cp "$NGX_FIX/basic.json" "$NGX_FIX/multi.json" .
cp basic.json ecosystem.json
run "$DEPLOY" nginx
check_rc "no -o: exit 0" 0
check_out "no -o: the config goes to stdout" '^upstream web \{$'
check_true "stdout is the golden but for the file's name" \
	bash -c "diff <(\"$DEPLOY\" nginx | sed 1d) <(sed 1d \"$GOLDEN/basic.conf\")"
run "$DEPLOY" -c basic.json nginx -o out.conf
check_rc "-o writes the file" 0
check_out "-o says so" '^wrote out\.conf$'
check_true "-o wrote the golden" cmp -s out.conf "$GOLDEN/basic.conf"
check_true "no .bak when there was no file" test ! -e out.conf.bak
run "$DEPLOY" -c basic.json nginx -o out.conf
check_out "the same config again: unchanged" '^out\.conf unchanged$'
check_true "unchanged: still no .bak" test ! -e out.conf.bak
cp multi.json ecosystem.json
run "$DEPLOY" -c multi.json nginx -o out.conf --check
check_rc "-o --check over a file" 0
check_out "it says where the old one went" \
	'^wrote out\.conf \(previous kept as out\.conf\.bak\); nginx -t passed$'
check_true "out.conf.bak holds the previous file" \
	cmp -s out.conf.bak "$GOLDEN/basic.conf"
check_true "out.conf holds the new one" cmp -s out.conf "$GOLDEN/multi.conf"
check_true "no temp files are left beside it" \
	test "$(ls | grep -c tmp)" = 0
cp out.conf good.conf

# A failure at any step leaves the previous file byte for byte.
cat >bad.tmpl <<'TMPL'
{{#apps}}
upstream {{upstream}} {
	server 127.0.0.1:1;
}
bogus_directive on;
{{/apps}}
TMPL
run "$DEPLOY" nginx -o out.conf --check --template bad.tmpl
check_rc "nginx -t rejects: exit 6" 6
check_err "nginx's own message, naming the file" \
	'nginx -t failed: \[emerg\] unknown directive "bogus_directive" in out\.conf:4; nothing was written'
check_true "the previous file stays" cmp -s out.conf good.conf
printf '{{#apps}}\n{{nope}}\n{{/apps}}\n' >broken.tmpl
run "$DEPLOY" nginx -o out.conf --check --template broken.tmpl
check_rc "a bad template: exit 1" 1
check_err "the template error names file and line" \
	"broken\.tmpl:2: no value for 'nope'"
check_true "the previous file stays after a bad template" \
	cmp -s out.conf good.conf
run "$DEPLOY" nginx -o out.conf --template nosuch.tmpl
check_rc "a missing template: exit 1" 1
check_err "the missing template is named" "nosuch\.tmpl"
sed 's/"example.com"/"example.com;evil"/' "$NGX_FIX/multi.json" \
	>ecosystem.json
run "$DEPLOY" nginx -o out.conf --check
check_rc "a bad value: exit 3" 3
check_err "the bad value's key, line and column" \
	"ecosystem\.json:5:[0-9]+: apps\[0\]\.nginx\.server_name\[0\]: contains ';'"
check_true "the previous file stays after a bad value" \
	cmp -s out.conf good.conf
check_true "and its .bak too" cmp -s out.conf.bak "$GOLDEN/basic.conf"

# Targets and usage.
cp "$NGX_FIX/target.json" ecosystem.json
run "$DEPLOY" nginx --target nosuch
check_rc "an unknown target: exit 3" 3
check_err "the target is named" "no deploy target 'nosuch'"
run "$DEPLOY" nginx -t production
check_rc "-t is --target" 0
check_out "every host of the target" '^	server \[fd00::3\]:3001 weight=2 max_fails=0;$'
check_true "no loopback warning for apps other hosts can reach" \
	test -z "$(grep 'cannot reach it' <<<"$err")"
jq '.apps[1].listen = "127.0.0.1:4000"' "$NGX_FIX/target.json" >lo.json
run "$DEPLOY" -c lo.json nginx -t production
check_rc "a target app on loopback only still renders" 0
check_err "but it says nginx on another machine cannot reach it" \
	"apps\[1\] 'socket' listens on 127.0.0.1:4000 only: nginx on another machine \(deploy nginx --target production\) cannot reach it"
run "$DEPLOY" nginx --reload
check_rc "--reload without a file: exit 2" 2
check_err "it says what is missing" '--reload needs -o FILE'
run "$DEPLOY" nginx --frobnicate
check_rc "an unknown option: exit 2" 2
run "$DEPLOY" nginx extra
check_rc "an argument: exit 2" 2
run "$DEPLOY" nginx --help
check_rc "--help: exit 0" 0
check_out "--help lists --reload" '--reload'
run "$DEPLOY" -c "$FIXTURES/nginx/none.json" nginx
check_rc "a missing file: exit 3" 3

finish
