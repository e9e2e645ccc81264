//! Command-line definitions only: arguments, help text and completions. Parsing decides
//! nothing; `src/commands/` does the work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "codex-teams",
    version = crate::version::LINE,
    about = "Agent teams for the OpenAI Codex CLI: an MCP server with a message bus, task board and artifact store",
    long_about = "Agent teams for the OpenAI Codex CLI.\n\n\
        Codex (the lead) starts a team through the codex-teams MCP server; workers coordinate \
        through a shared message bus, task board and artifact store kept in one SQLite file.\n\n\
        Data lives in $CODEX_TEAMS_HOME (default ~/.codex-teams); --db overrides the database path.\n\n\
        More: `codex-teams help <command>`, `codex-teams help profiles` (the profile reference).",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Database file (default: $CODEX_TEAMS_HOME/teams.db); also accepted after the commands that use one
    #[arg(long, env = "CODEX_TEAMS_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the codex-teams home and database, and print where they are
    Init(InitArgs),
    /// Register codex-teams with Codex: MCP server entry, agent-teams skill, prompt hook
    Install(InstallArgs),
    /// Remove what `install` added, restoring the files it changed
    Uninstall(UninstallArgs),
    /// Serve the MCP tools over stdio (Codex starts this; one per Codex process), or over HTTP with --http
    ServeMcp(ServeArgs),
    /// Show teams, agents and tasks
    Status(StatusArgs),
    /// Benchmark the adaptive team against a fixed fan-out of 6 on the eval set, plus engine latency and throughput
    Bench(Box<BenchArgs>),
    /// Run a fixed scenario end to end (simulated workers, or the real Codex CLI with --real) and check the team size
    Smoke(SmokeArgs),
    /// Print a team's timeline from its event log and re-check the engine's decisions
    Replay(ReplayArgs),
    /// Check the installation: Codex, server entry, skill, hook and its trust, profiles, database
    CheckConfig(CheckConfigArgs),
    /// Entry point Codex runs for its hooks (installed by `install`; not for direct use)
    Hook(HookArgs),
    /// Print a shell completion script
    Completions(CompletionsArgs),
    /// Write the JSON Schemas of every MCP tool's input and output (for mcp/schemas/)
    #[command(hide = true)]
    Schemas(SchemasArgs),
    /// Serve a deterministic mock of the OpenAI Responses API for tests and offline benchmarks
    #[command(hide = true)]
    MockModel(MockModelArgs),
    /// Print help for a command, or a reference page (`profiles`)
    Help(HelpArgs),
}

impl Command {
    /// The `--db` given after the subcommand, for the commands that open a database.
    pub fn db(&self) -> Option<&std::path::Path> {
        let db = match self {
            Command::Init(a) => &a.db,
            Command::ServeMcp(a) => &a.db,
            Command::Status(a) => &a.db,
            Command::Bench(a) => &a.db,
            Command::Smoke(a) => &a.db,
            Command::Replay(a) => &a.db,
            Command::CheckConfig(a) => &a.db,
            _ => return None,
        };
        db.db.as_deref()
    }
}

