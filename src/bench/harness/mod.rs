//! A real team run, reusable by `codex-teams smoke --real` and the end-to-end tests: the
//! real Codex CLI as the lead, real `codex exec` workers launched by codex-teams, and the
//! mock model (`codex-teams mock-model`) answering every request from a plan.
//!
//! [`RealTeam::start`] makes a private directory with a `CODEX_HOME` whose config points at
//! the mock provider, runs the library's own install into it (so the MCP server entry, tool
//! approvals, skill and trusted prompt hook are exactly what a user gets), creates a git
//! workspace, and starts `codex exec --json --skip-git-repo-check [-m MODEL] "<prompt>"`.
//! [`RealTeam::finish`] waits for the lead (with a timeout), waits for every process of
//! the run to end, reads the database, the team log, the mock's request log and the lead's
//! JSONL into a [`RealReport`], kills whatever is left, and removes the directory unless
//! asked to keep it. [`RealTeam::run`] does both.
//!
//! Not a benchmark harness: one run, one lead, one report. Its token figures are real
//! Codex traffic against a scripted mock model (see [`report::NOTE`]).

pub mod bare;
pub mod report;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};

use crate::bench::mock::Script;
use crate::engine::Engine;
use crate::engine::runner::{codex_exec, procs};
use crate::integration;
use crate::scratch::Scratch;

pub use crate::engine::runner::procs::Leftover;
pub use report::RealReport;

/// The API key the mock provider's `env_key` names; any value works.
pub const MOCK_KEY: &str = "MOCK_KEY";

/// The `config.toml` lines that make the mock model on `port` a Codex home's model (the
/// key it wants is `$MOCK_KEY`, any value).
pub fn mock_provider_toml(port: u16) -> String {
    format!(
        "model = \"mock-model\"\n\
         model_provider = \"mock\"\n\
         \n\
         [model_providers.mock]\n\
         name = \"mock\"\n\
         base_url = \"http://127.0.0.1:{port}/v1\"\n\
         wire_api = \"responses\"\n\
         env_key = \"{MOCK_KEY}\"\n\
         supports_websockets = false\n"
    )
}
/// Lead wait per round when the plan does not say: the longest there is, since anything
/// that needs the lead (a result, a message, a dead worker, the board done) ends it early.
pub const DEFAULT_LEAD_WAIT_MS: u64 = crate::engine::policy::LEAD_WAIT_CEILING_MS as u64;
/// Worker long-poll on a blocked board when the plan does not say: a finished task (which
/// may unblock the worker's next one) ends the wait early, so it can be long.
pub const DEFAULT_WORKER_WAIT_MS: u64 = 20_000;
/// What each task of a built-in scenario runs through Codex's shell tool: a few seconds of
/// "work", as a real task takes. Without it the mock finishes tasks in milliseconds, and
/// the team's size would depend on whether the first tasks are done before the lead has
/// made all its spawns (the planner re-plans from the board on every spawn).
pub const SCENARIO_TASK_WORK: &str = "sleep 5";
/// How long the team's processes get to end after the lead exits.
const SETTLE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(50);

