//! The fixed eval set of the benchmark that compares a naive fixed fan-out of 6 workers
//! with the adaptive team: loading `benchmarks/eval/<task>/task.yaml`, turning a task's
//! fixture repository into a git workspace, and judging a finished workspace with the
//! task's checker.
//!
//! It runs no team and counts no tokens; the benchmark arms do that and call [`EvalTask::check`]
//! for the quality verdict. The layout and the rules every task follows are in
//! `benchmarks/eval/README.md`.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use crate::bench::mock::script::Script;
use crate::engine::fanout::{self, SizeClass};
use crate::engine::policy::{self, Profile};

/// The file that describes a task, in its directory.
pub const TASK_FILE: &str = "task.yaml";
/// The fixture repository a run starts from, in the task's directory.
pub const REPO_DIR: &str = "repo";
/// How long a checker may run when its task sets no `timeout_secs`.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(120);
/// The most of a checker's output kept in a [`CheckOutcome`] (its tail: errors come last).
pub const OUTPUT_CAP_BYTES: usize = 64 * 1024;

/// One task of the eval set.
#[derive(Debug, Clone)]
pub struct EvalTask {
    /// The directory name, also the `name` in task.yaml.
    pub name: String,
    pub size_class: SizeClass,
    /// The task as a user types it after `use agents team:`.
    pub statement: String,
    /// A shell command (run with `bash -c` in the finished workspace); exit 0 = quality pass.
    pub checker: String,
    pub check_timeout: Duration,
    /// The mock's script for the offline arms (task.yaml's `plan:`); each subtask's `files`
    /// are its correct work.
    pub script: Script,
    /// The task's directory (holding task.yaml and repo/).
    pub dir: PathBuf,
}

/// The verdict of a checker on one workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckOutcome {
    /// Exit status 0 within the timeout.
    pub passed: bool,
    pub timed_out: bool,
    /// Standard output and error as they interleaved, cut to the last [`OUTPUT_CAP_BYTES`].
    pub output: String,
}

/// task.yaml as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFile {
    name: String,
    size_class: SizeClass,
    statement: String,
    checker: String,
    #[serde(default)]
    timeout_secs: Option<u64>,
    plan: Script,
}

/// Every task under `dir` (each subdirectory holding a task.yaml), sorted by name.
/// A subdirectory without task.yaml is an error, so a misnamed file is not silently skipped.
pub fn load(dir: &Path) -> Result<Vec<EvalTask>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the eval set {}", dir.display()))?;
    let mut tasks = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading the eval set {}", dir.display()))?
            .path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_none_or(|n| n.starts_with('.'));
        if path.is_dir() && !hidden {
            tasks.push(load_task(&path)?);
        }
    }
    if tasks.is_empty() {
        bail!(
            "{}: no tasks; each task is a directory with {TASK_FILE} and {REPO_DIR}/ (see benchmarks/eval/README.md)",
            dir.display()
        );
    }
    tasks.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tasks)
}

/// One task from its directory.
pub fn load_task(dir: &Path) -> Result<EvalTask> {
    let file = dir.join(TASK_FILE);
    let origin = file.display().to_string();
    let yaml = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "reading {origin}; hint: every directory of the eval set is a task with a {TASK_FILE}"
        )
    })?;
    let raw: TaskFile =
        serde_saphyr::from_str(&yaml).map_err(|e| yaml_error(&origin, &yaml, &e.to_string()))?;
    let fail = |field: &str, message: String| -> anyhow::Error {
        let at = line_of_key(&yaml, field)
            .map(|l| format!(":{l}"))
            .unwrap_or_default();
        anyhow!("{origin}{at}: `{field}`: {message}")
    };
    let dir_name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if raw.name != dir_name {
        return Err(fail(
            "name",
            format!("`{}` must be the directory's name, `{dir_name}`", raw.name),
        ));
    }
    if raw.statement.trim().is_empty() {
        return Err(fail("statement", "is empty".into()));
    }
    if raw.checker.trim().is_empty() {
        return Err(fail("checker", "is empty".into()));
    }
    let check_timeout = match raw.timeout_secs {
        None => DEFAULT_CHECK_TIMEOUT,
        Some(s @ 1..=3600) => Duration::from_secs(s),
        Some(s) => return Err(fail("timeout_secs", format!("{s} is not within 1..=3600"))),
    };
    raw.plan
        .validate()
        .map_err(|e| fail("plan", format!("{e:#}")))?;
    check_script_shape(&raw.plan, raw.size_class).map_err(|m| fail("plan", m))?;
    let repo = dir.join(REPO_DIR);
    if !repo.is_dir() {
        bail!(
            "{}: the fixture repository is missing; a task's starting files live in {REPO_DIR}/ beside {TASK_FILE}",
            repo.display()
        );
    }
    Ok(EvalTask {
        name: raw.name,
        size_class: raw.size_class,
        statement: raw.statement,
        checker: raw.checker,
        check_timeout,
        script: raw.plan,
        dir: dir.to_path_buf(),
    })
}

