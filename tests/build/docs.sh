#!/usr/bin/env bash
# The command line's documents against its parser: for every verb, the long flags of its
# --help, of its man page section (`kage help --man`) and of its bash and zsh completions are
# the same set, and getopt takes each of them; `make install` puts the binary, the man page
# and both completions in place. All of them come from the option tables (runtime/cli/
# options.h), so a failure here means a generator or a verb left its table.
. "$(dirname "$0")/../lib.sh"

[ -x "$KAGE" ] || { not_ok "$KAGE exists (run make)"; finish; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_status "help --man exits 0" 0 bash -c '"$1" help --man >"$2/kage.8"' _ "$KAGE" "$tmp"
expect_status "completion bash exits 0" 0 bash -c '"$1" completion bash >"$2/bash"' _ "$KAGE" "$tmp"
expect_status "completion zsh exits 0" 0 bash -c '"$1" completion zsh >"$2/zsh"' _ "$KAGE" "$tmp"
expect_status "completion fish is an error" 1 bash -c '"$1" completion fish 2>/dev/null' _ "$KAGE"

# The man page is well-formed roff: groff warns about nothing (-ww: every warning).
warnings=$(groff -man -Tutf8 -ww -z "$tmp/kage.8" 2>&1)
check "groff reads the man page without a warning" test -z "$warnings"
[ -z "$warnings" ] || diag "$warnings"
rendered=$(MANWIDTH=100 man -l "$tmp/kage.8" 2>/dev/null)
for section in NAME SYNOPSIS DESCRIPTION COMMANDS "GLOBAL OPTIONS" FILES "SEE ALSO"; do
	contains "the man page has $section" "$rendered" $'\n'"$section"$'\n'
done
contains "FILES names the settings file" "$rendered" "/etc/kage/config.json"
contains "FILES names the state directory" "$rendered" "/run/kage"

# The long flags of a --help text: those of its option lines (indented, then a dash).
help_flags() {
	grep -E '^ +-' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}
# The flags of the .TP entries in one man page section (".SS verb", or ".SH GLOBAL OPTIONS").
man_flags() {
	awk -v head="$1" '/^\.S[SH] / { on = ($0 == head) } on && prev == ".TP" { print }
		{ prev = $0 }' "$tmp/kage.8" | sed 's/\\-/-/g' | grep -oE -- '--[a-z][a-z0-9-]*' |
		sort -u
}
# The flags the bash script offers in a verb's case ('' is the global options').
bash_flags() {
	awk -v pat="$1)" '$1 == pat { on = 1 } on && /flags=/ { print; exit }' "$tmp/bash" |
		grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}
# The flags of the zsh script's _arguments specs for a verb (or the global ones: -C).
zsh_flags() {
	if [ "$1" = "''" ]; then
		awk '/_arguments -C/ { on = 1 } on && /->verb/ { exit } on' "$tmp/zsh"
	else
		awk -v pat="$1)" '$1 == pat { on = 1; next } on && /;;/ { exit } on' "$tmp/zsh"
	fi | grep -oE -- "'--[a-z][a-z0-9-]*" | tr -d "'" | sort -u
}

same() {
	local name=$1 want=$2 got=$3
	if [ "$want" = "$got" ]; then
		ok "$name"
	else
		not_ok "$name"
		diag "want: $(echo $want)"
		diag "got:  $(echo $got)"
	fi
}

# A value each option taking one accepts without calling itself unknown: every --format
# takes json, and the other options take any word (a bad one is refused by its own check).
try_flag() {
	local out
	out=$("$KAGE" "$@" --help 2>&1 </dev/null)
	case $out in
	*"unknown option"* | *"bad option"* | *"option '"*"' is not supported"*)
		diag "$*: $out"
		return 1 ;;
	esac
}

global_help=$("$KAGE" --help)
verbs=$(sed -n '/^Commands:/,/^$/p' <<<"$global_help" | awk 'NR > 1 && NF { print $1 }')
check "kage --help lists the commands" test -n "$verbs"

want=$(printf '%s\n' "$global_help" | sed -n '/^Global options/,$p' | help_flags)
same "global options: man page = --help" "$want" "$(man_flags '.SH GLOBAL OPTIONS')"
same "global options: bash completion = --help" "$want" "$(bash_flags "''")"
same "global options: zsh completion = --help" "$want" "$(zsh_flags "''")"
for flag in $want; do
	if grep -qE -- "$flag [A-Z]" <<<"$global_help"; then
		check "kage $flag=VALUE: getopt takes it" try_flag "$flag=json"
	else
		check "kage $flag: getopt takes it" try_flag "$flag"
	fi
done

