//! The `codex-exec` runner: each worker is a real `codex exec --json` process.
//!
//! - Launch: `codex exec --json --skip-git-repo-check -s <sandbox> -C <workspace>
//!   --disable multi_agent [lean flags] [-m <model>] [inherited provider flags] -` with the
//!   brief on stdin (never on the command line, where `ps` shows it to every local user), in
//!   its own process group, with the worker's identity in its environment
//!   (`CODEX_TEAMS_TEAM_ID`, `..._AGENT_ID`, `..._AGENT_TOKEN`, `..._DB`). `-c` overrides
//!   make the `codex-teams` MCP server pass those variables through and approve its tools,
//!   so a worker works even when the user's server entry lacks them; the worker's token is
//!   excluded from its shell commands' environment (`shell_environment_policy.exclude`).
//!   Secrets never go on a command line. The lean flags ([`lean_flags`]) come from the profile's `worker.codex`:
//!   what a worker cannot use is kept out of every request it sends.
//! - Which Codex: the one that started this process (the lead's), else `$CODEX_TEAMS_CODEX`,
//!   else the one `install` recorded, else `codex` on PATH ([`resolve_codex_from`]).
//! - Supervision: a thread per worker reads the JSONL stream: `thread.started` (thread id,
//!   kept for `codex exec resume`, and metered from its rollout file under the worker's
//!   `CODEX_HOME`, see `engine::budget`), any event (the rollout file is read for new
//!   requests; activity, for idle detection). When the process ends, the rollout file is
//!   read once more (a worker stopped mid-turn is charged for what it used), then the
//!   worker is `stopped` (exit 0 or stopped by us) or `dead` (anything else): its claims
//!   are released and the lead is told. `turn.completed` usage is charged only for a
//!   thread whose rollout file cannot be found.
//! - Cleanup: Codex runs a worker's MCP server and sandboxed commands in process groups of
//!   their own. Each worker gets a random `CODEX_TEAMS_LAUNCH_ID` in its environment, which
//!   they all inherit; when the worker exits, whatever still carries it is killed.
//! - Stop: SIGTERM to the process group, SIGKILL after a grace period. Children are spawned
//!   from one long-lived launcher thread with a parent-death signal
//!   ([`crate::platform::set_parent_death_signal`]), so they die with the process that
//!   started them even if it is killed; `shutdown_all` stops every worker this
//!   process started when its MCP session ends.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::ids::{AgentId, TeamId};
use crate::policy::{Instructions, WorkerCodex};
use crate::roles::Role;
use crate::runner::Usage;
use crate::runner::{ENV_AGENT_TOKEN, LaunchRequest, Launched, Runner, procs, rollout};
use crate::store::AgentState;

/// The Codex version these integration points were verified against (the repository's
/// `codex-version` file, which build.rs checks for the binary's `--version`).
pub const TESTED_CODEX_VERSION: &str = include_str!("../../../codex-version").trim_ascii();
/// Environment variable naming the `codex` executable to run (else `codex` on PATH).
pub const ENV_CODEX_BIN: &str = "CODEX_TEAMS_CODEX";
/// The MCP server name workers' Codex must find in its config.
pub const SERVER_NAME: &str = "codex-teams";
/// How long a stopped worker gets between SIGTERM and SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// A random id per launched worker process, in its environment: every process it starts
/// (its MCP server, sandboxed shell commands, in process groups of their own) inherits it,
/// which is how the supervisor finds and ends them once the worker itself is gone.
pub const ENV_LAUNCH_ID: &str = "CODEX_TEAMS_LAUNCH_ID";

/// Variables passed through to each worker's `codex-teams serve-mcp`.
pub const PASS_THROUGH: &[&str] = &[
    "CODEX_HOME",
    crate::store::HOME_ENV,
    crate::runner::ENV_DB,
    crate::policy::PROFILE_ENV,
    crate::runner::ENV_TEAM_ID,
    crate::runner::ENV_AGENT_ID,
    ENV_AGENT_TOKEN,
    crate::runner::ENV_LOG,
];

pub struct CodexExec;

/// Where the Codex binary that workers run came from, in the order it is looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodexSource {
    /// The Codex process that started this process (the lead's Codex running our MCP
    /// server): workers run the very Codex the user runs, wherever it is installed.
    Parent,
    /// `$CODEX_TEAMS_CODEX`.
    Env,
    /// The path `codex-teams install` recorded in the codex-teams home.
    Recorded,
    /// `codex` on PATH.
    Path,
}