/// The rules that make the checker a real gate and the class honest: the declared class is
/// the one the planner gives the plan (by parallel width: 1-2 small, 3-4 medium, 5+ high),
/// every subtask writes files, and no file is written by two subtasks (so dropping one
/// loses its work).
fn check_script_shape(plan: &Script, class: SizeClass) -> std::result::Result<(), String> {
    let width = fanout::parallel_width(&planner_tasks(plan));
    let planned = fanout::class_of_width(width);
    if planned != class {
        return Err(format!(
            "`size_class` is {} but the plan's parallel width is {width} (most subtasks on one dependency level), which the planner rates {}; the class follows the width: 1-2 small, 3-4 medium, 5 or more high",
            class_name(class),
            class_name(planned)
        ));
    }
    let mut writers: BTreeMap<&str, &str> = BTreeMap::new();
    for (i, t) in plan.tasks.iter().enumerate() {
        if t.files.is_empty() {
            return Err(format!(
                "`tasks[{i}]` (key `{}`) writes no `files`; every subtask writes the files of its correct work",
                t.key
            ));
        }
        for path in t.files.keys() {
            if let Some(other) = writers.insert(path, &t.key) {
                return Err(format!(
                    "`tasks[{i}]` (key `{}`) writes `{path}`, which `{other}` writes too; give each file one subtask",
                    t.key
                ));
            }
        }
    }
    Ok(())
}

/// A plan's subtasks as the planner sees a fresh board: every one unfinished, the ones
/// without dependencies ready.
pub fn planner_tasks(plan: &Script) -> Vec<fanout::PlanTask> {
    plan.tasks
        .iter()
        .map(|t| fanout::PlanTask {
            id: t.key.clone(),
            size: t.size.clone(),
            deps: t.deps.clone(),
            ready: t.deps.is_empty(),
            claimed: false,
        })
        .collect()
}

/// The planner's first recommendation for `plan` under `profile`, on a fresh board with
/// the profile's whole budget and no worker yet: what the lead is told to start.
pub fn planner_first(plan: &Script, profile: &Profile) -> fanout::Recommendation {
    fanout::plan(&fanout::PlanInput::new(
        planner_tasks(plan),
        0,
        0,
        profile.budget.team_tokens,
        profile,
    ))
}

/// `small`, `medium` or `high`, as task.yaml spells it.
pub fn class_name(class: SizeClass) -> &'static str {
    match class {
        SizeClass::Small => "small",
        SizeClass::Medium => "medium",
        SizeClass::High => "high",
    }
}

impl EvalTask {
    /// The fixture repository.
    pub fn repo(&self) -> PathBuf {
        self.dir.join(REPO_DIR)
    }

    /// Copies repo/ into `dest` (absent or empty) and commits it as the root commit of a new
    /// git repository, the state a run starts from. The commit is reproducible: fixed author,
    /// dates and branch, and no user or system git configuration.
    pub fn prepare_workspace(&self, dest: &Path) -> Result<()> {
        if dest.exists() {
            let mut entries = std::fs::read_dir(dest)
                .with_context(|| format!("reading workspace {}", dest.display()))?;
            if entries.next().is_some() {
                bail!(
                    "workspace {} is not empty; give an absent or empty directory",
                    dest.display()
                );
            }
        }
        copy_tree(&self.repo(), dest)?;
        git(dest, &["init", "--quiet", "--initial-branch=main"])?;
        git(dest, &["add", "--all"])?;
        git(
            dest,
            &[
                "commit",
                "--quiet",
                "--no-verify",
                "-m",
                &format!("eval fixture: {}", self.name),
            ],
        )?;
        Ok(())
    }