for verb in $verbs; do
	usage=$("$KAGE" "$verb" --help 2>&1)
	check "$verb --help says Usage" grep -q '^Usage: kage' <<<"$usage"
	want=$(help_flags <<<"$usage")
	# `kage vm run` takes every flag of `kage vm`, and the run-only ones.
	sub=
	[ "$verb" = vm ] && sub=run
	for flag in $want; do
		if grep -qE -- "$flag [A-Z]" <<<"$usage"; then
			check "$verb $flag=VALUE: getopt takes it" try_flag "$verb" $sub "$flag=json"
		else
			check "$verb $flag: getopt takes it" try_flag "$verb" $sub "$flag"
		fi
	done
	if [ "$(wc -w <<<"$want")" -gt 1 ]; then
		check "$verb refuses a flag its --help does not list" bash -c '
			out=$("$1" "$2" --no-such-flag --help 2>&1)
			grep -qE "unknown option|bad option|option .* is not supported" <<<"$out"' _ \
			"$KAGE" "$verb"
	fi
	if grep -q "^See \\\\fBkage $verb \\\\-\\\\-help" "$tmp/kage.8"; then
		# Its entry in the verb table has no option table yet: only its summary is listed.
		skip "$verb: man page and completions list its flags" \
			"$verb has no option table yet (runtime/cli/options.h)"
		continue
	fi
	check "$verb --help lists --help" grep -qx -- '--help' <<<"$want"
	same "$verb: man page = --help" "$want" "$(man_flags ".SS $verb")"
	same "$verb: bash completion = --help" "$want" "$(bash_flags "$verb")"
	same "$verb: zsh completion = --help" "$want" "$(zsh_flags "$verb")"
done

# The bash completion, driven as bash drives it. A stand-in kage on PATH answers `list -q`
# with two ids and records its arguments, so the test sees which --root it was given.
mkdir "$tmp/bin"
cat >"$tmp/bin/kage" <<EOF
#!/bin/sh
echo "\$*" >>"$tmp/args"
printf 'alpha\nbeta\n'
EOF
chmod +x "$tmp/bin/kage"
complete_words() {
	PATH="$tmp/bin:$PATH" bash -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
		_kage; echo "${COMPREPLY[*]}"' _ "$tmp/bash" "$@"
}
contains "bash: complete -F _kage kage" \
	"$(bash -c 'source <("$1" completion bash) && complete -p kage' _ "$KAGE")" \
	"complete -F _kage kage"
same "bash: 'kage cr' completes to create" "create" "$(complete_words kage cr)"
same "bash: 'kage del --f' completes to --force" "--force" "$(complete_words kage delete --f)"
same "bash: 'kage help v' offers the verbs" "vm version" "$(complete_words kage help v)"
same "bash: 'kage --root R kill ' offers the container ids" "alpha beta" \
	"$(complete_words kage --root /tmp/r kill '')"
contains "bash: the ids come from kage --root R list -q" "$(cat "$tmp/args")" \
	"--root /tmp/r list -q"
check "bash: 'kage create ' offers no ids (it wants a new one)" \
	bash -c '! grep -qw alpha <<<"$1"' _ "$(complete_words kage create '')"
check "zsh: the script starts with #compdef kage" grep -qx '#compdef kage' "$tmp/zsh"
if command -v zsh >/dev/null; then
	check "zsh: the script parses" zsh -n "$tmp/zsh"
else
	# bash parses zsh's quoting alike: an unbalanced quote in a description shows here too.
	check "zsh: the script's quoting holds (bash -n; no zsh on this machine)" bash -n "$tmp/zsh"
fi

# make install, into a scratch DESTDIR, from the build directory of the kage under test;
# -o: install that binary as it is, without rebuilding it from a tree others may be editing
# (and the documents made again from it: -o keeps make from seeing that they are older).
build=$(dirname "$KAGE")
if [ -f "$build/deps.mk" ] && [ "$(basename "$KAGE")" = kage ]; then
	dest=$tmp/dest
	rm -rf "$build/doc"
	make -s -C "$KAGE_REPO" BUILD="$build" -o "$build/kage" DESTDIR="$dest" install \
		>"$tmp/install.log" 2>&1
	check "make install DESTDIR=... succeeds" test $? = 0 ||
		diag "$(tail -5 "$tmp/install.log")"
	check "installs the binary to bin/kage" cmp -s "$KAGE" "$dest/usr/local/bin/kage"
	check "installs the man page to share/man/man8/kage.8" \
		cmp -s "$tmp/kage.8" "$dest/usr/local/share/man/man8/kage.8"
	check "installs the bash completion to share/bash-completion/completions/kage" \
		cmp -s "$tmp/bash" "$dest/usr/local/share/bash-completion/completions/kage"
	check "installs the zsh completion to share/zsh/site-functions/_kage" \
		cmp -s "$tmp/zsh" "$dest/usr/local/share/zsh/site-functions/_kage"
	check "the installed binary is executable" test -x "$dest/usr/local/bin/kage"
else
	skip "make install" "$KAGE is not the kage of a build directory"
fi
finish
