#!/usr/bin/env bash
# deploy validate: every error class with its message and exit code, the
# resolved config, warnings, and file discovery.
. "$(dirname "$0")/lib.sh"

cd "$FIXTURES/ecosystems" || exit 1

# expect_invalid FILE MESSAGE: validate fails with exit 3 and MESSAGE.
expect_invalid() {
	run "$DEPLOY" -c "$1" validate
	check_rc "$1 is invalid (exit 3)" 3
	if [ "$err" = "deploy: $2" ]; then ok "$1: message"
	else not_ok "$1: message" "got:  $err" "want: deploy: $2"; fi
	check_true "$1: nothing on stdout" test -z "$out"
}

expect_invalid syntax-error.json \
	"syntax-error.json:6:17: invalid JSON: '}' expected near '\"instances\"'"
expect_invalid bad-instances.json \
	'bad-instances.json:14:20: apps[2].instances: expected a number or "max"'
expect_invalid bad-env.json \
	'bad-env.json:7:19: apps[0].env.CONFIG: expected a string, number or boolean'
expect_invalid dup-name.json \
	"dup-name.json:6:15: apps[3].name: duplicate app name 'api' (also apps[1])"
expect_invalid missing-script.json \
	'missing-script.json:3:5: apps[0]: missing "script"'
expect_invalid port-overlap.json \
	"port-overlap.json:4:50: apps[1].port: ports 3000-3003 overlap app 'web' (3002-3003)"
expect_invalid deploy-bad-host.json \
	'deploy-bad-host.json:6:9: deploy.production.host[1]: expected "host" or "host:port"'

for f in koa-cluster.json multi-deploy.json python.json bare-array.json \
	single-app.json; do
	run "$DEPLOY" -c "$f" validate
	check_rc "$f is valid" 0
	check_out "$f: says valid" "^$f: valid: "
done

run "$DEPLOY" -c deploy-no-host.json validate
check_rc "a deploy target without host is no error (PM2 reads it only to deploy)" 0
check_err "but a warning" \
	'deploy-no-host.json:4:5: deploy.production: missing "host": this target is ignored'

run "$DEPLOY" -c pm2-js.json validate
check_rc "unknown keys are only warnings" 0
check_err "with a did-you-mean suggestion" \
	'pm2-js.json:8:7: apps\[0\].instnaces: unknown key \(did you mean "instances"\?\)'

run "$DEPLOY" -c koa-cluster.json --env production validate --print
check_rc "validate --print exits 0" 0
check_true "--print is JSON" jq -e . <<<"$out"
check_true "--env production overlays env_production" \
	test "$(jq -r '.apps[0].env.NODE_ENV' <<<"$out")" = production
check_true "--print expands instances with their PORT" \
	test "$(jq -r '[.apps[0].instances_list[].env.PORT] | join(",")' \
		<<<"$out")" != ""

run "$DEPLOY" -c koa-cluster.json validate --json
check_rc "validate --json exits 0" 0
check_true "validate --json says valid" \
	test "$(jq -r .valid <<<"$out")" = true

printf '{"apps": [{"name": "w", "script": "w.js", "port": 3000,\n  "nginx": {"wieght": 2}}]}\n' >"$TMP/ngx.json"
run "$DEPLOY" -c "$TMP/ngx.json" validate
check_rc "a bad nginx key fails validate too" 3
check_err "naming the key with a suggestion" \
	'ngx.json:2:[0-9]+: apps\[0\].nginx.wieght: .*"weight"'

run "$DEPLOY" -c /nonexistent/eco.json validate
check_rc "a missing file exits 3" 3
check_err "and names it with the errno" \
	"cannot read '/nonexistent/eco.json': No such file or directory"

mkdir -p "$TMP/empty" && cd "$TMP/empty" || exit 1
mkdir -p jobs && touch index.mjs server.js w.js jobs/cleanup.py
run "$DEPLOY" validate
check_rc "no ecosystem file here exits 3" 3
check_err "and says where it looked" \
	'looked for ecosystem.json, ecosystem.config.js, .cjs, .mjs'
cp "$FIXTURES/ecosystems/single-app.json" process.json
run "$DEPLOY" validate
check_rc "process.json is found" 0
cp "$FIXTURES/ecosystems/python.json" ecosystem.config.json
run "$DEPLOY" validate
check_out "ecosystem.config.json comes before process.json" \
	'^ecosystem.config.json: valid'

