#!/usr/bin/env bash
# A real nginx with TLS (a test CA curl trusts with --cacert) in front of
# two apps under /api/ and / of one server: HTTPS, http2, the redirect
# from plain HTTP that keeps ACME challenges, expiry warnings, a renewal
# the way certbot's deploy hook does it, a bad certificate/key pair that
# changes nothing, and a rolling reload without a failed HTTPS request.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/helpers/nginx-lib.sh"

NGX=$TMP/nginx
CONF=$NGX/deploy.conf
CERTS=$TMP/certs
LIVE=$TMP/le/live/app.test

for tool in "$NGINX_BIN" openssl curl; do
	if ! command -v "$tool" >/dev/null; then
		not_ok "$tool is installed (make test-deps installs it)"
		finish
	fi
done

base=$(free_port 7)
https=$((base + 5))	# nginx; base..base+4 for the workers
http=$((base + 6))
mkdir -p "$TMP/app" "$NGX" "$LIVE" "$TMP/acme/.well-known/acme-challenge"
chmod o+x "$TMP"	# nginx's workers (nobody) read the webroot
cd "$TMP/app" || exit 1
"$FIXTURES/nginx/mkcert.sh" "$CERTS"
# The live directory starts with the certificate that expires soon.
cp "$CERTS/soon.pem" "$LIVE/fullchain.pem"
cp "$CERTS/site.key" "$LIVE/privkey.pem"

