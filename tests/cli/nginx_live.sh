#!/usr/bin/env bash
# A real nginx (non-root prefix in $TMP, a free port on 127.0.0.1) in
# front of http_worker instances started by deploy up: balance, a killed
# instance, a rolling reload, scaling with "auto", and failures that
# leave the config and nginx as they were.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/helpers/nginx-lib.sh"

NGX=$TMP/nginx
CONF=$NGX/deploy.conf

if [ ! -x "$NGINX_BIN" ]; then
	not_ok "nginx is installed ($NGINX_BIN; make test-deps installs it)"
	finish
fi

trap 'stop_nginx; [ -n "${KEEP:-}" ] && cp -r "$NGX" /tmp/ngx-keep; cleanup' EXIT

base=$(free_port 6)
nport=$((base + 5))		# nginx; base..base+4 for the workers
mkdir -p "$TMP/app" "$NGX" && cd "$TMP/app" || exit 1

# write_eco INSTANCES MSG [EXTRA_NGINX_KEYS]
write_eco() {
	cat >ecosystem.json <<JSON
{"apps": [{"name": "web", "script": "$HTTP_WORKER", "instances": $1,
  "port": $base, "env": {"MSG": "$2"},
  "nginx": {"listen": "127.0.0.1:$nport"${3:+, $3}}}],
 "nginx": {"auto": true, "output": "$CONF",
           "pid_file": "$NGX/nginx.pid"}}
JSON
}

"$ROOT/tests/helpers/nginx-main.sh" "$NGX" "$NGX/other.conf" "$CONF" \
	>"$NGX/nginx.conf"
echo 'upstream clash { server 127.0.0.1:1; }' >"$NGX/other.conf"