impl CodexSource {
    /// Why this one was picked, for `check-config` and logs.
    pub fn describe(self) -> &'static str {
        match self {
            CodexSource::Parent => "the Codex that started this process",
            CodexSource::Env => "$CODEX_TEAMS_CODEX",
            CodexSource::Recorded => "recorded by `codex-teams install`",
            CodexSource::Path => "`codex` on PATH",
        }
    }
}

/// The file in the codex-teams home where `install` records the Codex it was given.
pub const RECORDED_CODEX_FILE: &str = "codex-path";

/// Finds the Codex executable for workers; see [`resolve_codex_from`].
pub fn resolve_codex() -> Result<PathBuf> {
    let home = crate::store::default_home().ok();
    resolve_codex_from(home.as_deref()).map(|(p, _)| p)
}

/// Finds the Codex executable workers run, and says where it came from: the Codex that
/// started this process (the parent's executable, when that is a Codex binary), else
/// `$CODEX_TEAMS_CODEX`, else the path `install` recorded in `home`, else `codex` on PATH.
/// The npm wrapper script is resolved to the native binary beside it, so that signals and
/// parent-death reach the real process.
pub fn resolve_codex_from(home: Option<&Path>) -> Result<(PathBuf, CodexSource)> {
    if let Some(parent) = parent_codex() {
        return Ok((parent, CodexSource::Parent));
    }
    if let Some(p) = std::env::var_os(ENV_CODEX_BIN).filter(|v| !v.is_empty()) {
        return Ok((native_codex(Path::new(&p)), CodexSource::Env));
    }
    if let Some(p) = home.and_then(recorded_codex) {
        return Ok((native_codex(&p), CodexSource::Recorded));
    }
    match which("codex") {
        Some(p) => Ok((native_codex(&p), CodexSource::Path)),
        None => Err(EngineError::Config(format!(
            "the Codex CLI was not found: not started by Codex, {ENV_CODEX_BIN} unset, none recorded by `codex-teams install`, no `codex` on PATH; hint: `codex-teams install --codex <path of codex>`, or `npm install -g @openai/codex@{TESTED_CODEX_VERSION}`"
        ))),
    }
}

/// The path `install` recorded in `home`, if it still names a file.
pub fn recorded_codex(home: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(home.join(RECORDED_CODEX_FILE)).ok()?;
    let path = PathBuf::from(text.trim());
    (path.is_absolute() && path.is_file()).then_some(path)
}

/// The executable of our parent process when it is a Codex binary (the lead's or a
/// worker's Codex running this MCP server), else None.
fn parent_codex() -> Option<PathBuf> {
    // SAFETY: getppid has no preconditions.
    let ppid = unsafe { libc::getppid() };
    if ppid <= 1 {
        return None;
    }
    let exe = crate::platform::exe_of(u32::try_from(ppid).ok()?)?;
    (is_codex_binary(&exe) && exe.is_file()).then_some(exe)
}

/// Whether `exe` looks like a Codex CLI binary: named `codex` (or `codex-<platform>`, as
/// some packages ship it), and not codex-teams itself.
pub fn is_codex_binary(exe: &Path) -> bool {
    let Some(name) = exe.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    name == "codex"
        || (name.starts_with("codex-")
            && !name.starts_with("codex-teams")
            && (name.contains("linux") || name.contains("darwin") || name.contains("unknown")))
}

