#!/usr/bin/env bash
# deploy init: starter file, package.json detection, no overwrite.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/plain" "$TMP/pkg" "$TMP/start" "$TMP/npm" "$TMP/badpkg"
cd "$TMP/plain" || exit 1
touch server.js
run "$DEPLOY" init
check_rc "init in an empty dir exits 0" 0
check_true "init wrote ecosystem.json" test -f ecosystem.json
run "$DEPLOY" validate
check_rc "the starter file validates" 0

echo '{"apps":[]}' >ecosystem.json
run "$DEPLOY" init
check_rc "init refuses to overwrite" 1
check_err "init says the file exists" "'ecosystem.json' already exists"
check_true "the existing file is untouched" \
	grep -qx '{"apps":\[\]}' ecosystem.json
run "$DEPLOY" init --force
check_rc "init --force replaces" 0
check_true "the replaced file has an app" grep -q '"script"' ecosystem.json

cd "$TMP/pkg" || exit 1
echo '{"name":"shop-api","main":"src/index.js"}' >package.json
mkdir -p src && touch src/index.js
run "$DEPLOY" init
check_rc "init with package.json exits 0" 0
run "$DEPLOY" validate --print
check_out "the name comes from package.json" '"name": "shop-api"'
check_out "the script comes from main" '"script": "src/index.js"'

cd "$TMP/start" || exit 1
echo '{"name":"koa","scripts":{"start":"node app.js --port 4000"}}' \
	>package.json
touch app.js
run "$DEPLOY" init
run "$DEPLOY" validate --print
check_out "the script comes from scripts.start" '"script": "app.js"'
check_out "the args come from scripts.start" '"--port"'

cd "$TMP/npm" || exit 1
echo '{"name":"nx","scripts":{"start":"next start"}}' >package.json
run "$DEPLOY" init
run "$DEPLOY" validate --print
check_out "a non-node start script runs through npm" '"script": "npm"'

mkdir -p "$TMP/both" && cd "$TMP/both" || exit 1
echo '{"name":"@acme/billing-api","main":"lib/index.js",
  "scripts":{"start":"node server.js"}}' >package.json
touch server.js
run "$DEPLOY" init
run "$DEPLOY" validate --print
check_out "a scoped package name becomes a valid app name" \
	'"name": "billing-api"'
check_out "with main and scripts.start, the start script wins" \
	'"script": "server.js"'

if command -v node >/dev/null; then
	mkdir -p "$TMP/pm2" && cd "$TMP/pm2" || exit 1
	touch app.js
	cat >ecosystem.config.js <<'JS'
module.exports = {
  apps: [{ name: "api", script: "app.js", instances: 1 + 1,
           env_production: { NODE_ENV: "production" } }],
};
JS
	run "$DEPLOY" init
	check_rc "init imports ecosystem.config.js" 0
	check_out "and says so" \
		'^wrote ecosystem.json from ecosystem.config.js'
	check_true "the import is what the JavaScript evaluates to" \
		test "$(jq -c '.apps[0] | [.name, .instances,
			.env_production.NODE_ENV]' ecosystem.json)" = \
		'["api",2,"production"]'
	run "$DEPLOY" validate
	check_out "deploy then reads the imported ecosystem.json" \
		'^ecosystem.json: valid: 1 app, 2 instances'
	mkdir -p "$TMP/procjson" && cd "$TMP/procjson" || exit 1
	touch w.js
	printf '{\n  // PM2 file\n  apps: [{ name: "w", script: "w.js" }]\n}\n' \
		>process.json
	run "$DEPLOY" init
	check_out "init imports process.json (as PM2 reads it)" \
		'^wrote ecosystem.json from process.json'
	check_true "as plain JSON" test "$(jq -r '.apps[0].name' \
		ecosystem.json)" = w
	printf 'module.exports = {apps: [{script: "x.js", instances: "x"}]};\n' \
		>"$TMP/pm2/ecosystem.config.js"
	cd "$TMP/pm2" && rm ecosystem.json
	run "$DEPLOY" init
	check_rc "a broken PM2 file is not imported" 3
	check_err "with the reason" \
		'cannot import ecosystem.config.js: .*instances: expected'
fi

cd "$TMP/badpkg" || exit 1
printf '{"name": "x",\n  "main": }\n' >package.json
run "$DEPLOY" init
check_rc "a broken package.json fails" 3
check_err "the package.json error has line and column" '^deploy: package.json:2:'
check_true "nothing was written" test ! -e ecosystem.json

finish