    /// Writes the files of subtask `key` into `workspace`, as the mock worker does for it.
    pub fn write_subtask_files(&self, workspace: &Path, key: &str) -> Result<()> {
        let task = self
            .script
            .task_by_key(key)
            .ok_or_else(|| anyhow!("{}: no subtask with key `{key}`", self.name))?;
        for (rel, content) in &task.files {
            let path = workspace.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(&path, content)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    }

    /// Runs the checker with `bash -c` in `workspace`, in its own process group, killed with
    /// the whole group when it outlives the task's timeout. Err only when it cannot start.
    pub fn check(&self, workspace: &Path) -> Result<CheckOutcome> {
        run_checker(&self.checker, workspace, self.check_timeout)
            .with_context(|| format!("running the checker of {}", self.name))
    }
}

fn run_checker(checker: &str, workspace: &Path, timeout: Duration) -> Result<CheckOutcome> {
    let (mut reader, writer) = std::io::pipe().context("creating the output pipe")?;
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(checker)
        .current_dir(workspace)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(writer.try_clone().context("duplicating the output pipe")?)
        .stderr(writer)
        .process_group(0);
    let mut child = command.spawn().context("starting bash")?;
    // The command holds the pipe's write ends; the reader sees EOF only once they are gone.
    drop(command);
    let pgid = child.id();
    let started = Instant::now();

    let (out_tx, out_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = reader.read_to_end(&mut buf);
        let _ = out_tx.send(buf);
    });
    let (status_tx, status_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = status_tx.send(child.wait());
    });

    let mut timed_out = false;
    let status = match status_rx.recv_timeout(timeout) {
        Ok(status) => status,
        Err(RecvTimeoutError::Timeout) => {
            timed_out = true;
            kill_group(pgid);
            status_rx
                .recv()
                .map_err(|_| anyhow!("lost the checker's exit status"))?
        }
        Err(RecvTimeoutError::Disconnected) => bail!("lost the checker's exit status"),
    }
    .context("waiting for the checker")?;

    // Background processes of the checker may still hold the pipe: they get what is left of
    // the timeout, then the group is killed.
    let left = timeout
        .saturating_sub(started.elapsed())
        .max(Duration::from_secs(1));
    let mut output = match out_rx.recv_timeout(left) {
        Ok(buf) => buf,
        Err(_) => {
            kill_group(pgid);
            out_rx
                .recv_timeout(Duration::from_secs(1))
                .unwrap_or_else(|_| {
                    b"(output lost: something outside the checker holds its pipe)\n".to_vec()
                })
        }
    };
    if output.len() > OUTPUT_CAP_BYTES {
        output.drain(..output.len() - OUTPUT_CAP_BYTES);
    }
    let mut output = String::from_utf8_lossy(&output).into_owned();
    if timed_out {
        output.push_str(&format!(
            "\n(checker killed after {} s)\n",
            timeout.as_secs()
        ));
    }
    Ok(CheckOutcome {
        passed: status.success() && !timed_out,
        timed_out,
        output,
    })
}

/// SIGKILL to the process group this module created for its checker.
fn kill_group(pgid: u32) {
    crate::platform::signal_group(pgid, libc::SIGKILL);
}

/// Copies a directory tree (files and directories; caches such as __pycache__ skipped).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    let entries = std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", from.display()))?;
        let name = entry.file_name();
        if name == "__pycache__" || name == ".git" {
            continue;
        }
        let source = entry.path();
        let target = to.join(&name);
        let kind = entry
            .file_type()
            .with_context(|| format!("reading {}", source.display()))?;
        if kind.is_dir() {
            copy_tree(&source, &target)?;
        } else if kind.is_file() {
            std::fs::copy(&source, &target)
                .with_context(|| format!("copying {} to {}", source.display(), target.display()))?;
        } else {
            bail!(
                "{}: only files and directories belong in a fixture repository",
                source.display()
            );
        }
    }
    Ok(())
}

/// Runs git in `dir`, isolated from the user's and the system's configuration.
fn git(dir: &Path, args: &[&str]) -> Result<()> {
    const DATE: &str = "2000-01-01T00:00:00Z";
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=codex-teams eval",
            "-c",
            "user.email=eval@codex-teams.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_DATE", DATE)
        .env("GIT_COMMITTER_DATE", DATE)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running git {}; hint: is git installed?", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "git {} in {} failed: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// A serde-saphyr error as `file:line:col: `field`: reason`. Its first line reads