# GET / through nginx; print the body.
via_nginx() { curl -s --max-time 5 "http://127.0.0.1:$nport/"; }
# True when nginx answers 200 through the proxy.
serving() { curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$nport/"; }

# 1. deploy up with "auto" while no nginx runs: the apps start, the
# step that failed is named, and no config is left half-applied.
write_eco 4 one
run "$DEPLOY" up --wait --timeout 20
check_rc "up with auto and no nginx running: exit 6" 6
check_out "the apps were started all the same" '^web: started'
check_err "it says nginx is not running" \
	"nginx: cannot reload nginx: nginx is not running: no pid file"
check_true "the new config was taken back (there was none)" \
	test ! -e "$CONF"

# 2. Write the config and start nginx on it, as root with -p, -e and a
# pid file in $TMP (nothing under /var/log/nginx or /run).
run "$DEPLOY" nginx -o "$CONF" --check
check_rc "nginx -o --check writes the config" 0
start_nginx
check_true "nginx serves the apps on 127.0.0.1:$nport" wait_for 10 serving
check_true "nginx wrote its pid file in the prefix" \
	test "$(cat "$NGX/nginx.pid" 2>/dev/null)" = "$ngx_pid"

# 3. 400 requests: each instance answers 15% to 35% of them.
urls=()
for _ in $(seq 1 400); do urls+=("http://127.0.0.1:$nport/"); done
curl -s --max-time 60 "${urls[@]}" >"$TMP/dist"
total=$(grep -c '^instance=' "$TMP/dist")
check_true "400 requests through nginx answered ($total)" test "$total" = 400
for i in 0 1 2 3; do
	n=$(grep -c "^instance=$i " "$TMP/dist")
	check_true "instance $i answered $n of 400 (15%-35%)" \
		test "$n" -ge 60 -a "$n" -le 140
done

# 4. kill -9 an instance during a bounded request loop: no failure.
"$HTTP_LOAD" "$nport" 20 "$TMP/stop1" >"$TMP/load1" &
load=$!
track_pid $load
sleep 1
victim=$(jls '.[] | select(.instance == 1) | .pid')
[ "${victim:-0}" -gt 1 ] && kill -9 "$victim"
# True once instance 1 is online with a new pid.
replaced() {
	local s
	s=$(jls '.[] | select(.instance == 1) | "\(.status) \(.pid)"')
	[ "${s%% *}" = online ] && [ "${s#* }" != "$victim" ]
}
wait_for 10 replaced
sleep 1
touch "$TMP/stop1"
wait $load
check_true "kill -9 of an instance: 0 failed requests ($(cat "$TMP/load1"))" \
	grep -qE '^ok=[1-9][0-9]* failed=0$' "$TMP/load1"

# 5. A rolling reload in port mode during a 10 s loop: no failure.
before=$(app_pids web)
"$HTTP_LOAD" "$nport" 10 >"$TMP/load2" &
load=$!
track_pid $load
sleep 0.5
reload_during $load web
check_true "$reloads reloads of web during the 10 s loop" \
	test "$reloads" -ge 1
check_true "reload in port mode: 0 failed requests ($(cat "$TMP/load2"))" \
	grep -qE '^ok=[1-9][0-9]* failed=0$' "$TMP/load2"
after=$(app_pids web)
check_true "every instance has a new pid" \
	test -z "$(comm -12 <(tr ' ' '\n' <<<"$before" | sort) \
		<(tr ' ' '\n' <<<"$after" | sort))"

# 6. Scaling with "auto": deploy up rewrites the config and reloads.
write_eco 5 one
run "$DEPLOY" up --wait --timeout 20
check_rc "up after scaling to 5: exit 0" 0
check_err "up says it rewrote and reloaded nginx" \
	"^nginx: wrote $CONF \(previous kept as $CONF\.bak\); reloaded nginx \(pid $ngx_pid\)$"
check_true "the config has 5 servers" \
	test "$(grep -c "server 127.0.0.1:" "$CONF")" = 5
# True once instance 4 has answered through nginx.
new_seen() { via_nginx | grep -q '^instance=4 '; }
check_true "the new instance gets traffic through nginx" \
	wait_for 5 new_seen
run "$DEPLOY" up --wait --timeout 20
check_rc "up with nothing changed: exit 0" 0
check_true "up with nothing changed leaves nginx alone" \
	test -z "$(grep nginx <<<"$err")"
run "$DEPLOY" nginx --reload
check_rc "nginx --reload with nothing changed: exit 0" 0
check_out "it says unchanged and reloaded" \
	"unchanged; reloaded nginx \(pid $ngx_pid\)"

# 7. Failures: the previous config stays byte for byte, nginx serves.
cp "$CONF" "$TMP/good.conf"
# After a failure: exit code, message, config, nginx.
after_failure() {
	check_rc "$1: exit $2" "$2"
	check_err "$1: the message says why" "$3"
	check_true "$1: the config is byte for byte the previous one" \
		cmp -s "$CONF" "$TMP/good.conf"
	check_true "$1: nginx still runs" nginx_alive
	check_true "$1: nginx still serves" serving
	check_true "$1: no temp file is left" \
		test -z "$(ls "$NGX" | grep '\.tmp\.')"
}

printf '{{#apps}}\nupstream {{upstream}} {\n\tserver 127.0.0.1:1;\n}\nbogus_directive;\n{{/apps}}\n' \
	>bad.tmpl
run "$DEPLOY" nginx --reload --template bad.tmpl
after_failure "a template nginx -t rejects" 6 \
	"nginx -t failed: \[emerg\] unknown directive \"bogus_directive\" in $CONF:4"

printf '{{#apps}}\n{{nosuch}}\n{{/apps}}\n' >broken.tmpl
run "$DEPLOY" nginx --reload --template broken.tmpl
after_failure "a broken template" 1 "broken\.tmpl:2: no value for 'nosuch'"

write_eco 5 one '"server_name": "x.test;evil"'
run "$DEPLOY" nginx --reload
after_failure "a bad value" 3 \
	"ecosystem\.json:[0-9]+:[0-9]+: apps\[0\]\.nginx\.server_name: contains ';'"

cat >fake-nginx <<'SH'
#!/bin/sh
echo 'nginx: [emerg] simulated failure of nginx -t' >&2
exit 1
SH
chmod +x fake-nginx
write_eco 4 one
sed -i "s|\"pid_file\"|\"binary\": \"$TMP/app/fake-nginx\", \"pid_file\"|" \
	ecosystem.json
run "$DEPLOY" nginx --reload
after_failure "an nginx that fails -t" 6 \
	"nginx -t failed: \[emerg\] simulated failure of nginx -t"

# The generated file alone is fine, but not with nginx's own config:
# the main config is checked after the write and the file put back.
write_eco 4 one '"upstream": "clash"'
sed -i "s|\"pid_file\"|\"main_config\": \"$NGX/nginx.conf\", \"pid_file\"|" \
	ecosystem.json
run "$DEPLOY" nginx --reload
after_failure "a clash with nginx's own config" 6 \
	"duplicate upstream \"clash\".*the previous file was put back"

# nginx -t passes but the reload cannot bind: nginx keeps the old
# config, deploy notices (no new workers) and puts the file back.
write_eco 4 one
sed -i "s|\"127.0.0.1:$nport\"|\"127.0.0.1:$base\"|" ecosystem.json
run "$DEPLOY" nginx --reload
after_failure "a reload nginx refuses" 6 \
	"cannot reload nginx: nginx \(pid $ngx_pid\) did not take the new config.*the previous file was put back"
check_true "nginx's error log says why" \
	grep -q "Address already in use" "$NGX/error.log"

run "$DEPLOY" nginx --reload --pid "$TMP/nosuch.pid"
after_failure "a missing pid file" 6 \
	"nginx is not running: no pid file '$TMP/nosuch.pid'"

stop_all

finish