/// The native Codex binary behind `found`: the npm wrapper (`bin/codex.js`, or a symlink to
/// it) is resolved to the platform package's executable beside it, so that signals and
/// parent-death reach the real process. Anything else is returned canonicalized.
pub fn native_codex(found: &Path) -> PathBuf {
    let real = std::fs::canonicalize(found).unwrap_or_else(|_| found.to_path_buf());
    if real.extension().is_some_and(|e| e == "js")
        && let Some(binary) = crate::platform::CODEX_NPM_BINARY
    {
        // .../node_modules/@openai/codex/bin/codex.js -> .../node_modules/@openai/codex-<os>-<arch>/...
        for ancestor in real.ancestors() {
            if ancestor.file_name().is_some_and(|n| n == "node_modules") {
                let native = ancestor.join(binary);
                if native.is_file() {
                    return native;
                }
            }
            let nested = ancestor.join("node_modules").join(binary);
            if nested.is_file() {
                return nested;
            }
        }
    }
    real
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The argument list of one worker's `codex exec`; `instructions_file` is the compact
/// worker instructions on disk (needed when the profile asks for them).
pub fn exec_args(
    request: &LaunchRequest,
    workspace: &Path,
    instructions_file: Option<&Path>,
) -> Vec<String> {
    let pass: Vec<String> = PASS_THROUGH.iter().map(|v| format!("\"{v}\"")).collect();
    let server = [format!(
        "mcp_servers.{SERVER_NAME}.env_vars=[{}]",
        pass.join(",")
    )];
    codex_args(
        request,
        &workspace.display().to_string(),
        instructions_file,
        &server,
    )
}

/// The `codex exec` argument list shared by every runner that starts a Codex worker:
/// `server` is what says how its Codex reaches the `codex-teams` MCP server (each a `-c`
/// value), `workdir` its working directory.
pub fn codex_args(
    request: &LaunchRequest,
    workdir: &str,
    instructions_file: Option<&Path>,
    server: &[String],
) -> Vec<String> {
    let mut args: Vec<String> = vec!["exec".into()];
    if let Some(thread) = &request.resume_thread {
        args.push("resume".into());
        args.push(thread.clone());
    }
    args.extend(["--json".into(), "--skip-git-repo-check".into()]);
    if request.resume_thread.is_none() {
        args.extend(["-s".into(), request.sandbox.clone()]);
        args.extend(["-C".into(), workdir.to_string()]);
    }
    args.extend(lean_flags(&request.codex, request.role, instructions_file));
    if let Some(model) = &request.model {
        args.extend(["-m".into(), model.clone()]);
    }
    for value in server {
        args.extend(["-c".into(), value.clone()]);
    }
    args.extend([
        "-c".into(),
        format!("mcp_servers.{SERVER_NAME}.default_tools_approval_mode=\"approve\""),
        // Codex starts a server that is not required in the background and sends the first
        // request with whatever tools are ready by then: on a loaded machine a worker would
        // start without the team's tools, answer its brief in prose and exit, its task
        // released and a replacement spawned. Required, Codex waits for the handshake (up to
        // `startup_timeout_sec`) and fails the run if the server cannot start.
        "-c".into(),
        format!("mcp_servers.{SERVER_NAME}.required=true"),
        // The worker's secret reaches its MCP server (env_vars above), never its shell: a
        // command the model runs cannot read it and act as the worker elsewhere.
        "-c".into(),
        format!("shell_environment_policy.exclude=[\"{ENV_AGENT_TOKEN}\"]"),
    ]);
    args.extend(request.inherited_flags.iter().cloned());
    // The prompt comes on stdin (`-`): a brief on the command line is readable by every
    // local user through `ps`.
    args.push("-".into());
    args
}

/// What the worker's `codex exec` reads on stdin: its brief, or the resume nudge.
pub fn prompt(request: &LaunchRequest) -> String {
    match &request.resume_thread {
        Some(_) => {
            "Continue your work for the team: claim the next task or finish the one you hold."
                .into()
        }
        None => request.brief.clone(),
    }
}

/// The flags that keep out of a worker's Codex what the profile's `worker.codex` removes
/// (each verified against codex-cli 0.169.0 by request capture in tests/e2e_lean.rs).
/// Sub-agents are always off: a worker is one of the team's six.
pub fn lean_flags(
    codex: &WorkerCodex,
    role: Role,
    instructions_file: Option<&Path>,
) -> Vec<String> {
    let mut flags: Vec<String> = vec!["--disable".into(), "multi_agent".into()];
    let mut disable = |feature: &str| flags.extend(["--disable".into(), feature.to_string()]);
    if !codex.goals {
        disable("goals");
    }
    if !codex.view_image.contains(&role) {
        disable("view_image");
    }
    let mut config = |kv: String| flags.extend(["-c".into(), kv]);
    if !codex.request_user_input {
        config("tools.experimental_request_user_input.enabled=false".into());
    }
    if !codex.web_search.contains(&role) {
        config("web_search=\"disabled\"".into());
    }
    if !codex.skills {
        config("skills.include_instructions=false".into());
    }
    if !codex.environment_context {
        config("include_environment_context=false".into());
    }
    if !codex.permissions {
        config("include_permissions_instructions=false".into());
    }
    if codex.instructions == Instructions::Compact
        && let Some(file) = instructions_file
    {
        config(format!(
            "model_instructions_file={}",
            toml_string(&file.display().to_string())
        ));
    }
    flags
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The compact worker instructions shipped with codex-teams (`profiles/worker-instructions.md`).
pub const WORKER_INSTRUCTIONS: &str = include_str!("../../../profiles/worker-instructions.md");

/// Writes [`WORKER_INSTRUCTIONS`] into `<home>/worker-instructions/` under a name that
/// depends on its content (so processes of different codex-teams versions never overwrite
/// each other's file) and returns its path. Codex reads `model_instructions_file` when it
/// loads its config, outside the worker's sandbox; the codex-teams home is private to the
/// user and is where every other team file lives.
pub fn write_worker_instructions(home: &Path) -> Result<PathBuf> {
    use sha2::{Digest, Sha256};
    let digest = hex::encode(Sha256::digest(WORKER_INSTRUCTIONS.as_bytes()));
    let dir = home.join("worker-instructions");
    let path = dir.join(format!("{}.md", &digest[..16]));
    if std::fs::read_to_string(&path).is_ok_and(|t| t == WORKER_INSTRUCTIONS) {
        return Ok(path);
    }
    crate::private::create_dir_all(&dir).map_err(|e| EngineError::io(&dir, e))?;
    // Written aside and renamed, so a worker starting at the same moment never reads half.
    let tmp = dir.join(format!(
        ".{}.{}",
        &digest[..16],
        uuid::Uuid::new_v4().simple()
    ));
    crate::private::create(&tmp)
        .and_then(|mut f| std::io::Write::write_all(&mut f, WORKER_INSTRUCTIONS.as_bytes()))
        .map_err(|e| EngineError::io(&tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| EngineError::io(&path, e))?;
    Ok(path)
}

struct Spawn {
    command: Command,
    reply: mpsc::Sender<std::io::Result<Child>>,
}

/// One long-lived thread spawns every worker, so the parent-death signal (which on Linux
/// fires when the spawning *thread* exits) means "when this process exits".
static LAUNCHER: LazyLock<Mutex<mpsc::Sender<Spawn>>> = LazyLock::new(|| {
    let (tx, rx) = mpsc::channel::<Spawn>();
    std::thread::Builder::new()
        .name("codex-teams-launcher".into())
        .spawn(move || {
            for mut job in rx {
                let _ = job.reply.send(job.command.spawn());
            }
        })
        .ok();
    Mutex::new(tx)
});

/// A worker this process started: its team, process (group) id and launch id.
struct Started {
    team: TeamId,
    pid: u32,
    launch: String,
}

/// The workers this process started, by agent.
static STARTED: LazyLock<Mutex<HashMap<String, Started>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The team and launch id of every worker this process started and has not swept for
/// good: what [`end_team_leftovers`] (at finalize) and [`shutdown_all`] sweep, whatever
/// became of the worker.
static LAUNCHED: LazyLock<Mutex<Vec<(TeamId, String)>>> = LazyLock::new(|| Mutex::new(Vec::new()));

fn spawn_on_launcher(command: Command, label: &str) -> Result<Child> {
    let (reply, answer) = mpsc::channel();
    let sender = LAUNCHER
        .lock()
        .map_err(|_| EngineError::Config("the launcher thread is gone".into()))?
        .clone();
    sender
        .send(Spawn { command, reply })
        .map_err(|_| EngineError::Config("the launcher thread is gone".into()))?;
    answer
        .recv()
        .map_err(|_| EngineError::Config("the launcher thread did not answer".into()))?
        .map_err(|e| EngineError::Config(format!("starting {label} failed: {e}")))
}

/// A worker process ready to start, as a runner built it: the program and its arguments
/// (`command`), what it reads on stdin, and how it is metered.
pub struct Process {
    pub command: Command,
    /// Written to its stdin at once.
    pub input: Vec<u8>,
    /// Keep its stdin open until it exits (the `ssh` runner's remote wrapper ends the
    /// remote Codex when its stdin closes); else closed after `input`.
    pub hold_stdin: bool,
    /// The Codex home its rollout files are written to; None: metered from the JSONL
    /// stream's `turn.completed` usage.
    pub codex_home: Option<PathBuf>,
}

/// A new launch id ([`ENV_LAUNCH_ID`]).
pub fn new_launch_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Starts `process` for the worker of `request` in a process group of its own, with
/// `launch` as its launch id, records it as started by this process, and starts the
/// supervisor thread that reads its JSONL stream. `label` names the program in errors.
pub fn start_supervised(
    request: &LaunchRequest,
    launch: String,
    process: Process,
    label: &str,
) -> Result<Launched> {
    let Process {
        mut command,
        input,
        hold_stdin,
        codex_home,
    } = process;
    let logs = request.home.join("logs");
    crate::private::create_dir_all(&logs).map_err(|e| EngineError::io(&logs, e))?;
    let stderr_path = logs.join(format!("{}.stderr", request.agent_id));
    let stderr =
        crate::private::create(&stderr_path).map_err(|e| EngineError::io(&stderr_path, e))?;
    command
        .env(ENV_LAUNCH_ID, &launch)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .process_group(0);
    // SAFETY: set_parent_death_signal is made for pre_exec (async-signal-safe calls
    // only, no allocation).
    unsafe {
        command.pre_exec(|| crate::platform::set_parent_death_signal(libc::SIGTERM));
    }
    let mut child = spawn_on_launcher(command, label)?;
    let pid = child.id();
    // The input, then EOF unless held (a brief is a few KB: the pipe takes it without
    // blocking).
    let mut held = None;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        if let Err(e) = stdin.write_all(&input).and_then(|()| stdin.flush()) {
            stop_group(pid);
            return Err(EngineError::Config(format!(
                "giving the worker its brief on stdin failed: {e}"
            )));
        }
        if hold_stdin {
            held = Some(stdin);
        }
    }
    if let Ok(mut launched) = LAUNCHED.lock() {
        launched.push((request.team_id.clone(), launch.clone()));
    }
    if let Ok(mut started) = STARTED.lock() {
        started.insert(
            request.agent_id.to_string(),
            Started {
                team: request.team_id.clone(),
                pid,
                launch: launch.clone(),
            },
        );
    }
    let stdout = child.stdout.take();
    let (db, home) = (request.db.clone(), request.home.clone());
    let worker = Worker {
        team: request.team_id.clone(),
        agent: request.agent_id.clone(),
        codex_home,
        thread: None,
    };
    std::thread::Builder::new()
        .name(format!("supervise-{}", request.agent_id))
        .spawn(move || {
            supervise(child, stdout, &db, &home, worker, &launch);
            drop(held);
        })
        .map_err(|e| EngineError::Config(format!("starting the supervisor thread: {e}")))?;
    Ok(Launched {
        pid: Some(pid),
        env: None,
    })
}

/// Stops a worker started by [`start_supervised`]: its process group, then whatever
/// carries its launch id.
pub fn stop_started(agent: &AgentId, pid: Option<u32>) {
    if let Some(pid) = pid {
        stop_group(pid);
    }
    let ours = STARTED
        .lock()
        .ok()
        .and_then(|mut started| started.remove(agent.as_str()));
    if let Some(started) = ours {
        end_leftovers(&started.launch, started.pid);
    }
}

impl CodexExec {
    /// Starts the worker and its supervisor thread.
    pub fn start(&self, request: &LaunchRequest) -> Result<Launched> {
        let (codex, source) = resolve_codex_from(Some(&request.home))?;
        let workspace = request
            .workspace
            .clone()
            .or_else(|| std::env::current_dir().ok())
            .ok_or_else(|| EngineError::Config("no workspace for the worker".into()))?;
        let instructions = match request.codex.instructions {
            Instructions::Compact => Some(write_worker_instructions(&request.home)?),
            Instructions::Codex => None,
        };
        let args = exec_args(request, &workspace, instructions.as_deref());
        let mut command = Command::new(&codex);
        command
            .args(&args)
            .current_dir(&workspace)
            .envs(&request.env)
            .env("CODEX_TEAMS_HOME", &request.home);
        // The Codex home the worker runs with, where its rollout file will be.
        let codex_home = rollout::codex_home_from(
            request
                .env
                .get("CODEX_HOME")
                .cloned()
                .or_else(|| std::env::var("CODEX_HOME").ok())
                .as_deref(),
        );
        let process = Process {
            command,
            input: prompt(request).into_bytes(),
            hold_stdin: false,
            codex_home,
        };
        let launched = start_supervised(request, new_launch_id(), process, "codex exec")?;
        tracing::info!(team_id = %request.team_id, agent_id = %request.agent_id, pid = launched.pid, codex = %codex.display(), codex_source = source.describe(), "worker started");
        Ok(launched)
    }
}

impl Runner for CodexExec {
    fn name(&self) -> &'static str {
        "codex-exec"
    }

    /// The compact worker instructions ([`WORKER_INSTRUCTIONS`]) teach the loop.
    fn teaches_work_loop(&self, codex: &WorkerCodex) -> bool {
        codex.instructions == Instructions::Compact
    }

    fn launch(&self, request: &LaunchRequest) -> Result<Launched> {
        self.start(request)
    }

    fn stop(&self, agent: &AgentId, pid: Option<u32>) -> Result<()> {
        stop_started(agent, pid);
        Ok(())
    }
}

/// SIGTERM to the process group, then SIGKILL if it is still there after the grace period.
pub fn stop_group(pid: u32) {
    if pid <= 1 {
        return;
    }
    if crate::platform::own_group() == pid {
        // A worker's own server is stopping its worker (early stop after its last task): the
        // signal ends this process too, so there is nobody left to wait and escalate.
        crate::platform::signal_group(pid, libc::SIGTERM);
        return;
    }
    if !crate::platform::signal_group(pid, libc::SIGTERM) {
        return; // already gone
    }
    let deadline = Instant::now() + STOP_GRACE;
    while Instant::now() < deadline {
        if !procs::group_running(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    crate::platform::signal_group(pid, libc::SIGKILL);
}

/// Stops every worker this process started (the lead's session is ending) and records why.
pub fn shutdown_all(engine: &Engine, reason: &str) {
    let started: Vec<(String, Started)> = STARTED
        .lock()
        .map(|mut m| m.drain().collect())
        .unwrap_or_default();
    for (agent, started) in started {
        // Recorded first, so the supervisor does not take the exit for a crash.
        let agent = AgentId::from_db(agent);
        let team = &started.team;
        if let Err(err) = engine.end_agent(team, &agent, AgentState::Stopped, reason) {
            tracing::warn!(team_id = %team, agent_id = %agent, error = %err, "recording a stopped worker failed");
        }
        stop_group(started.pid);
        // This process is about to exit: its supervisors may not get to sweep.
        end_leftovers(&started.launch, started.pid);
    }
    // A worker that ended on its own may have left processes its supervisor had no time
    // to sweep before this process ends (the lead exits right after finalize). By launch
    // id only: the process group of a worker gone long ago may be another process's now.
    let launched = LAUNCHED
        .lock()
        .map(|mut l| std::mem::take(&mut *l))
        .unwrap_or_default();
    for (_, launch) in launched {
        end_leftovers(&launch, 0);
    }
}

/// Kills whatever the workers this process started for `team` left behind (by launch id):
/// for a team being finalized, whose workers are all stopped. A worker stopped by another
/// process (early stop in the finishing worker's own server) is swept by its supervisor
/// here when it exits, but the lead's Codex exits right after finalize and may end this
/// process before the supervisor gets there; a shell Codex started for the worker in a
/// session of its own (the shell-environment snapshot) would then outlive them all.
/// Returns how many.
pub fn end_team_leftovers(team: &TeamId) -> usize {
    let launches: Vec<String> = LAUNCHED
        .lock()
        .map(|mut l| {
            let (ours, rest): (Vec<_>, Vec<_>) = l.drain(..).partition(|(t, _)| t == team);
            *l = rest;
            ours.into_iter().map(|(_, launch)| launch).collect()
        })
        .unwrap_or_default();
    launches.iter().map(|l| end_leftovers(l, 0)).sum()
}

/// Kills whatever is left of a worker: processes that carry launch id `launch` in their
/// environment (what Codex started for it in process groups and sessions of their own) and
/// processes still in its process group `group` (0: none), which catches one started with
/// an environment of its own. Sweeps again until nothing is found (a few rounds at most),
/// so a process forked between a scan and its kill does not survive. Returns how many.
fn end_leftovers(launch: &str, group: u32) -> usize {
    let markers = [format!("{ENV_LAUNCH_ID}={launch}")];
    let groups: Vec<u32> = [group].into_iter().filter(|g| *g > 1).collect();
    let mut ended = 0;
    for _ in 0..LEFTOVER_SWEEPS {
        let left: Vec<u32> = procs::find(&markers, &groups)
            .iter()
            .map(|p| p.pid)
            .collect();
        if left.is_empty() {
            break;
        }
        procs::kill_all(&left, &[]);
        ended += left.len();
        std::thread::sleep(Duration::from_millis(20));
    }
    ended
}

/// How many times [`end_leftovers`] looks again after killing what it found.
const LEFTOVER_SWEEPS: usize = 4;

/// The worker a supervisor watches.
struct Worker {
    team: TeamId,
    agent: AgentId,
    /// Where its Codex writes the rollout file.
    codex_home: Option<PathBuf>,
    /// Its Codex thread, once `thread.started` named it.
    thread: Option<String>,
}

/// Reads one worker's JSONL stream until it ends, feeding the engine.
fn supervise(
    mut child: Child,
    stdout: Option<std::process::ChildStdout>,
    db: &Path,
    home: &Path,
    mut worker: Worker,
    launch: &str,
) {
    let (team, agent) = (&worker.team.clone(), &worker.agent.clone());
    // Started with `process_group(0)`: its pid is its process group.
    let group = child.id();
    let engine = match Engine::open(db, home) {
        Ok(e) => e,
        Err(err) => {
            tracing::error!(team_id = %team, agent_id = %agent, error = %err, "supervisor cannot open the store; stopping the worker");
            stop_group(child.id());
            let _ = child.wait();
            return;
        }
    };
    let mut last_activity = Instant::now() - Duration::from_secs(60);
    if let Some(out) = stdout {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let Ok(event) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if let Err(err) = on_event(&engine, &mut worker, &event, &mut last_activity) {
                tracing::warn!(team_id = %team, agent_id = %agent, error = %err, "handling a worker event failed");
            }
        }
    }
    let status = child.wait();
    // The process is gone and its rollout file complete: charge what it used after the
    // last event we saw (a worker stopped mid-turn).
    if let Some(thread) = &worker.thread
        && let Err(err) = engine.meter_thread(thread)
    {
        tracing::warn!(team_id = %team, agent_id = %agent, error = %err, "metering the worker's last requests failed");
    }
    if let Ok(mut started) = STARTED.lock() {
        started.remove(agent.as_str());
    }
    // A worker killed outright (SIGKILL, OOM) cannot clean up: its MCP server and any shell
    // command still running would be orphaned.
    let ended = end_leftovers(launch, group);
    if ended > 0 {
        tracing::info!(team_id = %team, agent_id = %agent, count = ended, "ended processes the worker left behind");
    }
    let (state, reason) = match &status {
        Ok(s) if s.success() => (
            AgentState::Stopped,
            "worker finished (codex exec exited 0)".to_string(),
        ),
        Ok(s) => (AgentState::Dead, format!("codex exec exited: {s}")),
        Err(e) => (
            AgentState::Dead,
            format!("waiting for codex exec failed: {e}"),
        ),
    };
    match engine.worker_exited(team, agent, state, &reason) {
        Ok(_) => {}
        Err(err) => {
            tracing::warn!(team_id = %team, agent_id = %agent, error = %err, "recording the worker's exit failed")
        }
    }
}

fn on_event(
    engine: &Engine,
    worker: &mut Worker,
    event: &Value,
    last_activity: &mut Instant,
) -> Result<()> {
    let (team, agent) = (&worker.team, &worker.agent);
    let kind = event.get("type").and_then(Value::as_str).unwrap_or("");
    if let Some(message) = codex_error(event) {
        tracing::warn!(team_id = %team, agent_id = %agent, codex_error = %message, "the worker's Codex reported an error");
    }
    if kind == "thread.started"
        && let Some(thread) = event.get("thread_id").and_then(Value::as_str)
    {
        engine.record_thread(team, agent, thread)?;
        engine.watch_thread(team, agent, thread, worker.codex_home.as_deref(), None)?;
        worker.thread = Some(thread.to_string());
    }
    if let Some(thread) = &worker.thread {
        // Every event may follow a finished request: charge what the rollout file holds.
        engine.meter_thread(thread)?;
        if kind == "turn.completed" {
            // Only used when no rollout file was found for the thread.
            let usage = event.get("usage").cloned().unwrap_or(Value::Null);
            let get = |k: &str| usage.get(k).and_then(Value::as_i64).unwrap_or(0);
            let cumulative = Usage {
                input: get("input_tokens"),
                cached: get("cached_input_tokens"),
                output: get("output_tokens"),
            };
            engine.meter_stream(thread, cumulative)?;
        }
    }
    if last_activity.elapsed() >= Duration::from_secs(1) {
        *last_activity = Instant::now();
        engine.record_activity(agent)?;
    }
    Ok(())
}

/// The message of an error Codex reports on its JSONL stream: a top-level `error` event or
/// an `error` item (for example an MCP server that failed to start).
fn codex_error(event: &Value) -> Option<String> {
    let kind = event.get("type").and_then(Value::as_str)?;
    let item = event.get("item");
    let error = match kind {
        "error" => Some(event),
        "item.completed" | "item.started"
            if item.and_then(|i| i.get("type")).and_then(Value::as_str) == Some("error") =>
        {
            item
        }
        _ => None,
    }?;
    Some(
        error
            .get("message")
            .and_then(Value::as_str)
            .map_or_else(|| error.to_string(), str::to_string),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Profile;

    #[test]
    fn the_brief_and_the_token_never_reach_the_command_line() {
        let request = LaunchRequest::for_test(
            "ctt_secretsecret",
            "BRIEF: claim task_123 and publish art:x@1",
            Some("m"),
        );
        let args = exec_args(&request, Path::new("/w"), None);
        let line = args.join(" ");
        assert_eq!(args.last().map(String::as_str), Some("-"), "{line}");
        assert!(!line.contains("BRIEF") && !line.contains("ctt_"), "{line}");
        assert!(
            line.contains("shell_environment_policy.exclude=[\"CODEX_TEAMS_AGENT_TOKEN\"]"),
            "{line}"
        );
        assert_eq!(prompt(&request), request.brief);
    }

    fn flags(profile: &str, role: Role) -> String {
        let p = Profile::builtin(profile).unwrap();
        lean_flags(&p.worker.codex, role, Some(Path::new("/h/w i.md"))).join(" ")
    }

    #[test]
    fn codex_defaults_remove_only_sub_agents() {
        let f = lean_flags(&WorkerCodex::default(), Role::Implementer, None);
        assert_eq!(f, ["--disable", "multi_agent"]);
    }

    #[test]
    fn default_profile_turns_off_what_a_worker_cannot_use() {
        let f = flags("default", Role::Implementer);
        for part in [
            "--disable multi_agent",
            "--disable goals",
            "--disable view_image",
            "-c tools.experimental_request_user_input.enabled=false",
            "-c web_search=\"disabled\"",
            "-c skills.include_instructions=false",
        ] {
            assert!(f.contains(part), "{part} missing from {f}");
        }
        assert!(!f.contains("model_instructions_file"), "{f}");
        // The cwd/date/filesystem preamble goes; the sandbox and approval rules stay.
        assert!(f.contains("-c include_environment_context=false"), "{f}");
        assert!(!f.contains("include_permissions_instructions"), "{f}");
    }

    #[test]
    fn only_listed_roles_get_web_search_and_images() {
        assert!(!flags("default", Role::Researcher).contains("web_search"));
        assert!(flags("deep", Role::Tester).contains("--disable goals"));
        assert!(!flags("deep", Role::Tester).contains("view_image"));
        assert!(flags("deep", Role::Implementer).contains("view_image"));
    }

    #[test]
    fn compact_instructions_go_as_a_toml_string() {
        let f = flags("fast", Role::Implementer);
        assert!(
            f.contains("-c model_instructions_file=\"/h/w i.md\""),
            "{f}"
        );
        assert!(f.contains("-c include_environment_context=false"), "{f}");
        assert!(
            f.contains("-c include_permissions_instructions=false"),
            "{f}"
        );
        assert_eq!(toml_string(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn worker_instructions_are_written_once_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let a = write_worker_instructions(dir.path()).unwrap();
        let b = write_worker_instructions(dir.path()).unwrap();
        assert_eq!(a, b);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), WORKER_INSTRUCTIONS);
    }

    #[test]
    fn codex_binaries_are_told_from_others() {
        for yes in [
            "/usr/lib/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex",
            "/opt/codex-x86_64-unknown-linux-musl",
        ] {
            assert!(is_codex_binary(Path::new(yes)), "{yes}");
        }
        for no in [
            "/bin/bash",
            "/usr/bin/node",
            "/x/codex-teams",
            "/x/codex-teams-dev",
        ] {
            assert!(!is_codex_binary(Path::new(no)), "{no}");
        }
    }

    #[test]
    fn a_recorded_codex_is_used_only_when_it_exists() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(recorded_codex(home.path()), None);
        let bin = home.path().join("codex");
        std::fs::write(&bin, "").unwrap();
        std::fs::write(
            home.path().join(RECORDED_CODEX_FILE),
            format!("{}\n", bin.display()),
        )
        .unwrap();
        assert_eq!(recorded_codex(home.path()), Some(bin.clone()));
        std::fs::remove_file(&bin).unwrap();
        assert_eq!(recorded_codex(home.path()), None);
    }
}
