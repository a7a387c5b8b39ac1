#!/usr/bin/env bash
# help, version, unknown commands and options: messages and exit codes.
. "$(dirname "$0")/lib.sh"

run "$DEPLOY" --version
check_rc "--version exits 0" 0
check_out "--version prints the version" '^deploy [0-9]+\.[0-9]+\.[0-9]+$'

run "$DEPLOY" --help
check_rc "--help exits 0" 0
check_out "--help lists validate" '^  validate '
check_out "--help lists init" '^  init '
check_out "--help shows global options" '--env NAME'

run "$DEPLOY"
check_rc "no command is a usage error" 2
check_err "no command prints the usage" '^usage: deploy'

run "$DEPLOY" frobnicate
check_rc "unknown command exits 2" 2
check_err "unknown command is named" "^deploy: unknown command 'frobnicate'"
check_true "unknown command: one line, not the usage" \
	test "$(wc -l <<<"$err")" = 1
run "$DEPLOY" valdiate
check_err "a near miss gets a guess" \
	"^deploy: unknown command 'valdiate' \(did you mean 'validate'\?\)$"

run "$DEPLOY" --frob
check_rc "unknown global option exits 2" 2
check_err "unknown global option is named" "unknown option '--frob'"

run "$DEPLOY" help validate
check_rc "help CMD exits 0" 0
check_out "help CMD shows usage" '^usage: deploy validate'
check_out "help CMD shows options" '--print'

run "$DEPLOY" validate --help
check_rc "CMD --help exits 0" 0
check_out "CMD --help shows the same usage" '^usage: deploy validate'

run "$DEPLOY" help nosuch
check_rc "help of unknown command exits 2" 2
check_err "help of unknown command names it" "unknown command 'nosuch'"

run "$DEPLOY" init --bogus
check_rc "unknown command option exits 2" 2
check_err "unknown command option is named" "^deploy: unknown option '--bogus'"
check_err "unknown command option prints usage" '^usage: deploy init'

run "$DEPLOY" validate -c
check_rc "-c without a value exits 2" 2
check_err "-c without a value says so" "option '-c' needs a value"

run "$DEPLOY" init --json
check_rc "--json on a command without JSON output exits 2" 2

# complete WORDS...: what bash completion offers for the last word.
complete_words() {
	PATH=$(dirname "$DEPLOY"):$PATH bash -c '
		. "$1/completions/deploy.bash"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _deploy
		echo "${COMPREPLY[*]}"' _ "$ROOT" "$@"
}
cd "$FIXTURES/ecosystems" || exit 1
cp multi-deploy.json "$TMP/ecosystem.json"
cd "$TMP" || exit 1
check_true "completion offers commands" \
	bash -c "[[ ' $(complete_words deploy re) ' == *' reload '* && ' $(complete_words deploy re) ' == *' restart '* ]]"
check_true "completion hides __complete" \
	bash -c "[[ ' $(complete_words deploy _) ' != *__complete* ]]"
check_true "completion offers app names after show and reset" \
	bash -c "[[ ' $(complete_words deploy show '') ' == *' api '* &&
		' $(complete_words deploy reset '') ' == *' api '* ]]"
check_true "completion offers the new commands" \
	bash -c "[[ ' $(complete_words deploy fl) ' == *' flush '* ]]"
check_true "completion offers app names after reload" \
	bash -c "[[ ' $(complete_words deploy reload '') ' == *' api '* ]]"
check_true "completion offers targets after up" \
	bash -c "[[ ' $(complete_words deploy up pro) ' == *' production '* ]]"

finish