/// `error: line L column C: reason`; the field is found from the YAML's indentation.
fn yaml_error(origin: &str, yaml: &str, raw: &str) -> anyhow::Error {
    let (line, col, reason) = match policy::yaml_error_position(raw) {
        Ok(position) => position,
        Err(located) => return anyhow!("{origin}: {located}"),
    };
    let mut field = field_at(yaml, line);
    if reason.starts_with("missing field") {
        // The position is the mapping that lacks the field: name that mapping instead.
        field = field.and_then(|f| f.rfind('.').map(|dot| f[..dot].to_string()));
    }
    let field = field.map(|f| format!(" `{f}`:")).unwrap_or_default();
    anyhow!(
        "{origin}:{line}:{col}:{field} {reason}; hint: see benchmarks/eval/README.md for the keys of {TASK_FILE}"
    )
}

/// One line of block YAML: its sequence dashes and its mapping key, with their columns.
struct YamlLine {
    indent: usize,
    dashes: Vec<usize>,
    key: Option<(String, usize)>,
}

fn yaml_line(text: &str) -> Option<YamlLine> {
    let indent = text.len() - text.trim_start_matches(' ').len();
    let mut rest = &text[indent..];
    if rest.is_empty() || rest.starts_with('#') {
        return None;
    }
    let mut col = indent;
    let mut dashes = Vec::new();
    while rest == "-" || rest.starts_with("- ") {
        dashes.push(col);
        let body = rest[1..].trim_start_matches(' ');
        col += rest.len() - body.len();
        rest = body;
    }
    let key = rest
        .split_once(':')
        .map(|(k, _)| k.trim())
        .filter(|k| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        })
        .map(|k| (k.to_string(), col));
    Some(YamlLine {
        indent,
        dashes,
        key,
    })
}

/// The position of the sequence item whose dash is at `col` on line `at`.
fn item_index(lines: &[&str], at: usize, col: usize) -> usize {
    let mut index = 0;
    for text in lines[..at].iter().rev() {
        let Some(l) = yaml_line(text) else { continue };
        if l.indent < col || (l.indent == col && l.dashes.first() != Some(&col)) {
            break;
        }
        if l.indent == col {
            index += 1;
        }
    }
    index
}

/// The dotted path (`plan.tasks[2].deps`) of the key on 1-based `line`, from indentation.
fn field_at(yaml: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let at = line.checked_sub(1)?;
    let own = yaml_line(lines.get(at)?)?;
    let (key, mut col) = own.key?;
    let mut parts = vec![key];
    let mut after_item = false;
    for &d in own.dashes.iter().rev() {
        parts.push(format!("[{}]", item_index(&lines, at, d)));
        col = d;
        after_item = true;
    }
    for j in (0..at).rev() {
        let Some(l) = yaml_line(lines[j]) else {
            continue;
        };
        // A block sequence may sit at its parent key's own indentation.
        let parent = l.indent < col || (after_item && l.indent == col && l.dashes.is_empty());
        if !parent {
            continue;
        }
        if let Some((k, kc)) = l.key
            && (kc < col || after_item)
        {
            parts.push(k);
            col = kc;
            after_item = false;
        }
        for &d in l.dashes.iter().rev() {
            if d < col {
                parts.push(format!("[{}]", item_index(&lines, j, d)));
                col = d;
                after_item = true;
            }
        }
        if col == 0 && !after_item {
            break;
        }
    }
    parts.reverse();
    let mut path = String::new();
    for p in parts {
        if !path.is_empty() && !p.starts_with('[') {
            path.push('.');
        }
        path.push_str(&p);
    }
    Some(path)
}

