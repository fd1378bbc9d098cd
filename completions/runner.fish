# fish completion for runner(1): commands, options, and the revision ids of
# the manifest (asked of the runner itself: `runner __complete ids`) for
# --to, baseline, repair, split, renumber, upgrade and downgrade.
# Installed as /usr/share/fish/vendor_completions.d/runner.fish.

# Reads the words before the cursor: prints the command (or nothing), then
# how many of its arguments there are, then the options that choose the
# manifest (-m, -c, -e), one a line.
function __runner_scan
    set -l tokens (commandline -opc)
    set -l command
    set -l positional 0
    set -l manifest_args
    set -l i 2
    while test $i -le (count $tokens)
        set -l word $tokens[$i]
        set -l next
        if test $i -lt (count $tokens)
            set next $tokens[(math $i + 1)]
        end
        switch $word
            case -m
                if test "$command" != revision
                    set -a manifest_args -m $next
                end
                set i (math $i + 1)
            case --manifest -c --config -e --env
                set -a manifest_args $word $next
                set i (math $i + 1)
            case '--manifest=*' '--config=*' '--env=*'
                set -a manifest_args $word
            case -d --database --table --lock-timeout --wait --to --name --dialect --scratch --message --progress --limit --rename --from --out --format --html --verify-json --rehearse-json --copy-into --lock-mode --replicated --targets --parallel
                set i (math $i + 1)
            case '-*'
            case '*'
                if test -z "$command"
                    set command $word
                else
                    set positional (math $positional + 1)
                end
        end
        set i (math $i + 1)
    end
    printf '%s\n' "$command" $positional $manifest_args
end

# The manifest's revision ids; nothing when there is none.
function __runner_ids
    set -l scan (__runner_scan)
    set -e scan[1..2]
    set -l tokens (commandline -opc)
    command $tokens[1] $scan __complete ids 2>/dev/null
end

# True when the command is one of the arguments and the cursor is at its
# first argument.
function __runner_first_argument_of
    set -l scan (__runner_scan)
    contains -- "$scan[1]" $argv; and test "$scan[2]" = 0
end

# True when no command has been given yet.
function __runner_needs_command
    set -l scan (__runner_scan)
    test -z "$scan[1]"
end

# True when the command is one of the arguments.
function __runner_command_is
    set -l scan (__runner_scan)
    contains -- "$scan[1]" $argv
end

complete -c runner -f

# Commands
complete -c runner -n __runner_needs_command -a up -d 'apply pending revisions'
complete -c runner -n __runner_needs_command -a down -d 'revert applied revisions (1 by default)'
complete -c runner -n __runner_needs_command -a redo -d 'down 1, then up 1'
complete -c runner -n __runner_needs_command -a status -d 'every revision and its state'
complete -c runner -n __runner_needs_command -a current -d 'the newest applied id'
complete -c runner -n __runner_needs_command -a history -d 'the log of every apply, revert, baseline, repair'
complete -c runner -n __runner_needs_command -a new -d 'create up/down files and the manifest entry'
complete -c runner -n __runner_needs_command -a check -d 'manifest, files, checksums and order'
complete -c runner -n __runner_needs_command -a sql -d 'print the SQL that would run'
complete -c runner -n __runner_needs_command -a baseline -d 'record revisions up to ID as applied'
complete -c runner -n __runner_needs_command -a repair -d 'clear a failed mark, or re-record a checksum'
complete -c runner -n __runner_needs_command -a split -d 'split a mixed, unapplied revision'
complete -c runner -n __runner_needs_command -a renumber -d 'move an unapplied revision to a new id'
complete -c runner -n __runner_needs_command -a init -d 'create a project skeleton'
complete -c runner -n __runner_needs_command -a schema -d 'schema dump: write schema/<dialect>.sql'
complete -c runner -n __runner_needs_command -a verify -d 'up, down, up on a scratch database'
complete -c runner -n __runner_needs_command -a wait -d 'wait until the database accepts connections'
complete -c runner -n __runner_needs_command -a version -d 'the version and the drivers'
complete -c runner -n __runner_needs_command -a upgrade -d "Alembic's word for up"
complete -c runner -n __runner_needs_command -a downgrade -d "Alembic's word for down"
complete -c runner -n __runner_needs_command -a revision -d "Alembic's word for new"
complete -c runner -n __runner_needs_command -a diff -d 'print the SQL from the migrations to schema/<dialect>.sql'
complete -c runner -n __runner_needs_command -a report -d 'one HTML page: diagram, timeline, timings'
complete -c runner -n __runner_needs_command -a rehearse -d 'run pending revisions on a copy of the target'
complete -c runner -n __runner_needs_command -a refs -d 'find removed names the sources still use'
complete -c runner -n __runner_needs_command -a help -d 'print the help'

