# bash completion for runner(1): commands, options, and the revision ids of
# the manifest (asked of the runner itself: `runner __complete ids`) for
# --to, baseline, repair, split, renumber, upgrade and downgrade.
# Installed as /usr/share/bash-completion/completions/runner; to try it by
# hand: source completions/runner.bash

_runner_commands="up down redo status current history new check sql baseline repair split
renumber init schema verify wait version upgrade downgrade revision diff report rehearse refs
help"

_runner_globals="-d --database -c --config -m --manifest -e --env --table --lock-timeout
--wait --progress --json -q --quiet -v --verbose --no-color --version -h --help --lock-mode"

# The options of one command (after it on the command line).
_runner_options() {
    case $1 in
        up) echo "--to --dry-run --allow-out-of-order --resume --from-statement" ;;
        down) echo "--to --dry-run --all" ;;
        status) echo "--exit-code" ;;
        history) echo "--limit" ;;
        new) echo "--data --no-transaction --timestamp --autogenerate --rename --scratch" ;;
        check) echo "--strict --dialect --privileges --refs" ;;
        sql) echo "--to --allow-out-of-order" ;;
        repair) echo "--forget" ;;
        renumber) echo "--name" ;;
        init) echo "--dialect" ;;
        verify) echo "--scratch --all" ;;
        upgrade | downgrade) echo "--dry-run" ;;
        revision) echo "-m --message --data --no-transaction --timestamp --autogenerate --rename --scratch" ;;
        diff) echo "--rename --scratch --from --to" ;;
        schema) echo "--out --from --format" ;;
        report) echo "--html --verify-json --rehearse-json" ;;
        rehearse) echo "--to --round-trip --keep --copy-into --schema-only" ;;
        wait) echo "--replicated" ;;
    esac
    case $1 in
        up | down | status | check | verify) echo "--targets --fleet --parallel --fail-fast" ;;
    esac
}

# Options that take a value (the next word, or after '=').
_runner_takes_value() {
    case $1 in
        -d | --database | -c | --config | -m | --manifest | -e | --env | --table | \
            --lock-timeout | --wait | --to | --name | --dialect | --scratch | --message | \
            --progress | --limit | --rename | --from | --out | --format | --html | --verify-json | \
            --rehearse-json | --copy-into | --lock-mode | --replicated | --from-statement)
            return 0
            ;;
        --targets | --parallel)
            return 0
            ;;
    esac
    return 1
}

# Reads the words before the cursor ("${_runner_words[@]}", the runner's
# own name first): the command, how many of its arguments precede the
# cursor, and the options that choose the manifest (-m, -c, -e), to pass on
# to `runner __complete ids`.
_runner_scan() {
    local i word value
    _runner_command=""
    _runner_positional=0
    _runner_manifest_args=()
    for ((i = 1; i < ${#_runner_words[@]}; i++)); do
        word=${_runner_words[i]}
        if [[ $word == -* && $word != *=* ]] && _runner_takes_value "$word"; then
            ((i++))
            ((i < ${#_runner_words[@]})) || break
            value=${_runner_words[i]}
            case $word in
                -m) [[ $_runner_command == revision ]] || _runner_manifest_args+=(-m "$value") ;;
                --manifest | -c | --config | -e | --env) _runner_manifest_args+=("$word" "$value") ;;
            esac
        elif [[ $word == --manifest=* || $word == --config=* || $word == --env=* ]]; then
            _runner_manifest_args+=("$word")
        elif [[ $word != -* ]]; then
            if [[ -z $_runner_command ]]; then
                _runner_command=$word
            else
                ((_runner_positional++))
            fi
        fi
    done
}

# The manifest's revision ids, from the same manifest the command line
# names; nothing when there is none.
_runner_ids() {
    command "${_runner_words[0]}" "${_runner_manifest_args[@]}" __complete ids 2>/dev/null
}

_runner() {
    # The line up to the cursor, split at blanks only: COMP_WORDS is also
    # split at '=' and ':', which would take sqlite:x.db and --to=ID apart.
    local line=${COMP_LINE:0:COMP_POINT} cur="" prev=""
    local -a _runner_words _runner_manifest_args
    local _runner_command _runner_positional
    read -ra _runner_words <<<"$line"
    if [[ ${#_runner_words[@]} -gt 0 && $line != *[[:space:]] ]]; then
        cur=${_runner_words[-1]}
        unset '_runner_words[-1]'
    fi
    ((${#_runner_words[@]} > 0)) || return 0
    prev=${_runner_words[-1]}
    # --to=ID: the value is completed on its own (readline's word starts after '=').
    if [[ $cur == --*=* ]]; then
        prev=${cur%%=*}
        cur=${cur#*=}
    fi
    COMPREPLY=()
    _runner_scan
    local positional=$_runner_positional

    case $prev in
        --to)
            if [[ $_runner_command == diff ]]; then
                mapfile -t COMPREPLY < <(compgen -W "schema migrations" -- "$cur")
            else
                mapfile -t COMPREPLY < <(compgen -W "$(_runner_ids)" -- "$cur")
            fi
            return
            ;;
        --from)
            if [[ $_runner_command == diff ]]; then
                mapfile -t COMPREPLY < <(compgen -W "migrations database" -- "$cur")
            else
                mapfile -t COMPREPLY < <(compgen -W "migrations" -- "$cur")
            fi
            return
            ;;
        --format)
            mapfile -t COMPREPLY < <(compgen -W "mermaid dot svg" -- "$cur")
            return
            ;;
        --targets)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        --parallel)
            return
            ;;
        --out | --html | --verify-json | --rehearse-json)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        -c | --config | --manifest)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        -m)
            [[ $_runner_command == revision ]] || mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            return
            ;;
        --dialect)
            mapfile -t COMPREPLY < <(compgen -W "sqlite postgres mysql" -- "$cur")
            return
            ;;
        --progress)
            mapfile -t COMPREPLY < <(compgen -W "auto always never" -- "$cur")
            return
            ;;
        --lock-mode)
            mapfile -t COMPREPLY < <(compgen -W "advisory table" -- "$cur")
            return
            ;;
        -d | --database | -e | --env | --table | --lock-timeout | --wait | --name | --scratch | \
            --message | --limit | --rename | --copy-into | --replicated)
            return
            ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$_runner_globals $(_runner_options "$_runner_command")" \
            -- "$cur")
        return
    fi
    if [[ -z $_runner_command ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$_runner_commands" -- "$cur")
        return
    fi
    case $_runner_command in
        baseline | repair | split | renumber)
            ((positional == 0)) && mapfile -t COMPREPLY < <(compgen -W "$(_runner_ids)" -- "$cur")
            ;;
        upgrade)
            ((positional == 0)) && mapfile -t COMPREPLY < <(compgen -W "head $(_runner_ids)" -- "$cur")
            ;;
        downgrade)
            ((positional == 0)) && mapfile -t COMPREPLY < <(compgen -W "base $(_runner_ids)" -- "$cur")
            ;;
        sql)
            ((positional == 0)) && mapfile -t COMPREPLY < <(compgen -W "up down" -- "$cur")
            ;;
        schema)
            ((positional == 0)) && mapfile -t COMPREPLY < <(compgen -W "dump doc diagram" -- "$cur")
            ;;
        help)
            ((positional == 0)) && mapfile -t COMPREPLY < <(compgen -W "$_runner_commands" -- "$cur")
            ;;
        init)
            ((positional == 0)) && mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            ;;
        refs)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            ;;
    esac
    return 0
}

complete -F _runner runner
