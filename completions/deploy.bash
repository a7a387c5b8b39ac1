# bash completion for deploy: commands, app names and deploy targets.
# Installed to $(PREFIX)/share/bash-completion/completions/deploy.

_deploy() {
	local cur prev cmd i
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-c | --config | --env) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	case $prev in
	-c | --config | -o | --output | --template)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	esac
	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W "$(deploy __complete commands 2>/dev/null)
			--help --version --json -c --env" -- "$cur"))
		return
	fi
	case $cmd in
	start | stop | restart | reload | delete | down | kill | logs | reset)
		COMPREPLY=($(compgen -W "$(deploy __complete apps 2>/dev/null)
			all" -- "$cur")) ;;
	ls | list | status | l | show | describe | info | flush)
		COMPREPLY=($(compgen -W "$(deploy __complete apps 2>/dev/null)
			--json" -- "$cur")) ;;
	up)
		COMPREPLY=($(compgen -W "$(deploy __complete apps 2>/dev/null)
			$(deploy __complete targets 2>/dev/null) --wait --timeout" \
			-- "$cur")) ;;
	setup | rollback | releases | exec | nginx)
		COMPREPLY=($(compgen -W "$(deploy __complete targets 2>/dev/null)" \
			-- "$cur")) ;;
	help)
		COMPREPLY=($(compgen -W "$(deploy __complete commands 2>/dev/null)" \
			-- "$cur")) ;;
	esac
}
complete -F _deploy deploy
