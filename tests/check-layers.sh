#!/usr/bin/env bash
# make check-layers: fail when a lower layer includes a higher one.
# The layers of core/, lowest first (core/ARCHITECTURE.md says why);
# folders on one line are side by side and must not include each other.
# core/ never includes cmd/ or ui/, and ui/ never includes cmd/.
set -u
cd "$(dirname "$0")/.."
LAYERS=(
	"lib"
	"proto"
	"eco"
	"probe nginx remote"
	"sup"
	"daemon"
)
declare -A rank
for i in "${!LAYERS[@]}"; do
	for d in ${LAYERS[$i]}; do rank[$d]=$i; done
done

bad=0
# complain FILE LINE MESSAGE
complain() { echo "$1:$2: $3"; bad=$((bad + 1)); }

for dir in core/*/; do
	d=$(basename "$dir")
	if [ -z "${rank[$d]+x}" ]; then
		complain "$dir" 0 "folder '$d' is in no layer (tests/check-layers.sh)"
		continue
	fi
	while IFS=: read -r file line inc; do
		target=$(sed -n 's|.*#include "\([a-z]*\)/\([a-z]*\)/.*|\1/\2|p' <<<"$inc")
		case $target in
		cmd/*|ui/*) complain "$file" "$line" "core includes $target" ;;
		core/*)
			t=${target#core/}
			[ "$t" = "$d" ] && continue
			if [ -z "${rank[$t]+x}" ]; then
				complain "$file" "$line" "unknown folder core/$t"
			elif [ "${rank[$t]}" -ge "${rank[$d]}" ]; then
				complain "$file" "$line" "core/$d (layer ${rank[$d]}) includes core/$t (layer ${rank[$t]})"
			fi ;;
		esac
	done < <(grep -n '#include "' "$dir"*.[ch] /dev/null)
done
while IFS=: read -r file line inc; do
	complain "$file" "$line" "ui includes cmd: ${inc#*#include }"
done < <(grep -n '#include "cmd/' ui/*.[ch] /dev/null)
# A bare "x.h" (not core/...) inside core hides which layer it is in.
while IFS=: read -r file line inc; do
	complain "$file" "$line" "include by folder path: ${inc#*#include }"
done < <(grep -n '#include "[a-z_]*\.h"' core/*/*.[ch] /dev/null)

if [ "$bad" -gt 0 ]; then
	echo "check-layers: $bad include(s) against the layers"
	exit 1
fi
echo "check-layers: $(ls core/*/*.[ch] | wc -l) files in ${#rank[@]} folders keep to the layers"