/// What to run.
#[derive(Debug, Clone)]
pub struct RealOptions {
    /// The mock's script.
    pub script: Script,
    /// The lead's prompt, exactly as typed.
    pub prompt: String,
    /// The lead's `-m`; None runs the config default (`mock-model`).
    pub lead_model: Option<String>,
    /// The profile `team_start` asks for (overrides the plan's).
    pub profile: Option<String>,
    /// User profiles to write to `$CODEX_TEAMS_HOME/profiles/<name>.team.yaml`.
    pub user_profiles: Vec<(String, String)>,
    /// The Codex CLI; None: `$CODEX_TEAMS_CODEX`, else `codex` on PATH.
    pub codex: Option<PathBuf>,
    /// The codex-teams binary to install and run; None: this executable.
    pub bin: Option<PathBuf>,
    /// Start the lead with an environment that names no Codex ($CODEX_TEAMS_CODEX unset, no
    /// `codex` on PATH), as a user of the IDE extension or of install.sh's private copy
    /// has it: workers must then find the lead's own Codex.
    pub hide_codex_location: bool,
    /// The lead is killed after this long.
    pub timeout: Duration,
    /// Keep the run's directory (its path is in the report).
    pub keep: bool,
    /// Store every request body (`--capture-bodies`), needed for the hook check.
    pub capture_bodies: bool,
    /// Run in this prepared workspace (for example an eval task's repository) instead of a
    /// fresh empty git repository in the run directory.
    pub workspace: Option<PathBuf>,
    /// Use this Codex home's model provider and login (its `config.toml` and `auth.json`
    /// are copied into the run's own CODEX_HOME) instead of the mock model: a real model,
    /// real tokens. The plan is then unused.
    pub user_codex_home: Option<PathBuf>,
    /// Install codex-teams into the run's Codex home (default). Off: plain Codex, for the
    /// benchmark's arms without a team (`solo`, `codex-subagents`).
    pub install: bool,
    /// The lead's `-s/--sandbox` (None: Codex's default, read-only for `exec`). A lead that
    /// writes files itself (solo, sub-agents) needs `workspace-write`.
    pub lead_sandbox: Option<String>,
    /// After the run, copy its database here (with its WAL), so the team can still be
    /// replayed once the run's directory is gone.
    pub save_db: Option<PathBuf>,
    /// Run on this codex-teams home (its `teams.db`) instead of a fresh one in the run's
    /// directory, so another server of the same team (`serve-mcp --http` for remote
    /// workers) can share the lead's database.
    pub teams_home: Option<PathBuf>,
}

impl RealOptions {
    /// A run of `plan` with the prompt `use agents team: <plan goal>`.
    pub fn new(plan: Script) -> RealOptions {
        let goal = plan
            .goal
            .clone()
            .unwrap_or_else(|| "finish the tasks on the board".to_string());
        RealOptions {
            script: plan,
            prompt: format!("use agents team: {goal}"),
            lead_model: None,
            profile: None,
            user_profiles: Vec::new(),
            codex: None,
            bin: None,
            hide_codex_location: false,
            timeout: Duration::from_secs(300),
            keep: false,
            capture_bodies: true,
            workspace: None,
            user_codex_home: None,
            install: true,
            lead_sandbox: None,
            save_db: None,
            teams_home: None,
        }
    }

    /// A run of the built-in scenario `small`, `medium` or `high`, each task taking
    /// [`SCENARIO_TASK_WORK`].
    pub fn scenario(name: &str) -> Result<RealOptions> {
        let mut plan = Script::builtin(name).ok_or_else(|| {
            anyhow!(
                "`{name}` is not a built-in plan; valid: {}",
                Script::builtin_names().join(", ")
            )
        })?;
        for task in &mut plan.tasks {
            task.run
                .get_or_insert_with(|| SCENARIO_TASK_WORK.to_string());
        }
        Ok(RealOptions::new(plan))
    }
}

/// How the lead's Codex ended.
#[derive(Debug, Default)]
struct LeadExit {
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
}

/// A running `codex-teams mock-model`; stdin is held open so it ends with this process.
struct MockProcess {
    child: Child,
    _stdin: Option<ChildStdin>,
}

impl MockProcess {
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real team run in progress.
pub struct RealTeam {
    options: RealOptions,
    dir: Scratch,
    codex_home: PathBuf,
    teams_home: PathBuf,
    db: PathBuf,
    workspace: PathBuf,
    mock: Option<MockProcess>,
    lead: Option<Child>,
    lead_pid: u32,
    codex_version: Option<String>,
    started: Instant,
    finished: bool,
}

/// Finds the Codex CLI for a run (native binary behind the npm wrapper).
pub fn find_codex(explicit: Option<&Path>) -> Result<PathBuf> {
    match explicit {
        Some(p) => {
            if !p.exists() {
                bail!("the Codex CLI {} does not exist", p.display());
            }
            Ok(codex_exec::native_codex(p))
        }
        None => codex_exec::resolve_codex().map_err(|e| anyhow!("{e}")),
    }
}

impl RealTeam {
    /// Runs `options` to the end and reports.
    pub fn run(options: RealOptions) -> Result<RealReport> {
        RealTeam::start(options)?.finish()
    }