# write_eco API_INSTANCES [TLS_KEYS]: api under /api/ (stripped) and www
# under / of server app.test, HTTPS on $https, the redirect on $http.
write_eco() {
	cat >ecosystem.json <<JSON
{"apps": [
  {"name": "api", "script": "$HTTP_WORKER", "instances": $1,
   "port": $base, "env": {"MSG": "api"},
   "nginx": {"location": "/api/", "strip_prefix": true}},
  {"name": "www", "script": "$HTTP_WORKER", "instances": 2,
   "port": $((base + 3)), "env": {"MSG": "www"}}],
 "nginx": {"auto": true, "output": "$CONF", "pid_file": "$NGX/nginx.pid",
           "server": "app.test", "listen": "127.0.0.1:$https",
           "tls": {${2:-\"live\": \"$LIVE\"}, "hsts": 600,
                   "http_listen": "127.0.0.1:$http",
                   "webroot": "$TMP/acme"}}}
JSON
}

"$ROOT/tests/helpers/nginx-main.sh" "$NGX" "$CONF" >"$NGX/nginx.conf"

# curl to app.test on this host, trusting the test CA only.
tcurl() {
	curl -s --max-time 5 --cacert "$CERTS/ca.pem" \
		--resolve "app.test:$https:127.0.0.1" \
		--resolve "app.test:$http:127.0.0.1" "$@"
}
# GET https://app.test:$https$1; print the body.
get() { tcurl "https://app.test:$https$1"; }
# True when nginx answers 200 over HTTPS.
serving() { tcurl -f -o /dev/null "https://app.test:$https/"; }
# The notAfter of the certificate nginx serves.
served_enddate() {
	openssl s_client -connect "127.0.0.1:$https" -servername app.test \
		</dev/null 2>/dev/null | openssl x509 -noout -enddate
}

# 1. The apps, and a config that --check passes: the certificate's days
# are reported, with a warning since it expires in 5 days.
write_eco 2
run "$DEPLOY" up --wait --timeout 20
check_out "the apps started" '^www: started'
run "$DEPLOY" nginx -o "$CONF" --check
check_rc "nginx -o --check with tls: exit 0" 0
check_out "it says when the certificate expires" \
	"^certificate '$LIVE/fullchain\.pem' expires on [0-9-]+ \(in 5 days\)"
check_err "and warns: under 14 days" \
	"^deploy: warning: certificate '$LIVE/fullchain\.pem' expires in 5 days"
check_true "the config has a TLS server with http2" \
	grep -q "listen 127.0.0.1:$https ssl http2;" "$CONF"

start_nginx
check_true "nginx serves HTTPS on 127.0.0.1:$https" wait_for 10 serving

# 2. HTTPS, http2, the two apps by path.
check_true "curl --cacert verifies the certificate" \
	test "$(tcurl -o /dev/null -w '%{ssl_verify_result}' \
		"https://app.test:$https/")" = 0
check_true "http2 is negotiated" \
	test "$(tcurl --http2 -o /dev/null -w '%{http_version}' \
		"https://app.test:$https/")" = 2
# The protocol nginx agreed on, with openssl s_client's options $@.
protocol() {
	openssl s_client -brief -connect "127.0.0.1:$https" \
		-servername app.test "$@" </dev/null 2>&1 |
		sed -n 's/^Protocol version: //p'
}
check_true "TLS 1.3 is agreed on" test "$(protocol)" = TLSv1.3
check_true "TLS 1.2 too, with the configured ciphers" \
	test "$(protocol -tls1_2)" = TLSv1.2
body=$(get /api/users?id=7)
check_true "/api/ goes to api, the prefix stripped ($body)" \
	grep -qE '^instance=[01] pid=[0-9]+ msg=api path=/users\?id=7$' \
	<<<"$body"
body=$(get /about)
check_true "/ goes to www, the path kept ($body)" \
	grep -qE '^instance=[01] pid=[0-9]+ msg=www path=/about$' <<<"$body"
body=$(get /apix)
check_true "/apix is www's, not api's ($body)" \
	grep -q 'msg=www path=/apix$' <<<"$body"
check_true "HSTS is sent" \
	bash -c "curl -sI --max-time 5 --cacert '$CERTS/ca.pem' \
		--resolve app.test:$https:127.0.0.1 https://app.test:$https/ |
		grep -qi '^strict-transport-security: max-age=600'"
check_true "X-Forwarded-Proto is https upstream" \
	grep -q 'proxy_set_header X-Forwarded-Proto \$scheme;' "$CONF"

# 3. Plain HTTP: redirected to HTTPS, but for ACME challenges.
check_true "http:// is a 301 to https:// with the port and path" \
	test "$(tcurl -o /dev/null -w '%{http_code} %{redirect_url}' \
		"http://app.test:$http/a/b?c=d")" = \
		"301 https://app.test:$https/a/b?c=d"
echo token-content >"$TMP/acme/.well-known/acme-challenge/tok1"
acme=http://app.test:$http/.well-known/acme-challenge
check_true "an ACME challenge is served from the webroot over HTTP" \
	test "$(tcurl "$acme/tok1")" = token-content
check_true "the redirect follows to the app" \
	grep -q 'msg=www path=/x$' <<<"$(tcurl -L "http://app.test:$http/x")"

# 4. Renewal as certbot's deploy hook does it: new files in the live
# directory, then deploy nginx --reload; nginx serves the new one.
old=$(served_enddate)
cp "$CERTS/site.pem" "$LIVE/fullchain.pem"
run "$DEPLOY" nginx --reload
check_rc "the deploy hook's nginx --reload: exit 0" 0
check_out "the config is unchanged and nginx reloaded" \
	"unchanged; reloaded nginx \(pid $ngx_pid\)"
check_out "the renewed certificate has 90 days" "\(in 90 days\)"
check_true "no warning for it" test -z "$err"
want=$(openssl x509 -in "$CERTS/site.pem" -noout -enddate)
# True once nginx serves the certificate that expires at $want.
renewed() { [ "$(served_enddate)" = "$want" ]; }
check_true "nginx serves the renewed certificate ($old -> $want)" \
	wait_for 5 renewed

# 5. A bad pair: refused before anything is written, nginx serves on.
cp "$CONF" "$TMP/good.conf"
# After a refusal: exit 3, the key named, the config, nginx.
after_refusal() {
	check_rc "$1: exit 3" 3
	check_err "$1: the message names the key and says why" "$2"
	check_true "$1: the config is byte for byte the previous one" \
		cmp -s "$CONF" "$TMP/good.conf"
	check_true "$1: nginx still runs" nginx_alive
	check_true "$1: nginx still serves HTTPS" serving
}
# pair CERT KEY: the tls keys of that pair of files in $CERTS.
pair() {
	printf '"certificate": "%s", "key": "%s"' "$CERTS/$1" "$CERTS/$2"
}
at='ecosystem\.json:[0-9]+:[0-9]+: nginx\.tls'
write_eco 2 "$(pair site.pem other.key)"
run "$DEPLOY" nginx --reload
after_refusal "a key of another certificate" \
	"$at\.key: '$CERTS/other\.key' is not the key of the certificate"
write_eco 2 "$(pair old.pem site.key)"
run "$DEPLOY" nginx --reload
after_refusal "an expired certificate" \
	"$at\.certificate: the certificate '$CERTS/old\.pem' expired on 2020"
write_eco 2
sed -i 's/"app.test"/"other.test"/' ecosystem.json
run "$DEPLOY" up --wait --timeout 20
after_refusal "deploy up with auto and a name the certificate lacks" \
	"$at\.live: the certificate '.*' does not cover server name 'other"

# 6. "auto": scaling api rewrites the config and reloads nginx.
write_eco 3
run "$DEPLOY" up --wait --timeout 20
check_rc "up after scaling api to 3: exit 0" 0
check_err "up rewrote and reloaded nginx" \
	"^nginx: wrote $CONF .*; reloaded nginx \(pid $ngx_pid\)$"
check_true "api has 3 servers" \
	test "$(sed -n '/^upstream api /,/^}/p' "$CONF" | grep -c server)" = 3
# True once api's instance 2 has answered through nginx.
new_seen() { get /api/ | grep -q '^instance=2 '; }
check_true "the new instance answers over HTTPS" wait_for 5 new_seen

# 7. Rolling reloads of both apps while HTTPS requests run, each on a
# new TLS connection: not one fails.
urls=()
for _ in $(seq 1 25); do
	urls+=(-o /dev/null "https://app.test:$https/api/" -o /dev/null \
		"https://app.test:$https/")
done
# https_load SECONDS: GET both apps for SECONDS; print ok=N failed=M.
https_load() {
	local end=$((SECONDS + $1)) ok=0 failed=0 codes
	while [ $SECONDS -lt $end ]; do
		codes=$(tcurl -H 'Connection: close' -w '%{http_code}\n' \
			"${urls[@]}")
		ok=$((ok + $(grep -c '^200$' <<<"$codes")))
		failed=$((failed + $(grep -vc '^200$' <<<"$codes")))
	done
	echo "ok=$ok failed=$failed"
}
https_load 8 >"$TMP/load" &
load=$!
track_pid $load
reload_during $load all
check_true "$reloads rolling reloads of both apps during the loop" \
	test "$reloads" -ge 1
check_true "0 failed HTTPS requests ($(cat "$TMP/load"))" \
	grep -qE '^ok=[1-9][0-9]* failed=0$' "$TMP/load"

stop_all

finish