# Global options (before or after the command)
complete -c runner -s d -l database -x -d 'database URL'
complete -c runner -s c -l config -r -F -d 'configuration file (default runner.toml)'
complete -c runner -n 'not __runner_command_is revision' -s m -l manifest -r -F -d 'manifest file (default manifest.yaml)'
complete -c runner -n '__runner_command_is revision' -l manifest -r -F -d 'manifest file (default manifest.yaml)'
complete -c runner -s e -l env -x -d 'the [env.NAME] table of runner.toml to use'
complete -c runner -l table -x -d 'history table (default runner_history)'
complete -c runner -l lock-timeout -x -d 'seconds to wait for the lock'
complete -c runner -l wait -x -d 'retry the first connection for this many seconds'
complete -c runner -l progress -x -a 'auto always never' -d 'a live line on a terminal, a line every 10 s elsewhere'
complete -c runner -l lock-mode -x -a 'advisory table' -d 'the session lock, or a leased row for poolers and clusters'
complete -c runner -l json -d 'print one JSON object describing the result'
complete -c runner -s q -l quiet -d 'no progress lines'
complete -c runner -s v -l verbose -d 'more detail on stderr'
complete -c runner -l no-color -d 'no colour (also NO_COLOR)'
complete -c runner -n __runner_needs_command -l version -d 'print the runner'\''s version'
complete -c runner -s h -l help -d 'print help'