    /// Sets everything up and starts the lead; returns while it runs.
    pub fn start(options: RealOptions) -> Result<RealTeam> {
        let codex = find_codex(options.codex.as_deref())?;
        let bin = integration::changes::resolve_bin(options.bin.as_deref())
            .map_err(|e| anyhow!("the codex-teams binary: {e}"))?;
        let dir = Scratch::kept("real", options.keep)?;
        let root = dir.path().to_path_buf();
        let codex_home = root.join("codex-home");
        let teams_home = options
            .teams_home
            .clone()
            .unwrap_or_else(|| root.join("teams"));
        let db = teams_home.join("teams.db");
        let prepared = options.workspace.is_some();
        let workspace = options
            .workspace
            .clone()
            .unwrap_or_else(|| root.join("work"));
        for d in [&codex_home, &teams_home, &workspace] {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        }
        if !options.user_profiles.is_empty() {
            let profiles = teams_home.join("profiles");
            std::fs::create_dir_all(&profiles)
                .with_context(|| format!("creating {}", profiles.display()))?;
            for (name, yaml) in &options.user_profiles {
                let path = profiles.join(format!("{name}.team.yaml"));
                std::fs::write(&path, yaml)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
        // A git workspace, as a user's repository would be (a failure here is not fatal:
        // the lead runs with --skip-git-repo-check).
        if !prepared {
            let _ = Command::new("git")
                .args(["init", "-q"])
                .current_dir(&workspace)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }

        let mut plan = options.script.clone();
        if let Some(p) = &options.profile {
            plan.profile = Some(p.clone());
        }
        plan.wait_ms.get_or_insert(DEFAULT_LEAD_WAIT_MS);
        plan.worker_wait_ms.get_or_insert(DEFAULT_WORKER_WAIT_MS);
        let script_path = root.join("plan.json");
        std::fs::write(&script_path, serde_json::to_string_pretty(&plan)?)
            .with_context(|| format!("writing {}", script_path.display()))?;
        let (mock, port) = match &options.user_codex_home {
            Some(user) => {
                copy_provider_setup(user, &codex_home)?;
                (None, 0)
            }
            None => {
                let (mock, port) = start_mock(&bin, &root, &script_path, options.capture_bodies)?;
                (Some(mock), port)
            }
        };
        let mut team = RealTeam {
            options,
            dir,
            codex_home,
            teams_home,
            db,
            workspace,
            mock,
            lead: None,
            lead_pid: 0,
            codex_version: codex_version(&codex),
            started: Instant::now(),
            finished: false,
        };
        if team.mock.is_some() {
            team.write_config(port)?;
        }
        if team.options.install {
            let plan = integration::changes::plan_install(&team.codex_home, &bin)
                .map_err(|e| anyhow!("install into {}: {e}", team.codex_home.display()))?;
            plan.apply()
                .map_err(|e| anyhow!("install into {}: {e}", team.codex_home.display()))?;
        }
        team.start_lead(&codex)?;
        Ok(team)
    }

    /// The provider part of config.toml; install adds the rest.
    fn write_config(&self, port: u16) -> Result<()> {
        let config = format!(
            "# A codex-teams real-team run: every model request goes to the local mock.\n{}",
            mock_provider_toml(port)
        );
        let path = self.codex_home.join(integration::CONFIG_FILE);
        std::fs::write(&path, config).with_context(|| format!("writing {}", path.display()))
    }

    fn start_lead(&mut self, codex: &Path) -> Result<()> {
        let out_path = self.dir.path().join("lead.jsonl");
        let err_path = self.dir.path().join("lead.err");
        let stdout = std::fs::File::create(&out_path)
            .with_context(|| format!("creating {}", out_path.display()))?;
        let stderr = std::fs::File::create(&err_path)
            .with_context(|| format!("creating {}", err_path.display()))?;
        let mut cmd = Command::new(codex);
        cmd.args(["exec", "--json", "--skip-git-repo-check"]);
        if let Some(m) = &self.options.lead_model {
            cmd.args(["-m", m]);
        }
        if let Some(s) = &self.options.lead_sandbox {
            cmd.args(["-s", s]);
        }
        cmd.arg(&self.options.prompt)
            .current_dir(&self.workspace)
            // What the lead's MCP server passes on to the workers it launches: install's
            // env_vars list carries each of these through Codex's allow-list.
            .env("CODEX_HOME", &self.codex_home)
            .env(crate::engine::store::HOME_ENV, &self.teams_home)
            .env(crate::engine::runner::ENV_DB, &self.db)
            .env_remove(crate::engine::runner::ENV_TEAM_ID)
            .env_remove(crate::engine::runner::ENV_AGENT_ID)
            .env_remove(crate::engine::runner::ENV_AGENT_TOKEN)
            .env_remove(crate::engine::policy::PROFILE_ENV);
        if self.options.hide_codex_location {
            cmd.env_remove(codex_exec::ENV_CODEX_BIN)
                .env("PATH", path_without("codex"));
        } else {
            cmd.env(codex_exec::ENV_CODEX_BIN, codex);
        }
        if self.mock.is_some() {
            cmd.env(MOCK_KEY, "mock").env_remove("OPENAI_API_KEY");
        } else if let Some(p) = &self.options.profile {
            // A real model chooses its own team_start arguments: the profile comes from the
            // environment, which team_start falls back to.
            cmd.env(crate::engine::policy::PROFILE_ENV, p);
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr))
            .process_group(0);
        // SAFETY: set_parent_death_signal is made for pre_exec (async-signal-safe calls
        // only, no allocation). The lead dies with the thread that started it (Linux; the
        // process, macOS), so a failed test takes its run along.
        unsafe {
            cmd.pre_exec(|| crate::platform::set_parent_death_signal(libc::SIGKILL));
        }
        let child = cmd
            .spawn()
            .with_context(|| format!("starting {} exec", codex.display()))?;
        self.lead_pid = child.id();
        self.lead = Some(child);
        self.started = Instant::now();
        Ok(())
    }

    pub fn db_path(&self) -> &Path {
        &self.db
    }

    /// The run's private directory (removed when the run ends unless kept).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn teams_home(&self) -> &Path {
        &self.teams_home
    }

