//! Team profiles: the one place behaviour is tuned. A profile is YAML, parsed into typed
//! structs (unknown keys refused) and validated; the resolved profile is stored with the team
//! so every process of the team applies the same rules.
//!
//! Not here: choosing a team size (that is `fanout`) or spending tokens (`budget`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};
use crate::roles::{Role, WORKER_ROLES};

/// No team ever has more live agents than this, whatever a profile says.
pub const HARD_CAP: u32 = 6;

/// Environment variable naming the profile a team starts under when `team_start` (or
/// `smoke`) names none; absent or empty, `default`.
pub const PROFILE_ENV: &str = "CODEX_TEAMS_PROFILE";

/// The profiles shipped inside the binary, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../profiles/default.team.yaml")),
    ("fast", include_str!("../../profiles/fast.team.yaml")),
    ("deep", include_str!("../../profiles/deep.team.yaml")),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Most live workers at once; at most 6.
    pub max_threads: u32,
    pub fanout: Fanout,
    pub budget: Budget,
    pub messages: Messages,
    pub leases: Leases,
    pub arbitration: Arbitration,
    pub early_stop: EarlyStop,
    pub worker: Worker,
    /// What a team may keep in the store; absent in profiles written before it existed.
    #[serde(default)]
    pub storage: Storage,
}

/// The default `storage.team_bytes`: 256 MiB of artifact content per team.
pub const DEFAULT_TEAM_BYTES: i64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// Bytes of artifact content (every version counts) one team may store; a publish over
    /// it is refused with `limit`.
    pub team_bytes: i64,
}

