#!/usr/bin/env bash
# nginx-main.sh PREFIX INCLUDE...: print a main nginx.conf that keeps
# everything (pid, error log, temp files) under PREFIX, needs no root
# beyond its listen ports, and includes each INCLUDE in the http context.
# Used by the demo, the nginx tests and the benchmarks.
set -eu
prefix=$1
shift
cat <<CONF
pid $prefix/nginx.pid;
error_log $prefix/error.log;
worker_processes ${NGINX_WORKERS:-2};
events {
	worker_connections ${NGINX_CONNECTIONS:-1024};
}
http {
	access_log off;
	client_body_temp_path $prefix/client_body;
	proxy_temp_path $prefix/proxy;
	fastcgi_temp_path $prefix/fastcgi;
	uwsgi_temp_path $prefix/uwsgi;
	scgi_temp_path $prefix/scgi;
CONF
for f in "$@"; do
	printf '\tinclude %s;\n' "$f"
done
echo "}"