    pub fn codex_home(&self) -> &Path {
        &self.codex_home
    }

    pub fn workspace(&self) -> &Path {
        &self.workspace
    }

    pub fn lead_pid(&self) -> u32 {
        self.lead_pid
    }

    /// Whether the lead's Codex is still running.
    pub fn lead_running(&mut self) -> bool {
        self.lead
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Sends `signal` to the lead's Codex process (not its group: as if it crashed).
    pub fn signal_lead(&self, signal: i32) {
        crate::platform::signal(self.lead_pid, signal);
    }

    /// The run's store, once the lead's MCP server has created it.
    pub fn engine(&self) -> Option<Engine> {
        if !self.db.exists() {
            return None;
        }
        Engine::open(&self.db, &self.teams_home).ok()
    }

    /// Polls `check` against the store until it holds (true), the lead exits or `timeout`
    /// passes (false).
    pub fn wait_until(
        &mut self,
        timeout: Duration,
        mut check: impl FnMut(&Engine) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        let mut engine = None;
        while Instant::now() < deadline {
            if engine.is_none() {
                engine = self.engine();
            }
            if let Some(e) = &engine
                && check(e)
            {
                return true;
            }
            if !self.lead_running() {
                return engine.as_ref().is_some_and(&mut check);
            }
            std::thread::sleep(POLL);
        }
        false
    }

    /// The team's processes that are alive now: the lead's Codex (while it runs), every
    /// `codex-teams serve-mcp` of the run, and every worker with whatever it started. The
    /// lead Codex's own helpers (its shell-environment snapshot) are the user's Codex, not
    /// the team, and are not listed.
    pub fn processes(&self) -> Vec<Leftover> {
        let (teams, groups) = self.recorded();
        let markers: Vec<String> = teams
            .iter()
            .map(|t| format!("{}={t}", crate::engine::runner::ENV_TEAM_ID))
            .collect();
        let mut found = procs::find(&markers, &groups);
        let servers = procs::find(&[self.db_marker()], &[])
            .into_iter()
            .filter(|p| p.cmd.contains("serve-mcp") || p.pid == self.lead_pid);
        for p in servers {
            if !found.iter().any(|f| f.pid == p.pid) {
                found.push(p);
            }
        }
        found.sort_by_key(|p| p.pid);
        found
    }

    /// Every process that carries this run's private paths, the lead Codex's helpers
    /// included: what the cleanup kills.
    fn everything(&self) -> Vec<u32> {
        let markers = [
            format!("CODEX_HOME={}", self.codex_home.display()),
            self.db_marker(),
        ];
        let mut pids: Vec<u32> = procs::find(&markers, &self.recorded().1)
            .iter()
            .map(|p| p.pid)
            .collect();
        pids.extend(self.processes().iter().map(|p| p.pid));
        pids
    }

    fn db_marker(&self) -> String {
        format!("CODEX_TEAMS_DB={}", self.db.display())
    }

    /// The team ids in the store, and the process groups of their recorded workers.
    fn recorded(&self) -> (Vec<String>, Vec<u32>) {
        let Some(engine) = self.engine() else {
            return (Vec::new(), Vec::new());
        };
        let teams = engine.teams(true).unwrap_or_default();
        let mut ids = Vec::new();
        let mut pids = Vec::new();
        for t in teams {
            let agents = engine
                .agents(&crate::engine::ids::TeamId::from_db(t.team_id.clone()))
                .unwrap_or_default();
            pids.extend(
                agents
                    .iter()
                    .filter(|a| a.role != "lead")
                    .filter_map(|a| a.pid)
                    .filter_map(|p| u32::try_from(p).ok())
                    .filter(|p| *p > 1),
            );
            ids.push(t.team_id);
        }
        (ids, pids)
    }

    /// Waits for the lead's Codex to exit; at the timeout, SIGTERM and then SIGKILL.
    fn wait_for_lead(&mut self) -> Result<LeadExit> {
        let mut exit = LeadExit::default();
        let Some(mut child) = self.lead.take() else {
            return Ok(exit);
        };
        let deadline = self.started + self.options.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() >= deadline => {
                    exit.timed_out = true;
                    self.signal_lead(libc::SIGTERM);
                    std::thread::sleep(Duration::from_secs(2));
                    procs::kill_all(&[], &[self.lead_pid]);
                    break child.wait().ok();
                }
                Ok(None) => std::thread::sleep(POLL),
                Err(e) => return Err(e).context("waiting for the lead's Codex"),
            }
        };
        if let Some(s) = status {
            use std::os::unix::process::ExitStatusExt;
            exit.code = s.code();
            exit.signal = s.signal();
        }
        Ok(exit)
    }

