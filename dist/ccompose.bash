# bash completion for ccompose: commands, their flags and, for the
# commands that take services, the project's services.  Commands and flags
# come from ccompose's own --help, so they never drift from the program;
# services from `ccompose config --services` with the -f, -p,
# --project-directory, --env-file and --profile options already typed.

# Long and short flags of a help text's option lines.
_ccompose_flags() {
  ccompose "$@" --help 2>/dev/null | sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}\(--[a-z][a-z0-9-]*\).*/\1\2/p' |
    tr -d ',' | tr ' ' '\n' | grep -- '^-'
}

_ccompose_commands() {
  ccompose --help 2>/dev/null | sed -n '/^Commands:/,/^$/p' | awk 'NF > 1 { print $1 }'
}

_ccompose() {
  local cur=${COMP_WORDS[COMP_CWORD]} i w cmd='' global=()
  # Global options that take a value: the value is not the command.
  local with_value=' -f --file -p --project-name --project-directory --env-file --profile --ansi --log-level --parallel --progress '
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    if [[ -z $cmd && $with_value == *" $w "* ]]; then
      global+=("$w" "${COMP_WORDS[i + 1]}")
      i=$((i + 1))
    elif [[ -z $cmd && $w != -* ]]; then
      cmd=$w
    fi
  done
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$(_ccompose_flags)" -- "$cur")
    else
      mapfile -t COMPREPLY < <(compgen -W "$(_ccompose_commands)" -- "$cur")
    fi
    return 0
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_ccompose_flags "$cmd")" -- "$cur")
  elif ccompose "$cmd" --help 2>/dev/null | head -n 1 | grep -q SERVICE; then
    mapfile -t COMPREPLY < <(compgen -W "$(ccompose "${global[@]}" config --services 2>/dev/null)" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
  return 0
}
complete -F _ccompose ccompose