# JavaScript files, evaluated by node at the time of the command.
if command -v node >/dev/null; then
	echo '{"version": "4.5.6"}' >package.json
	cat >ecosystem.config.js <<'JS'
const os = require('os');
module.exports = {
  apps: [{
    name: 'api', script: 'server.js', instances: os.cpus().length,
    env: { DIR: __dirname, VERSION: require('./package.json').version,
           FROM_ENV: process.env.ECO_TEST_VAR }
  }]
};
JS
	ECO_TEST_VAR=hello run "$DEPLOY" validate --print
	check_rc "ecosystem.config.js is found before the JSON names" 0
	check_true "__dirname, require(), os.cpus() and process.env work" \
		test "$(jq -c '.apps[0] | [.instances, .env]' <<<"$out")" = \
		"[$(nproc),{\"DIR\":\"$PWD\",\"VERSION\":\"4.5.6\",\"FROM_ENV\":\"hello\"}]"
	printf 'module.exports = {\n  apps: [{\n    name: "a"\n    script: "x"\n  }]\n};\n' \
		>bad.config.js
	run "$DEPLOY" -c bad.config.js validate
	check_rc "a JavaScript syntax error exits 3" 3
	check_err "with node's file:line:col" \
		"^deploy: bad.config.js:4:5: SyntaxError: Unexpected identifier"
	printf 'module.exports = { apps: [{ script: "a.js", x: nope.y }] };\n' \
		>bad2.config.js
	run "$DEPLOY" -c bad2.config.js validate
	check_err "a JavaScript error names file:line:col" \
		"^deploy: bad2.config.js:1:[0-9]+: ReferenceError: nope is not defined"
	printf 'export default { apps: [{ script: "m.js", instances: "x" }] };\n' \
		>e.config.mjs
	run "$DEPLOY" -c e.config.mjs validate
	check_err "an .mjs file is read; its errors name the JSON path" \
		'^deploy: e.config.mjs: apps\[0\].instances: expected a number'
	printf "{\n  // PM2's old template\n  apps : [{ name : 'w', script : 'w.js' }]\n}\n" \
		>js-like.json
	run "$DEPLOY" -c js-like.json validate
	check_rc "a .json file with unquoted keys and quotes is read" 0
	DEPLOY_NODE=/nonexistent/node run "$DEPLOY" validate
	check_rc "without node a JavaScript file exits 3" 3
	check_err "with one line saying so" \
		"^deploy: ecosystem.config.js: a JavaScript file needs node .*not installed"
	check_true "one line only" test "$(wc -l <<<"$err")" -eq 1
fi

# The script must exist (PM2: "Script not found"): next to the file, or
# (as PM2 resolves it) where the command runs.
mkdir -p "$TMP/repo/src" && cd "$TMP/repo" || exit 1
touch src/app.js
echo '{"apps": [{"name": "a", "script": "src/app.js"}]}' >src/eco.json
run "$DEPLOY" -c src/eco.json validate --print
check_rc "a script found where the command runs is valid" 0
check_true "--print shows the path and the base it was found in" \
	test "$(jq -c '.apps[0] | [.script_path, .script_base, .cwd]' \
		<<<"$out")" = "[\"$PWD/src/app.js\",\"the working directory\",\"$PWD\"]"
cd src || exit 1
run "$DEPLOY" -c eco.json validate
check_rc "a missing script is an error" 3
check_err "naming both places looked in" \
	"eco.json: apps\[0\].script: 'src/app.js' not found next to the file \('$PWD'\) nor where the command runs \('$PWD'\)|not found in '$PWD'"
run "$DEPLOY" -c eco.json validate --json
check_rc "validate --json of an invalid file exits 3" 3
check_true "and prints valid false with the error" \
	test "$(jq -c '[.valid, .errors[0].path, .errors[0].file]' <<<"$out")" \
	= '[false,"apps[0].script","eco.json"]'
cd "$FIXTURES/ecosystems" || exit 1
run "$DEPLOY" -c bad-instances.json validate --json
check_true "--json errors have file, line, col, path and message" \
	test "$(jq -c '.errors[0]' <<<"$out")" = \
	'{"file":"bad-instances.json","line":14,"col":20,"path":"apps[2].instances","message":"expected a number or \"max\""}'
check_true "with the warnings" test "$(jq -c '.warnings' <<<"$out")" = "[]"
run "$DEPLOY" -c syntax-error.json validate --json
check_true "a JSON syntax error has no path" \
	test "$(jq -c '.errors[0] | [.line, .col, .path]' <<<"$out")" = '[6,17,null]'

finish