    /// Waits for the lead (killing it at the timeout), then for every process of the run
    /// to end, reads the report, kills what is left and cleans up.
    pub fn finish(mut self) -> Result<RealReport> {
        let exit = self.wait_for_lead()?;
        let wall_ms = self.started.elapsed().as_millis() as u64;

        // Every process of the run should now end on its own.
        let settle_start = Instant::now();
        let mut leftover = self.processes();
        while !leftover.is_empty() && settle_start.elapsed() < SETTLE {
            std::thread::sleep(POLL);
            leftover = self.processes();
        }
        let settle_ms = settle_start.elapsed().as_millis() as u64;
        let mut groups = self.recorded().1;
        groups.push(self.lead_pid);
        procs::kill_all(&self.everything(), &groups);
        if let Some(to) = &self.options.save_db {
            save_db(&self.db, to)?;
        }

        let facts = report::read_team(&self.db, &self.teams_home)?;
        if let Some(mut mock) = self.mock.take() {
            mock.stop();
        }
        let (requests, mut tokens) = report::read_requests(&self.dir.path().join("mock.log"))?;
        tokens.set_engine(&facts);
        let mut lead = report::read_lead(&self.dir.path().join("lead.jsonl"));
        if self.options.user_codex_home.is_some() {
            tokens = report::reported_usage(&facts);
        }
        let hook = if self.options.capture_bodies {
            report::check_hook(&self.dir.path().join("bodies"), &requests)
        } else {
            report::HookRecord::default()
        };
        lead.exit_code = exit.code;
        lead.signal = exit.signal;
        lead.timed_out = exit.timed_out;
        self.finished = true;
        Ok(RealReport {
            kind: report::KIND,
            note: report::NOTE,
            codex_version: self.codex_version.clone(),
            plan: self.options.script.name.clone(),
            prompt: self.options.prompt.clone(),
            lead_model: self.options.lead_model.clone(),
            team: facts.summary,
            tokens,
            wall_ms,
            settle_ms,
            records: facts.records,
            leftover,
            lead,
            hook,
            requests,
            dir: self.options.keep.then(|| self.dir.path().to_path_buf()),
        })
    }
}