impl Default for Storage {
    fn default() -> Self {
        Storage {
            team_bytes: DEFAULT_TEAM_BYTES,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fanout {
    pub small: Bounds,
    pub medium: Bounds,
    pub high: Bounds,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Tokens the whole team may spend (workers' input + output).
    pub team_tokens: i64,
    /// Tokens one worker may spend before it is stopped.
    pub agent_tokens: i64,
    /// Tokens one more agent costs per model request before doing anything (measured).
    pub agent_fixed_cost_tokens: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    /// Largest message body accepted; larger content must be an artifact.
    pub body_cap_bytes: i64,
    /// How long a pulled, unacknowledged message stays hidden before redelivery (≤ 30 s).
    pub inbox_lease_ms: i64,
    /// Most messages one pull returns.
    pub max_pull: i64,
    /// Longest long-poll a pull may ask for.
    pub max_wait_ms: i64,
    /// Longest wait a lead's pull may ask for (it wakes early on anything that needs the
    /// lead); at most [`LEAD_WAIT_CEILING_MS`], which `install` sizes Codex's tool timeout to.
    #[serde(default = "default_lead_max_wait_ms")]
    pub lead_max_wait_ms: i64,
}

/// The longest a lead's pull ever waits: ten minutes. `install` sets the server entry's
/// `tool_timeout_sec` above it, so Codex never times the wait out first.
pub const LEAD_WAIT_CEILING_MS: i64 = 600_000;

fn default_lead_max_wait_ms() -> i64 {
    LEAD_WAIT_CEILING_MS
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Leases {
    /// How long a task claim lasts without activity from its owner.
    pub task_lease_ms: i64,
    /// How long a worker may be silent before idle shutdown.
    pub idle_timeout_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArbitrationMode {
    Consensus,
    Lead,
    StrictVote,
}

/// What an unresolved vote turns into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// The lead's vote (or, without one, the first candidate the lead listed) decides.
    Lead,
    /// The decision ends as failed; the lead must act.
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arbitration {
    pub mode: ArbitrationMode,
    /// Fraction of eligible voters that must vote for a `strict_vote` to count.
    pub quorum: f64,
    pub on_tie: Fallback,
    pub on_no_quorum: Fallback,
    pub on_consensus_failure: Fallback,
    pub timeout_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyStop {
    /// Stop the remaining workers when every task is done.
    pub all_tasks_done: bool,
    /// Stop the remaining workers when a merge decision is reached.
    pub decision_reached: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sandbox {
    ReadOnly,
    WorkspaceWrite,
    DangerFullAccess,
}

impl Sandbox {
    /// The value `codex exec -s` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Sandbox::ReadOnly => "read-only",
            Sandbox::WorkspaceWrite => "workspace-write",
            Sandbox::DangerFullAccess => "danger-full-access",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// Every worker works in the team's workspace.
    Shared,
    /// Every worker gets its own git worktree.
    Worktree,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Worker {
    /// `inherit` (the lead's model) or a model name.
    pub model: String,
    pub sandbox: Sandbox,
    pub isolation: Isolation,
    /// Largest brief a worker may be given.
    pub brief_max_bytes: i64,
    /// What each worker's Codex loads; absent: Codex's defaults (the naive baseline).
    #[serde(default)]
    pub codex: WorkerCodex,
    /// The runner `team_spawn` uses when the call names none (one of [`RUNNERS`]).
    #[serde(default = "default_runner")]
    pub runner: String,
    /// Where `runner: ssh` starts workers; absent: that runner is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh: Option<WorkerSsh>,
}

/// The runners this build knows (`runner::by_name`).
pub const RUNNERS: &[&str] = &["codex-exec", "external", "sim", "ssh"];

fn default_runner() -> String {
    "codex-exec".into()
}

/// The host the `ssh` runner starts workers on, and how their Codex reaches the team
/// server (docs/remote.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSsh {
    /// The host name or address given to `ssh`.
    pub host: String,
    /// The team server's endpoint as the remote host reaches it (`http(s)://.../mcp`).
    pub url: String,
    /// `ssh -p`; absent: ssh's own default (its config, else 22).
    #[serde(default)]
    pub port: Option<u16>,
    /// `ssh -l`; absent: ssh's own default.
    #[serde(default)]
    pub user: Option<String>,
    /// `ssh -i` (with `IdentitiesOnly=yes`); absent: ssh's agent and default keys.
    #[serde(default)]
    pub identity_file: Option<PathBuf>,
    /// `UserKnownHostsFile`; absent: ssh's own. Host keys are always checked strictly.
    #[serde(default)]
    pub known_hosts: Option<PathBuf>,
    /// The Codex executable on the remote host.
    #[serde(default = "remote_codex")]
    pub codex: String,
    /// `CODEX_HOME` of the remote Codex; absent: the remote user's default.
    #[serde(default)]
    pub codex_home: Option<String>,
    /// The remote worker's working directory (`codex exec -C`); absent: the remote home.
    #[serde(default)]
    pub workdir: Option<String>,
}

fn remote_codex() -> String {
    "codex".into()
}

/// Which base instructions a worker's Codex runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Instructions {
    /// Codex's own base instructions (about 3,950 tokens on every request).
    Codex,
    /// The compact team-worker instructions shipped with codex-teams
    /// (`src/engine/runner/worker-instructions.md`), given as `model_instructions_file`.
    Compact,
}

/// What a worker's Codex loads besides the team tools: every part is sent on every request
/// the worker makes, so what a worker cannot use is pure cost. Each key left out keeps
/// Codex's default, so a profile without this section runs workers exactly as Codex would.
/// Sub-agents (`multi_agent`) are always off for workers: a worker is one of the team's six.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerCodex {
    /// `codex` (Codex's base instructions) or `compact` (the shipped worker instructions).
    #[serde(default = "codex_instructions")]
    pub instructions: Instructions,
    /// List the installed skills (Codex's `<skills_instructions>`) to workers.
    #[serde(default = "yes")]
    pub skills: bool,
    /// Codex's goal tools (`get_goal`, `create_goal`, `update_goal`).
    #[serde(default = "yes")]
    pub goals: bool,
    /// Codex's `request_user_input` tool (an exec worker has no user to ask).
    #[serde(default = "yes")]
    pub request_user_input: bool,
    /// Codex's `<environment_context>` message (cwd, shell, date, timezone, the sandbox's
    /// filesystem entries).
    #[serde(default = "yes")]
    pub environment_context: bool,
    /// Codex's `<permissions instructions>` message (sandbox mode, approval policy, writable
    /// roots).
    #[serde(default = "yes")]
    pub permissions: bool,
    /// Worker roles that get Codex's `web_search` tool.
    #[serde(default = "all_worker_roles")]
    pub web_search: Vec<Role>,
    /// Worker roles that get Codex's `view_image` tool.
    #[serde(default = "all_worker_roles")]
    pub view_image: Vec<Role>,
}

fn codex_instructions() -> Instructions {
    Instructions::Codex
}

fn yes() -> bool {
    true
}

fn all_worker_roles() -> Vec<Role> {
    WORKER_ROLES.to_vec()
}

impl Default for WorkerCodex {
    /// Codex's own defaults: nothing removed.
    fn default() -> WorkerCodex {
        WorkerCodex {
            instructions: Instructions::Codex,
            skills: true,
            goals: true,
            request_user_input: true,
            environment_context: true,
            permissions: true,
            web_search: all_worker_roles(),
            view_image: all_worker_roles(),
        }
    }
}

impl Profile {
    /// Parses and validates profile YAML; `origin` names the file in errors.
    pub fn parse(origin: &str, yaml: &str) -> Result<Profile> {
        let profile: Profile =
            serde_saphyr::from_str(yaml).map_err(|e| parse_error(origin, yaml, &e.to_string()))?;
        profile.validate(origin, yaml)?;
        Ok(profile)
    }

    /// A shipped profile by name.
    pub fn builtin(name: &str) -> Result<Profile> {
        let (_, yaml) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| unknown_profile(name, &[]))?;
        Profile::parse(&format!("<builtin>/{name}.team.yaml"), yaml)
    }

    /// Loads `name` following the lookup order: a repository's `.codex-teams/profiles/`,
    /// then `<home>/profiles/`, then the shipped profiles.
    pub fn load(name: &str, dirs: &[PathBuf]) -> Result<Profile> {
        validate_name(name)?;
        for dir in dirs {
            let Some(path) = PROFILE_EXTENSIONS
                .iter()
                .map(|ext| dir.join(format!("{name}{ext}")))
                .find(|p| p.is_file())
            else {
                continue;
            };
            {
                let profile = Profile::load_file(&path)?;
                if profile.name != name {
                    return Err(EngineError::Config(format!(
                        "{}: `name` is `{}` but the file is named `{name}.team.yaml`; make them match",
                        path.display(),
                        profile.name
                    )));
                }
                return Ok(profile);
            }
        }
        if BUILTIN.iter().any(|(n, _)| *n == name) {
            return Profile::builtin(name);
        }
        Err(unknown_profile(name, dirs))
    }

    pub fn load_file(path: &Path) -> Result<Profile> {
        let yaml = std::fs::read_to_string(path).map_err(|e| EngineError::io(path, e))?;
        Profile::parse(&path.display().to_string(), &yaml)
    }

    /// Range and consistency checks serde cannot express. Errors name the file, the line of
    /// the key when it can be found, and the field.
    fn validate(&self, origin: &str, yaml: &str) -> Result<()> {
        let fail = |field: &str, message: String| {
            let key = field.rsplit('.').next().unwrap_or(field);
            let at = line_of_key(yaml, key)
                .map(|(l, c)| format!(":{l}:{c}"))
                .unwrap_or_default();
            Err(EngineError::Config(format!(
                "{origin}{at}: invalid `{field}`: {message}"
            )))
        };
        if self.max_threads == 0 || self.max_threads > HARD_CAP {
            return fail(
                "max_threads",
                format!(
                    "{} is out of range; a team has 1 to {HARD_CAP} live agents",
                    self.max_threads
                ),
            );
        }
        for (class, b) in [
            ("small", self.fanout.small),
            ("medium", self.fanout.medium),
            ("high", self.fanout.high),
        ] {
            if b.min == 0 || b.min > b.max {
                return fail(
                    &format!("fanout.{class}"),
                    format!("min {} / max {}: need 1 <= min <= max", b.min, b.max),
                );
            }
            if b.max > self.max_threads {
                return fail(
                    &format!("fanout.{class}"),
                    format!("max {} exceeds max_threads {}", b.max, self.max_threads),
                );
            }
        }
        for (field, v) in [
            ("budget.team_tokens", self.budget.team_tokens),
            ("budget.agent_tokens", self.budget.agent_tokens),
            (
                "budget.agent_fixed_cost_tokens",
                self.budget.agent_fixed_cost_tokens,
            ),
            ("messages.body_cap_bytes", self.messages.body_cap_bytes),
            ("messages.max_pull", self.messages.max_pull),
            ("leases.task_lease_ms", self.leases.task_lease_ms),
            ("leases.idle_timeout_ms", self.leases.idle_timeout_ms),
            ("arbitration.timeout_ms", self.arbitration.timeout_ms),
            ("worker.brief_max_bytes", self.worker.brief_max_bytes),
            ("storage.team_bytes", self.storage.team_bytes),
        ] {
            if v <= 0 {
                return fail(field, format!("{v} must be a positive number"));
            }
        }
        if self.messages.max_wait_ms < 0 {
            return fail(
                "messages.max_wait_ms",
                format!("{} must be 0 or more", self.messages.max_wait_ms),
            );
        }
        if !(0..=LEAD_WAIT_CEILING_MS).contains(&self.messages.lead_max_wait_ms) {
            return fail(
                "messages.lead_max_wait_ms",
                format!(
                    "{} is out of range; 0 to {LEAD_WAIT_CEILING_MS} (ten minutes, what install sizes Codex's tool_timeout_sec for)",
                    self.messages.lead_max_wait_ms
                ),
            );
        }
        if !(1..=30_000).contains(&self.messages.inbox_lease_ms) {
            return fail(
                "messages.inbox_lease_ms",
                format!(
                    "{} is out of range; a lease is 1 to 30000 ms so a restarted agent gets its messages back quickly",
                    self.messages.inbox_lease_ms
                ),
            );
        }
        if self.budget.agent_tokens > self.budget.team_tokens {
            return fail(
                "budget.agent_tokens",
                format!(
                    "{} exceeds budget.team_tokens {}",
                    self.budget.agent_tokens, self.budget.team_tokens
                ),
            );
        }
        if !(self.arbitration.quorum > 0.0 && self.arbitration.quorum <= 1.0) {
            return fail(
                "arbitration.quorum",
                format!("{} must be a fraction in (0, 1]", self.arbitration.quorum),
            );
        }
        for (field, roles) in [
            ("worker.codex.web_search", &self.worker.codex.web_search),
            ("worker.codex.view_image", &self.worker.codex.view_image),
        ] {
            if roles.contains(&Role::Lead) {
                let valid: Vec<&str> = WORKER_ROLES.iter().map(|r| r.as_str()).collect();
                return fail(
                    field,
                    format!(
                        "`lead` is not a worker role (the lead's Codex is the user's own); valid: {}",
                        valid.join(", ")
                    ),
                );
            }
        }
        if !RUNNERS.contains(&self.worker.runner.as_str()) {
            return fail(
                "worker.runner",
                format!(
                    "`{}` is not a runner; valid: {}",
                    self.worker.runner,
                    RUNNERS.join(", ")
                ),
            );
        }
        if self.worker.runner == "ssh" && self.worker.ssh.is_none() {
            return fail(
                "worker.runner",
                "`ssh` needs a `worker.ssh` section (host and team server url); see docs/remote.md"
                    .to_string(),
            );
        }
        if let Some(ssh) = &self.worker.ssh
            && let Err((field, message)) = ssh.check()
        {
            return fail(&format!("worker.ssh.{field}"), message);
        }
        if self.worker.model.trim().is_empty() {
            return fail(
                "worker.model",
                "empty; use `inherit` or a model name".to_string(),
            );
        }
        Ok(())
    }
}

impl WorkerSsh {
    /// What serde cannot check: the field at fault and why.
    fn check(&self) -> std::result::Result<(), (&'static str, String)> {
        // A value starting with `-` would be read by ssh as an option.
        let word = |field: &'static str, v: &str| {
            if v.is_empty() || v.starts_with('-') || v.chars().any(char::is_whitespace) {
                Err((
                    field,
                    format!("`{v}` must be one word, not empty and not starting with `-`"),
                ))
            } else {
                Ok(())
            }
        };
        word("host", &self.host)?;
        if let Some(user) = &self.user {
            word("user", user)?;
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://"))
            || self.url.chars().any(|c| c.is_whitespace() || c == '"')
        {
            return Err((
                "url",
                format!(
                    "`{}` is not an http:// or https:// URL (the team server's endpoint, ending in /mcp)",
                    self.url
                ),
            ));
        }
        if self.codex.trim().is_empty() {
            return Err((
                "codex",
                "empty; the Codex executable on the remote host".into(),
            ));
        }
        for (field, path) in [
            ("identity_file", &self.identity_file),
            ("known_hosts", &self.known_hosts),
        ] {
            if let Some(p) = path
                && !p.is_absolute()
            {
                return Err((field, format!("`{}` must be an absolute path", p.display())));
            }
        }
        if self.port == Some(0) {
            return Err(("port", "0 is not a port; 1 to 65535".into()));
        }
        Ok(())
    }
}

fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(EngineError::invalid(
            "profile",
            format!("`{name}` is not a profile name; use letters, digits, `-` or `_`"),
        ))
    }
}

fn unknown_profile(name: &str, dirs: &[PathBuf]) -> EngineError {
    let builtin: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    EngineError::invalid(
        "profile",
        format!(
            "no profile named `{name}`; shipped: {}; searched: [{}]",
            builtin.join(", "),
            searched.join(", ")
        ),
    )
}

/// Turns a serde-saphyr error (`error: line L column C: reason` plus a source snippet)
/// into one line naming the file, line, column and the dotted field at that place.
fn parse_error(origin: &str, yaml: &str, raw: &str) -> EngineError {
    match yaml_error_position(raw) {
        Ok((line, col, reason)) => {
            let field = field_at(yaml, line, col)
                .map(|f| format!(" `{f}`:"))
                .unwrap_or_default();
            EngineError::Config(format!(
                "{origin}:{line}:{col}:{field} {reason}; hint: `codex-teams help profiles` lists every key and its type"
            ))
        }
        Err(located) => EngineError::Config(format!("{origin}: {located}")),
    }
}

/// Where a serde-saphyr error points: its first line reads `error: line L column C:
/// reason` (a source snippet follows). `Err` is that line without `error: ` when it names
/// no position.
pub fn yaml_error_position(raw: &str) -> std::result::Result<(usize, usize, &str), &str> {
    let first = raw.lines().next().unwrap_or(raw).trim();
    let located = first.strip_prefix("error: ").unwrap_or(first);
    located
        .strip_prefix("line ")
        .and_then(|rest| {
            let (line, rest) = rest.split_once(" column ")?;
            let (col, reason) = rest.split_once(": ")?;
            Some((
                line.parse::<usize>().ok()?,
                col.parse::<usize>().ok()?,
                reason,
            ))
        })
        .ok_or(located)
}

/// The dotted path of the mapping key at `line`/`col` (1-based) of `yaml`: block
/// indentation gives the parents; inside a `{ ... }` flow mapping the key is the one under
/// the column, or the nearest one to its left when the column points at a value.
fn field_at(yaml: &str, line: usize, col: usize) -> Option<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let text = *lines.get(line.checked_sub(1)?)?;
    let indent = text.len() - text.trim_start().len();
    let own = text
        .trim_start()
        .split_once(':')
        .map(|(k, _)| k.trim().to_string())?;
    let mut path = vec![own];
    if let Some(open) = text.find('{')
        && col > open + 1
    {
        let at = (col - 1).min(text.len());
        let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let word: String = text[at..].chars().take_while(|c| is_word(*c)).collect();
        let after = text[at + word.len()..].trim_start();
        let key = if !word.is_empty() && after.starts_with(':') {
            Some(word)
        } else {
            text[..at]
                .rsplit([',', '{'])
                .next()
                .and_then(|seg| seg.split_once(':'))
                .map(|(k, _)| k.trim().to_string())
        };
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            path.push(k);
        }
    }
    let mut threshold = indent;
    for prev in lines[..line - 1].iter().rev() {
        let t = prev.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let i = prev.len() - t.len();
        if i < threshold {
            if let Some((k, _)) = t.split_once(':') {
                path.insert(0, k.trim().to_string());
            }
            threshold = i;
            if i == 0 {
                break;
            }
        }
    }
    Some(path.join("."))
}

/// Finds the 1-based line and column of the first `key:` in `yaml`.
fn line_of_key(yaml: &str, key: &str) -> Option<(usize, usize)> {
    yaml.lines().enumerate().find_map(|(i, line)| {
        let col = line.find(&format!("{key}:"))?;
        let before = &line[..col];
        let at_key = before.trim().is_empty()
            || before.trim_end().ends_with('{')
            || before.trim_end().ends_with(',');
        at_key.then_some((i + 1, col + 1))
    })
}

/// One profile a user could select, where it comes from, and whether it loads.
#[derive(Debug)]
pub struct VisibleProfile {
    pub name: String,
    /// The file, or `<builtin>` for a shipped profile.
    pub origin: String,
    /// Another profile of the same name that this one hides.
    pub overrides: Option<String>,
    pub loaded: Result<Profile>,
}

/// A profile file's name ends in one of these; `.team.yaml` wins when both exist.
pub const PROFILE_EXTENSIONS: [&str; 2] = [".team.yaml", ".team.yml"];

/// Every profile visible from `dirs` (most specific first) plus the shipped ones; the first
/// of each name wins, as in [`Profile::load`].
pub fn visible_profiles(dirs: &[PathBuf]) -> Vec<VisibleProfile> {
    let mut out: Vec<VisibleProfile> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let p = p.to_string_lossy();
                PROFILE_EXTENSIONS.iter().any(|ext| p.ends_with(ext))
            })
            .collect();
        files.sort();
        for path in files {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_default();
            let name = PROFILE_EXTENSIONS
                .iter()
                .find_map(|ext| file.strip_suffix(ext))
                .unwrap_or(&file)
                .to_string();
            let origin = path.display().to_string();
            if let Some(winner) = out.iter_mut().find(|p| p.name == name) {
                // A less specific directory: the earlier one hides it.
                if winner.overrides.is_none() {
                    winner.overrides = Some(origin);
                }
                continue;
            }
            let loaded = Profile::load_file(&path).and_then(|p| {
                if p.name == name {
                    Ok(p)
                } else {
                    Err(EngineError::Config(format!(
                        "{origin}: `name` is `{}` but the file is named `{name}.team.yaml`; make them match",
                        p.name
                    )))
                }
            });
            out.push(VisibleProfile {
                name,
                origin,
                overrides: None,
                loaded,
            });
        }
    }
    for (name, _) in BUILTIN {
        if let Some(winner) = out.iter_mut().find(|p| p.name == *name) {
            winner.overrides = Some(format!("<builtin>/{name}.team.yaml"));
            continue;
        }
        out.push(VisibleProfile {
            name: name.to_string(),
            origin: format!("<builtin>/{name}.team.yaml"),
            overrides: None,
            loaded: Profile::builtin(name),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_load() {
        for (name, _) in BUILTIN {
            let p = Profile::builtin(name);
            assert!(p.is_ok(), "{name}: {:?}", p.err());
        }
    }

    #[test]
    fn parse_errors_name_file_line_and_dotted_field() {
        let cases = [
            (
                "  team_tokens: 2000000",
                "  team_tokens: lots",
                ":12:16: `budget.team_tokens`:",
            ),
            (
                "  small: { min: 1, max: 2 }",
                "  small: { min: 1, max: 2, maxx: 3 }",
                ":8:28: `fanout.small.maxx`:",
            ),
            (
                "  small: { min: 1, max: 2 }",
                "  small: { min: 1, max: two }",
                ":8:25: `fanout.small.max`:",
            ),
            ("early_stop:", "early_stopp:", ":30:1: `early_stopp`:"),
        ];
        for (from, to, want) in cases {
            let yaml = BUILTIN[0].1.replace(from, to);
            let err = Profile::parse("p.team.yaml", &yaml)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(&format!("p.team.yaml{want}")), "{to}: {err}");
        }
    }

    #[test]
    fn worker_codex_is_optional_and_defaults_to_codex_itself() {
        let yaml = BUILTIN[0].1;
        let cut = yaml.find("  # What each worker's Codex loads").unwrap();
        let p = Profile::parse("p.team.yaml", &yaml[..cut]).unwrap();
        assert_eq!(p.worker.codex, WorkerCodex::default());
    }

    #[test]
    fn worker_codex_errors_name_file_line_and_field() {
        let cases = [
            (
                "instructions: codex",
                "instructions: short",
                "`worker.codex.instructions`",
            ),
            (
                "web_search: [researcher]",
                "web_search: [lead]",
                "`worker.codex.web_search`",
            ),
            (
                "web_search: [researcher]",
                "web_search: [hacker]",
                "`worker.codex.web_search",
            ),
            ("goals: false", "goals: nope", "`worker.codex.goals`"),
            (
                "    goals: false",
                "    goalz: false",
                "`worker.codex.goalz`",
            ),
        ];
        for (from, to, want) in cases {
            let yaml = BUILTIN[0].1.replace(from, to);
            let err = Profile::parse("p.team.yaml", &yaml)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            let line = yaml.lines().position(|l| l.contains(to.trim())).unwrap() + 1;
            assert!(err.contains(&format!("p.team.yaml:{line}:")), "{to}: {err}");
            assert!(err.contains(want), "{to}: {err}");
        }
    }

    #[test]
    fn worker_ssh_is_parsed_and_its_errors_name_file_line_and_field() {
        let ssh = "  ssh:\n    host: build-box\n    url: https://teams.example/mcp\n    port: 2222\n    known_hosts: /k/known\n";
        let with = |ssh: &str| {
            let yaml = BUILTIN[0].1;
            let cut = yaml.find("  # What each worker's Codex loads").unwrap();
            format!("{}{ssh}{}", &yaml[..cut], &yaml[cut..])
        };
        let p = Profile::parse("p.team.yaml", &with(ssh)).unwrap();
        let got = p.worker.ssh.unwrap();
        assert_eq!((got.host.as_str(), got.port), ("build-box", Some(2222)));
        assert_eq!(got.codex, "codex");
        assert_eq!(Profile::builtin("default").unwrap().worker.ssh, None);
        for (from, to, want) in [
            (
                "host: build-box",
                "host: -oProxyCommand=x",
                "`worker.ssh.host`",
            ),
            (
                "url: https://teams.example/mcp",
                "url: teams.example",
                "`worker.ssh.url`",
            ),
            (
                "known_hosts: /k/known",
                "known_hosts: k",
                "`worker.ssh.known_hosts`",
            ),
            ("port: 2222", "port: 0", "`worker.ssh.port`"),
            ("port: 2222", "prot: 2222", "`worker.ssh.prot`"),
        ] {
            let yaml = with(&ssh.replace(from, to));
            let err = Profile::parse("p.team.yaml", &yaml)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            let line = yaml.lines().position(|l| l.contains(to)).unwrap() + 1;
            assert!(err.contains(&format!("p.team.yaml:{line}:")), "{to}: {err}");
            assert!(err.contains(want), "{to}: {err}");
        }
    }

    #[test]
    fn worker_runner_defaults_to_codex_exec_and_its_errors_name_file_line_and_fields() {
        let with = |runner: &str, ssh: &str| {
            let yaml = BUILTIN[0].1;
            let cut = yaml.find("  # What each worker's Codex loads").unwrap();
            format!("{}{runner}{ssh}{}", &yaml[..cut], &yaml[cut..])
        };
        assert_eq!(
            Profile::builtin("default").unwrap().worker.runner,
            "codex-exec"
        );
        let ssh = "  ssh:\n    host: build-box\n    url: https://teams.example/mcp\n";
        let p = Profile::parse("p.team.yaml", &with("  runner: ssh\n", ssh)).unwrap();
        assert_eq!(p.worker.runner, "ssh");
        for (runner, ssh, want) in [
            (
                "  runner: shh\n",
                ssh,
                "invalid `worker.runner`: `shh` is not a runner; valid: codex-exec, external, sim, ssh",
            ),
            ("  runner: ssh\n", "", "`worker.ssh`"),
        ] {
            let yaml = with(runner, ssh);
            let err = Profile::parse("p.team.yaml", &yaml)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            let line = yaml.lines().position(|l| l == runner.trim_end()).unwrap() + 1;
            assert!(err.contains(&format!("p.team.yaml:{line}:")), "{err}");
            assert!(
                err.contains("`worker.runner`") && err.contains(want),
                "{err}"
            );
        }
    }

    #[test]
    fn max_threads_above_six_is_refused_with_file_line_and_field() {
        let yaml = BUILTIN[0].1.replace("max_threads: 6", "max_threads: 7");
        let err = Profile::parse("x.team.yaml", &yaml)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("x.team.yaml:"), "{err}");
        assert!(err.contains("`max_threads`"), "{err}");
        assert!(err.contains("1 to 6"), "{err}");
    }
}
