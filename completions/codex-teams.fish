# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_codex_teams_global_optspecs
    string join \n db= h/help V/version
end

function __fish_codex_teams_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_codex_teams_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_codex_teams_using_subcommand
    set -l cmd (__fish_codex_teams_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c codex-teams -n "__fish_codex_teams_needs_command" -l db -d 'Database file (default: $CODEX_TEAMS_HOME/teams.db); also accepted after the commands that use one' -r -F
complete -c codex-teams -n "__fish_codex_teams_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -s V -l version -d 'Print version'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "init" -d 'Create the codex-teams home and database, and print where they are'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "install" -d 'Register codex-teams with Codex: MCP server entry, agent-teams skill, prompt hook'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "uninstall" -d 'Remove what `install` added, restoring the files it changed'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "serve-mcp" -d 'Serve the MCP tools over stdio (Codex starts this; one per Codex process), or over HTTP with --http'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "status" -d 'Show teams, agents and tasks'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "bench" -d 'Benchmark the adaptive team against a fixed fan-out of 6 on the eval set, plus engine latency and throughput'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "smoke" -d 'Run a fixed scenario end to end (simulated workers, or the real Codex CLI with --real) and check the team size'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "replay" -d 'Print a team\'s timeline from its event log and re-check the engine\'s decisions'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "check-config" -d 'Check the installation: Codex, server entry, skill, hook and its trust, profiles, database'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "hook" -d 'Entry point Codex runs for its hooks (installed by `install`; not for direct use)'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c codex-teams -n "__fish_codex_teams_needs_command" -f -a "help" -d 'Print help for a command, or a reference page (`profiles`)'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand init" -l db -d 'Database file (default: $CODEX_TEAMS_DB, else $CODEX_TEAMS_HOME/teams.db)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand init" -l json -d 'Print the result as JSON'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand init" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand install" -l codex-home -d 'The Codex home to install into (default: $CODEX_HOME, else ~/.codex)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand install" -l bin -d 'The codex-teams executable Codex should run (default: this one)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand install" -l codex -d 'The Codex CLI to record for workers and check-config when Codex is not on PATH (written to $CODEX_TEAMS_HOME/codex-path)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand install" -l dry-run -d 'Print a unified diff of every file that would change, and write nothing'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand install" -l json -d 'Print the result as JSON'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand install" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand uninstall" -l codex-home -d 'The Codex home to uninstall from (default: $CODEX_HOME, else ~/.codex)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand uninstall" -l dry-run -d 'Print a unified diff of every file that would change, and write nothing'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand uninstall" -l json -d 'Print the result as JSON'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand uninstall" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand serve-mcp" -l http -d 'Serve MCP over streamable HTTP at ADDR (IP:PORT; port 0 picks a free one and the URL is printed as stdout\'s first line) instead of stdio: one team server for agents on other hosts, each request authenticated by an agent\'s bearer token (docs/remote.md)' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand serve-mcp" -l db -d 'Database file (default: $CODEX_TEAMS_DB, else $CODEX_TEAMS_HOME/teams.db)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand serve-mcp" -l allow-remote -d 'With --http: allow an address other hosts can reach (plain HTTP: put a TLS reverse proxy in front)'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand serve-mcp" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand status" -l interval -d 'Seconds between redraws with --watch' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand status" -l db -d 'Database file (default: $CODEX_TEAMS_DB, else $CODEX_TEAMS_HOME/teams.db)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand status" -l all -d 'Include finalized teams'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand status" -l json -d 'Print JSON instead of tables'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand status" -l watch -d 'Redraw every interval until interrupted (terminal only)'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand status" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l runner -d 'sim (simulated, seconds), codex-mock (the real Codex CLI against the scripted mock model) or codex (your own model and login: real tokens)' -r -f -a "sim\t''
codex-mock\t''
codex\t''"
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l baseline -d 'The baseline arm' -r -f -a "fixed-6\t''
adaptive\t''"
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l candidate -d 'The candidate arm' -r -f -a "fixed-6\t''
adaptive\t''"
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l arms -d 'Arms to run besides the baseline and the candidate (comma-separated): lean-6, solo, codex-subagents, the ablation arms lean-6+whole-briefs, lean-6+broadcast, lean-6+no-early-stop, lean-6+full-workers, or `ablation` for those four' -r -f -a "fixed-6\t''
lean-6\t''
adaptive\t''
solo\t''
codex-subagents\t''
lean-6+whole-briefs\t''
lean-6+broadcast\t''
lean-6+no-early-stop\t''
lean-6+full-workers\t''
ablation\t''"
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l eval-dir -d 'The eval set (default: benchmarks/eval of the checkout this binary was built from, else of the current directory)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l tasks -d 'Only these tasks (comma-separated names)' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l profile -d 'The adaptive arm\'s profile' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l repeat -d 'Runs per task and arm' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l out -d 'Where the report goes (default: $CODEX_TEAMS_HOME/bench; `--out benchmarks/results` refreshes the repository\'s committed reports)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l codex -d 'The Codex CLI for the codex runners (default: $CODEX_TEAMS_CODEX, else `codex` on PATH)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l timeout -d 'Seconds before one team run is killed' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l pace -d 'Paced mode (codex-mock): each scripted subtask takes SECS, as with a real model; the report shows the lead\'s requests per minute' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l sabotage -d 'Break the candidate on purpose (drop-subtask) to prove the gate can fail' -r -f -a "drop-subtask\t''"
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l calls -d 'Sequential calls per tool for the latency figures' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l processes -d 'Sending processes for the throughput figure (1 to 7)' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l messages -d 'Messages each process sends for the throughput figure' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l synchronous -d 'The engine benchmark\'s store.synchronous (normal, or full: fsync at every commit)' -r -f -a "normal\t''
full\t''"
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l db -d 'Database file (default: $CODEX_TEAMS_DB, else $CODEX_TEAMS_HOME/teams.db)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l engine-only -d 'Only the engine benchmark (latency and throughput), no team runs'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l no-engine -d 'Skip the engine benchmark in the team report'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l http -d 'With --engine-only: also time the calls over MCP streamable HTTP on loopback (serve-mcp --http)'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -l json -d 'Print JSON instead of a table'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand bench" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand smoke" -l profile -d 'Profile to run under (default: $CODEX_TEAMS_PROFILE, else `default`)' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand smoke" -l codex -d 'The Codex CLI for --real (default: $CODEX_TEAMS_CODEX, else `codex` on PATH)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand smoke" -l timeout -d 'Stop the --real lead after this many seconds [default: 300]' -r
complete -c codex-teams -n "__fish_codex_teams_using_subcommand smoke" -l db -d 'Database file (default: $CODEX_TEAMS_DB, else $CODEX_TEAMS_HOME/teams.db)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand smoke" -l json -d 'Print JSON instead of text'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand smoke" -l real -d 'Run through the real Codex CLI (lead and `codex exec` workers) against the local mock model, in a temporary CODEX_HOME set up by `install`'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand smoke" -l keep -d 'Keep the --real run\'s directory (CODEX_HOME, database, logs, mock log) and print it'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand smoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand replay" -l db -d 'Database file (default: $CODEX_TEAMS_DB, else $CODEX_TEAMS_HOME/teams.db)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand replay" -l json -d 'Print JSON instead of text'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand replay" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand check-config" -l workspace -d 'Also look for profiles in this repository\'s `.codex-teams/profiles/` (default: cwd)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand check-config" -l codex-home -d 'The Codex home to check (default: $CODEX_HOME, else ~/.codex)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand check-config" -l db -d 'Database file (default: $CODEX_TEAMS_DB, else $CODEX_TEAMS_HOME/teams.db)' -r -F
complete -c codex-teams -n "__fish_codex_teams_using_subcommand check-config" -l fix -d 'Tighten what other users could read in the codex-teams home (directories 0700, files 0600)'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand check-config" -l json -d 'Print JSON instead of text'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand check-config" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand hook; and not __fish_seen_subcommand_from user-prompt-submit" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand hook; and not __fish_seen_subcommand_from user-prompt-submit" -f -a "user-prompt-submit" -d 'UserPromptSubmit: reads Codex\'s hook JSON on stdin; when the prompt says `use agents team`, prints context that points the lead at the agent-teams skill'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand hook; and __fish_seen_subcommand_from user-prompt-submit" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand completions" -s h -l help -d 'Print help'
complete -c codex-teams -n "__fish_codex_teams_using_subcommand help" -s h -l help -d 'Print help'