impl Drop for RealTeam {
    /// A run dropped before `finish` (a failed test): kill everything it started.
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut groups = self.recorded().1;
        groups.push(self.lead_pid);
        if let Some(mut child) = self.lead.take() {
            procs::kill_all(&[], &groups);
            let _ = child.wait();
        }
        procs::kill_all(&self.everything(), &groups);
        if let Some(mut mock) = self.mock.take() {
            mock.stop();
        }
    }
}

/// Copies a database no process uses any more, with its write-ahead log, to `to`.
fn save_db(db: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        crate::engine::private::create_dir_all(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    // An earlier copy's log or shared-memory index must not be applied to this one.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
    }
    for suffix in ["", "-wal"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        let dest = PathBuf::from(format!("{}{suffix}", to.display()));
        if from.is_file() {
            std::fs::copy(&from, &dest)
                .with_context(|| format!("saving the run's database to {}", dest.display()))?;
        }
    }
    Ok(())
}

/// Copies a Codex home's provider setup (`config.toml`, `auth.json`) into the run's own
/// CODEX_HOME, where install then adds the codex-teams entries.
fn copy_provider_setup(user: &Path, codex_home: &Path) -> Result<()> {
    let config = user.join(integration::CONFIG_FILE);
    if !config.is_file() {
        bail!(
            "{} has no {}: a real-model run needs your Codex provider setup (run codex once to log in)",
            user.display(),
            integration::CONFIG_FILE
        );
    }
    for name in [integration::CONFIG_FILE, "auth.json"] {
        let from = user.join(name);
        if from.is_file() {
            std::fs::copy(&from, codex_home.join(name))
                .with_context(|| format!("copying {}", from.display()))?;
        }
    }
    Ok(())
}

/// Starts `codex-teams mock-model` and reads the port it listens on.
fn start_mock(bin: &Path, root: &Path, plan: &Path, capture: bool) -> Result<(MockProcess, u16)> {
    let err_path = root.join("mock.err");
    let stderr = std::fs::File::create(&err_path)
        .with_context(|| format!("creating {}", err_path.display()))?;
    let mut cmd = Command::new(bin);
    cmd.args(["mock-model", "--port", "0", "--log"])
        .arg(root.join("mock.log"))
        .arg("--plan")
        .arg(plan);
    if capture {
        cmd.arg("--capture-bodies").arg(root.join("bodies"));
    }
    let mut child = cmd
        .env_remove("CODEX_HOME")
        .env_remove("CODEX_TEAMS_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(stderr))
        .spawn()
        .with_context(|| format!("starting {} mock-model", bin.display()))?;
    let stdin = child.stdin.take();
    let mut mock = MockProcess {
        child,
        _stdin: stdin,
    };
    let Some(stdout) = mock.child.stdout.take() else {
        mock.stop();
        bail!("mock-model has no stdout");
    };
    let mut line = String::new();
    let read = BufReader::new(stdout).read_line(&mut line);
    let port = line
        .trim()
        .strip_prefix("listening on 127.0.0.1:")
        .and_then(|p| p.parse::<u16>().ok());
    match (read, port) {
        (Ok(_), Some(port)) => Ok((mock, port)),
        _ => {
            mock.stop();
            let err = std::fs::read_to_string(&err_path).unwrap_or_default();
            bail!(
                "mock-model did not start (first line {line:?}); its stderr:\n{}",
                err.trim()
            )
        }
    }
}

/// This process's PATH without the directories that hold an executable named `name`.
fn path_without(name: &str) -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|dir| !dir.join(name).exists())
        .collect();
    std::env::join_paths(kept).unwrap_or_default()
}

/// `codex --version` (first line), if it answers.
fn codex_version(codex: &Path) -> Option<String> {
    let out = Command::new(codex)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines().next().map(|l| l.trim().to_string())
}