/// The 1-based line of a top-level `key:` in `yaml`.
fn line_of_key(yaml: &str, key: &str) -> Option<usize> {
    let prefix = format!("{key}:");
    yaml.lines()
        .position(|l| l.starts_with(&prefix))
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("benchmarks/eval")
    }

    fn eval_set() -> Vec<EvalTask> {
        load(&eval_dir()).unwrap_or_else(|e| panic!("{e:#}"))
    }

    /// A fresh workspace of `task` with the files of the subtasks `keep` accepts.
    fn workspace(task: &EvalTask, keep: impl Fn(&str) -> bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        task.prepare_workspace(dir.path())
            .unwrap_or_else(|e| panic!("{}: {e:#}", task.name));
        for t in task.script.tasks.iter().filter(|t| keep(&t.key)) {
            task.write_subtask_files(dir.path(), &t.key)
                .unwrap_or_else(|e| panic!("{}: {e:#}", task.name));
        }
        dir
    }

    fn check(task: &EvalTask, ws: &tempfile::TempDir) -> CheckOutcome {
        task.check(ws.path())
            .unwrap_or_else(|e| panic!("{}: {e:#}", task.name))
    }

    #[test]
    fn the_eval_set_has_at_least_three_tasks_of_each_class() {
        let tasks = eval_set();
        assert!(tasks.len() >= 12, "{} tasks", tasks.len());
        for class in [SizeClass::Small, SizeClass::Medium, SizeClass::High] {
            let n = tasks.iter().filter(|t| t.size_class == class).count();
            assert!(n >= 3, "{} {} tasks", n, class_name(class));
        }
        for t in &tasks {
            assert!(t.repo().is_dir(), "{}", t.name);
            assert!(!t.statement.trim().is_empty(), "{}", t.name);
        }
    }

    #[test]
    fn declared_class_is_the_planners_class_and_the_team_fits_its_band() {
        for name in ["default", "deep", "fast"] {
            let profile = Profile::builtin(name).unwrap_or_else(|e| panic!("{e}"));
            for task in eval_set() {
                let first = planner_first(&task.script, &profile);
                assert_eq!(
                    first.class, task.size_class,
                    "{} under {name}: {:?}",
                    task.name, first.reasons
                );
                let band = match task.size_class {
                    SizeClass::Small => profile.fanout.small,
                    SizeClass::Medium => profile.fanout.medium,
                    SizeClass::High => profile.fanout.high,
                };
                assert!(
                    (band.min..=band.max).contains(&first.recommended) && first.recommended <= 6,
                    "{} under {name}: {} outside {}-{}",
                    task.name,
                    first.recommended,
                    band.min,
                    band.max
                );
            }
        }
    }

    #[test]
    fn every_task_passes_with_all_subtasks_done_and_fails_when_any_is_missing() {
        // Each case runs in its own thread: checkers are processes, mostly waiting on Python.
        std::thread::scope(|scope| {
            for task in eval_set() {
                scope.spawn(move || {
                    let all = check(&task, &workspace(&task, |_| true));
                    assert!(
                        all.passed,
                        "{}: fails with every subtask done:\n{}",
                        task.name, all.output
                    );
                    let none = check(&task, &workspace(&task, |_| false));
                    assert!(!none.passed, "{}: passes with no subtask done", task.name);
                    for dropped in &task.script.tasks {
                        let out = check(&task, &workspace(&task, |k| k != dropped.key));
                        assert!(
                            !out.passed,
                            "{}: passes without subtask `{}`:\n{}",
                            task.name, dropped.key, out.output
                        );
                    }
                });
            }
        });
    }

    #[test]
    fn the_workspace_is_the_fixture_committed_as_the_root_commit() {
        let tasks = eval_set();
        let task = &tasks[0];
        let ws = workspace(task, |_| false);
        let status = Command::new("git")
            .args(["status", "--porcelain"])
            .current_dir(ws.path())
            .output()
            .unwrap_or_else(|e| panic!("git: {e}"));
        assert!(status.status.success());
        assert!(status.stdout.is_empty(), "uncommitted fixture files");
        let log = Command::new("git")
            .args(["rev-list", "--count", "HEAD"])
            .current_dir(ws.path())
            .output()
            .unwrap_or_else(|e| panic!("git: {e}"));
        assert_eq!(String::from_utf8_lossy(&log.stdout).trim(), "1");
        let again = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let err = task
            .prepare_workspace(ws.path())
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("not empty")));
        task.prepare_workspace(again.path())
            .unwrap_or_else(|e| panic!("{e:#}"));
        let head = |p: &Path| {
            Command::new("git")
                .args(["rev-parse", "HEAD"])
                .current_dir(p)
                .output()
                .map(|o| o.stdout)
                .unwrap_or_default()
        };
        assert_eq!(
            head(ws.path()),
            head(again.path()),
            "commit is reproducible"
        );
    }

    #[test]
    fn a_checker_that_outlives_its_timeout_is_killed_with_its_children() {
        let ws = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let started = Instant::now();
        let out = run_checker(
            "echo started; sleep 30 & sleep 30",
            ws.path(),
            Duration::from_secs(1),
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        assert!(out.timed_out && !out.passed, "{out:?}");
        assert!(out.output.starts_with("started\n"), "{}", out.output);
        assert!(started.elapsed() < Duration::from_secs(10));
        let fail = run_checker("echo nope >&2; exit 3", ws.path(), Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!((fail.passed, fail.timed_out), (false, false));
        assert_eq!(fail.output, "nope\n");
    }

    /// A copy of one real task whose task.yaml has `from` replaced by `to`.
    fn broken_task(from: &str, to: &str) -> String {
        let source = eval_dir().join("fix-paginate-last-page");
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let dir = root.path().join("fix-paginate-last-page");
        copy_tree(&source, &dir).unwrap_or_else(|e| panic!("{e:#}"));
        let yaml = std::fs::read_to_string(dir.join(TASK_FILE)).unwrap_or_default();
        assert!(yaml.contains(from), "fixture lacks {from:?}");
        std::fs::write(dir.join(TASK_FILE), yaml.replacen(from, to, 1))
            .unwrap_or_else(|e| panic!("{e}"));
        let err = load(root.path())
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_else(|| panic!("{to:?} was accepted"));
        err.replace(&root.path().display().to_string(), "<root>")
    }

    #[test]
    fn a_malformed_task_yaml_names_the_file_and_the_field() {
        let file = "<root>/fix-paginate-last-page/task.yaml:";
        let cases = [
            ("size_class: small", "size_class: huge", "`size_class`:"),
            ("checker: |", "checkr: |", "`checkr`:"),
            (
                "      deps: [fix]",
                "      dpes: [fix]",
                "`plan.tasks[1].dpes`:",
            ),
            (
                "      deps: [fix]",
                "      deps: 3",
                "`plan.tasks[1].deps`:",
            ),
            (
                "name: fix-paginate-last-page",
                "name: other",
                "`name`: `other` must be the directory's name",
            ),
            (
                "      deps: [fix]",
                "      deps: [fx]",
                "`plan`: tasks[1] (key `test`): dep `fx`",
            ),
            (
                "  tasks:\n",
                "  timeout_ms: 3\n  tasks:\n",
                "`plan.timeout_ms`:",
            ),
        ];
        for (from, to, want) in cases {
            let err = broken_task(from, to);
            assert!(err.contains(file), "{to:?}: {err}");
            assert!(err.contains(want), "{to:?}: want {want:?} in {err}");
        }
        let missing = broken_task("size_class: small\n", "");
        assert!(missing.contains(file), "{missing}");
        assert!(missing.contains("missing field `size_class`"), "{missing}");
    }

    #[test]
    fn plans_that_cannot_gate_quality_are_refused() {
        let err = broken_task("        tests/test_last_page.py: |", "        pager.py: |");
        assert!(
            err.contains("writes `pager.py`, which `fix` writes too"),
            "{err}"
        );
        let err = broken_task("size_class: small", "size_class: high");
        assert!(
            err.contains("`size_class` is high but the plan's parallel width is 1"),
            "{err}"
        );
    }

    #[test]
    fn field_paths_follow_indentation_and_sequence_items() {
        let yaml = "a: 1\nplan:\n  tasks:\n    - key: x\n      deps: []\n    - key: y\n      files:\n        f.py: |\n          x: 1\n      deps: 3\nlist:\n- k: 1\n- k: 2\n  v: 3\n";
        let at = |line| field_at(yaml, line);
        assert_eq!(at(1).as_deref(), Some("a"));
        assert_eq!(at(4).as_deref(), Some("plan.tasks[0].key"));
        assert_eq!(at(6).as_deref(), Some("plan.tasks[1].key"));
        assert_eq!(at(8).as_deref(), Some("plan.tasks[1].files.f.py"));
        assert_eq!(at(10).as_deref(), Some("plan.tasks[1].deps"));
        assert_eq!(at(14).as_deref(), Some("list[1].v"));
    }
}