# Options and arguments of the commands
complete -c runner -n '__runner_command_is up down sql rehearse' -l to -x -a '(__runner_ids)' -d 'stop at this revision id'
complete -c runner -n '__runner_command_is diff' -l to -x -a 'schema migrations' -d 'the schema to end at'
complete -c runner -n '__runner_command_is diff' -l from -x -a 'migrations database' -d 'the schema to start from'
complete -c runner -n '__runner_command_is new revision diff' -l rename -x -d 'TABLE.COLUMN=NEW or OLD_TABLE=NEW_TABLE'
complete -c runner -n '__runner_command_is new revision diff' -l scratch -x -d 'an empty scratch database URL'
complete -c runner -n '__runner_command_is new revision' -l autogenerate -d 'write the SQL from schema/<dialect>.sql'
complete -c runner -n '__runner_command_is schema' -l out -r -F -d 'the file to write'
complete -c runner -n '__runner_command_is schema' -l from -x -a migrations -d 'the schema the migrations give'
complete -c runner -n '__runner_command_is schema' -l format -x -a 'mermaid dot svg' -d 'the diagram format'
complete -c runner -n '__runner_command_is report' -l html -r -F -d 'write a self-contained HTML page'
complete -c runner -n '__runner_command_is report' -l verify-json -r -F -d 'timings of verify --json output'
complete -c runner -n '__runner_command_is report' -l rehearse-json -r -F -d 'timings of rehearse --json output'
complete -c runner -n '__runner_command_is rehearse' -l round-trip -d 'then down and up again'
complete -c runner -n '__runner_command_is rehearse' -l keep -d 'keep the copy'
complete -c runner -n '__runner_command_is rehearse' -l copy-into -x -d 'an empty database URL for the copy'
complete -c runner -n '__runner_command_is rehearse' -l schema-only -d 'copy no rows'
complete -c runner -n '__runner_command_is check' -l refs -d 'also stale references in the sources'
complete -c runner -n '__runner_command_is refs' -F
complete -c runner -n '__runner_command_is up down upgrade downgrade' -l dry-run -d 'print what would run; change nothing'
complete -c runner -n '__runner_command_is up sql' -l allow-out-of-order -d 'apply revisions older than the newest applied one'
complete -c runner -n '__runner_command_is up' -l resume -d 'continue a failed non-transactional revision'
complete -c runner -n '__runner_command_is up' -l from-statement -x -d 'with --resume: continue at statement N'
complete -c runner -n '__runner_command_is down' -l all -d 'revert every applied revision'
complete -c runner -n '__runner_command_is history' -l limit -x -d 'only the newest N entries'
complete -c runner -n '__runner_command_is status' -l exit-code -d 'exit 3 when anything is pending or failed'
complete -c runner -n '__runner_command_is check' -l strict -d 'warnings fail too (exit 3)'
complete -c runner -n '__runner_command_is check' -l dialect -x -a 'sqlite postgres mysql' -d 'lex plain files as this dialect'
complete -c runner -n '__runner_command_is check' -l privileges -d 'also compare grants and owners with the snapshot'
complete -c runner -n '__runner_command_is new revision' -l data -d 'a data revision (INSERT/UPDATE/DELETE)'
complete -c runner -n '__runner_command_is new revision' -l no-transaction -d 'run outside a transaction'
complete -c runner -n '__runner_command_is new revision' -l timestamp -d 'a UTC timestamp id, YYYYMMDDHHMMSS'
complete -c runner -n '__runner_command_is revision' -s m -l message -x -d 'what the revision does'
complete -c runner -n '__runner_command_is repair' -l forget -d 'drop the record instead of marking it applied'
complete -c runner -n '__runner_command_is renumber' -l name -x -d 'which of two entries with the same id'
complete -c runner -n '__runner_command_is init' -l dialect -x -a 'sqlite postgres mysql' -d 'the database the runner.toml URL is for'
complete -c runner -n '__runner_command_is verify' -l scratch -x -d 'an empty scratch database URL'
complete -c runner -n '__runner_command_is verify' -l all -d 'report every broken revision'
complete -c runner -n '__runner_command_is wait' -l replicated -x -d 'then until this standby has replayed the primary'
complete -c runner -n '__runner_command_is help' -l man -d 'print the manual page (roff)'
complete -c runner -n '__runner_first_argument_of baseline repair split renumber' -a '(__runner_ids)' -d 'revision id'
complete -c runner -n '__runner_first_argument_of upgrade' -a 'head (__runner_ids)' -d 'revision id'
complete -c runner -n '__runner_first_argument_of downgrade' -a 'base (__runner_ids)' -d 'revision id'
complete -c runner -n '__runner_first_argument_of sql' -a 'up down'
complete -c runner -n '__runner_first_argument_of schema' -a 'dump doc diagram'
complete -c runner -n '__runner_first_argument_of init' -a '(__fish_complete_directories)'
complete -c runner -n '__runner_first_argument_of help' -a 'up down redo status current history new check sql baseline repair split renumber init schema verify wait version upgrade downgrade revision diff report rehearse refs help'
complete -c runner -n '__runner_command_is up down status check verify' -l targets -r -F -d 'run on each database URL of FILE (- for stdin)'
complete -c runner -n '__runner_command_is up down status check verify' -l fleet -d "run on each database of runner.toml's [fleet]"
complete -c runner -n '__runner_command_is up down status check verify' -l parallel -x -d 'databases at once (default 4)'
complete -c runner -n '__runner_command_is up down status check verify' -l fail-fast -d 'start no new database after one fails'
