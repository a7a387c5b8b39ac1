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

cd "$TMP/badpkg" || exit 1
printf '{"name": "x",\n  "main": }\n' >package.json
run "$DEPLOY" init
check_rc "a broken package.json fails" 3
check_err "the package.json error has line and column" '^deploy: package.json:2:'
check_true "nothing was written" test ! -e ecosystem.json

finish