/// `--db`, on the subcommands that open a database (and only there: `completions --help`
/// does not list it).
#[derive(Debug, Args)]
pub struct DbArg {
    /// Database file (default: $CODEX_TEAMS_DB, else $CODEX_TEAMS_HOME/teams.db)
    // No `env` here: the root's `--db` reads CODEX_TEAMS_DB, so `--db X status` beats the
    // environment and `status --db X` beats both.
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HelpArgs {
    /// A command (`status`, `hook user-prompt-submit`, ...) or a reference page: `profiles`
    #[arg(value_name = "TOPIC")]
    pub topic: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve MCP over streamable HTTP at ADDR (IP:PORT; port 0 picks a free one and the URL
    /// is printed as stdout's first line) instead of stdio: one team server for agents on
    /// other hosts, each request authenticated by an agent's bearer token (docs/remote.md)
    #[arg(long, value_name = "ADDR")]
    pub http: Option<std::net::SocketAddr>,
    /// With --http: allow an address other hosts can reach (plain HTTP: put a TLS reverse
    /// proxy in front)
    #[arg(long, requires = "http")]
    pub allow_remote: bool,
    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this team (default: every active team)
    pub team: Option<String>,
    /// Include finalized teams
    #[arg(long)]
    pub all: bool,
    /// Print JSON instead of tables
    #[arg(long)]
    pub json: bool,
    /// Redraw every interval until interrupted (terminal only)
    #[arg(long, conflicts_with = "json")]
    pub watch: bool,
    /// Seconds between redraws with --watch
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: u64,
    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmokeScenario {
    /// Two dependent tasks: expects 1-2 workers
    Small,
    /// Three parallel tasks and an integration task: expects 3-4 workers
    Medium,
    /// Six parallel tasks and a test-suite task: expects 5-6 workers
    High,
}

#[derive(Debug, Args)]
pub struct SmokeArgs {
    /// Which fixed scenario to run
    #[arg(value_enum)]
    pub scenario: SmokeScenario,
    /// Profile to run under (default: $CODEX_TEAMS_PROFILE, else `default`)
    #[arg(long)]
    pub profile: Option<String>,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    /// Run through the real Codex CLI (lead and `codex exec` workers) against the local
    /// mock model, in a temporary CODEX_HOME set up by `install`
    #[arg(long)]
    pub real: bool,
    /// The Codex CLI for --real (default: $CODEX_TEAMS_CODEX, else `codex` on PATH)
    #[arg(long, value_name = "PATH", requires = "real")]
    pub codex: Option<PathBuf>,
    /// Keep the --real run's directory (CODEX_HOME, database, logs, mock log) and print it
    #[arg(long, requires = "real")]
    pub keep: bool,
    /// Stop the --real lead after this many seconds [default: 300]
    #[arg(long, value_name = "SECS", requires = "real")]
    pub timeout: Option<u64>,
    #[command(flatten)]
    pub db: DbArg,
}

/// How `install` and `uninstall` show their plan.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Print a unified diff of every file that would change, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// The Codex home to install into (default: $CODEX_HOME, else ~/.codex)
    #[arg(long, value_name = "DIR")]
    pub codex_home: Option<PathBuf>,
    /// The codex-teams executable Codex should run (default: this one)
    #[arg(long, value_name = "PATH")]
    pub bin: Option<PathBuf>,
    /// The Codex CLI to record for workers and check-config when Codex is not on PATH
    /// (written to $CODEX_TEAMS_HOME/codex-path)
    #[arg(long, value_name = "PATH")]
    pub codex: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    #[command(flatten)]
    pub plan: PlanArgs,
    /// The Codex home to uninstall from (default: $CODEX_HOME, else ~/.codex)
    #[arg(long, value_name = "DIR")]
    pub codex_home: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub event: HookEvent,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum HookEvent {
    /// UserPromptSubmit: reads Codex's hook JSON on stdin; when the prompt says `use agents
    /// team`, prints context that points the lead at the agent-teams skill
    UserPromptSubmit,
}

#[derive(Debug, Args)]
pub struct CheckConfigArgs {
    /// Also look for profiles in this repository's `.codex-teams/profiles/` (default: cwd)
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// The Codex home to check (default: $CODEX_HOME, else ~/.codex)
    #[arg(long, value_name = "DIR")]
    pub codex_home: Option<PathBuf>,
    /// Tighten what other users could read in the codex-teams home (directories 0700, files 0600)
    #[arg(long)]
    pub fix: bool,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The team to replay
    pub team: String,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// sim (simulated, seconds), codex-mock (the real Codex CLI against the scripted mock model) or codex (your own model and login: real tokens)
    #[arg(long, default_value = "codex-mock", value_parser = ["sim", "codex-mock", "codex"])]
    pub runner: String,
    /// The baseline arm
    #[arg(long, default_value = "fixed-6", value_parser = ["fixed-6", "adaptive"])]
    pub baseline: String,
    /// The candidate arm
    #[arg(long, default_value = "adaptive", value_parser = ["fixed-6", "adaptive"])]
    pub candidate: String,
    /// Arms to run besides the baseline and the candidate (comma-separated): lean-6, solo, codex-subagents, the ablation arms lean-6+whole-briefs, lean-6+broadcast, lean-6+no-early-stop, lean-6+full-workers, or `ablation` for those four
    #[arg(long, value_delimiter = ',', value_name = "ARMS", value_parser = [
        "fixed-6", "lean-6", "adaptive", "solo", "codex-subagents", "lean-6+whole-briefs",
        "lean-6+broadcast", "lean-6+no-early-stop", "lean-6+full-workers", "ablation",
    ])]
    pub arms: Vec<String>,
    /// The eval set (default: benchmarks/eval of the checkout this binary was built from, else of the current directory)
    #[arg(long, value_name = "DIR")]
    pub eval_dir: Option<PathBuf>,
    /// Only these tasks (comma-separated names)
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub tasks: Vec<String>,
    /// The adaptive arm's profile
    #[arg(long, default_value = "default")]
    pub profile: String,
    /// Runs per task and arm
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub repeat: u32,
    /// Where the report goes (default: $CODEX_TEAMS_HOME/bench; `--out benchmarks/results` refreshes the repository's committed reports)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The Codex CLI for the codex runners (default: $CODEX_TEAMS_CODEX, else `codex` on PATH)
    #[arg(long, value_name = "PATH")]
    pub codex: Option<PathBuf>,
    /// Seconds before one team run is killed
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=7200))]
    pub timeout: u64,
    /// Paced mode (codex-mock): each scripted subtask takes SECS, as with a real model; the report shows the lead's requests per minute
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u16).range(1..=3600))]
    pub pace: Option<u16>,
    /// Only the engine benchmark (latency and throughput), no team runs
    #[arg(long)]
    pub engine_only: bool,
    /// Skip the engine benchmark in the team report
    #[arg(long, conflicts_with = "engine_only")]
    pub no_engine: bool,
    /// With --engine-only: also time the calls over MCP streamable HTTP on loopback (serve-mcp --http)
    #[arg(long, requires = "engine_only")]
    pub http: bool,
    /// Break the candidate on purpose (drop-subtask) to prove the gate can fail
    #[arg(long, hide = true, value_parser = ["drop-subtask"])]
    pub sabotage: Option<String>,
    /// Sequential calls per tool for the latency figures
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(10..=1_000_000))]
    pub calls: u32,
    /// Sending processes for the throughput figure (1 to 7)
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=7))]
    pub processes: u32,
    /// Messages each process sends for the throughput figure
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub messages: u32,
    /// The engine benchmark's store.synchronous (normal, or full: fsync at every commit)
    #[arg(long, default_value = "normal", value_parser = ["normal", "full"])]
    pub synchronous: String,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub db: DbArg,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct SchemasArgs {
    /// Directory to write `<tool>.input.json` and `<tool>.output.json` into
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, Args)]
pub struct MockModelArgs {
    /// Port on 127.0.0.1 (0 = any free port; the first stdout line says which)
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Append one JSON line per model request to this file
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// The brain's plan: a JSON or YAML file, or a built-in name (small, medium, high)
    #[arg(long, value_name = "FILE|NAME")]
    pub plan: Option<String>,
    /// Store every raw request body as DIR/req-NNNNNN.json
    #[arg(long, value_name = "DIR")]
    pub capture_bodies: Option<PathBuf>,
}
