//! What `check-config` inspects on the Codex side: the server entry and its binary, the tool
//! approval mode, the skill, the hook and its trust, and the Codex release itself. Each
//! finding says what is wrong and the one thing to do about it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde::Serialize;
use toml_edit::{DocumentMut, Item, TableLike};

use super::{
    CODEX_BIN_ENV, CODEX_INSTALL_HINT, CONFIG_FILE, HOOKS_FILE, SERVER_NAME, TESTED_CODEX_VERSION,
    canonicalize_lenient, config, hooks, read_optional, skill,
};
use crate::engine::runner::codex_exec::{
    CodexSource, RECORDED_CODEX_FILE, recorded_codex, resolve_codex_from,
};

const FIX_INSTALL: &str = "run `codex-teams install` (or scripts/install.sh)";

/// One check: OK (possibly with a warning: set on an OK that deserves attention, such as
/// an untested Codex release) or FAIL with a fix.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

impl Finding {
    pub fn ok(name: &str, detail: impl Into<String>) -> Finding {
        Finding {
            name: name.to_string(),
            ok: true,
            detail: detail.into(),
            fix: None,
            warning: None,
        }
    }

    pub fn fail(name: &str, detail: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            name: name.to_string(),
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
            warning: None,
        }
    }
}

/// Checks what `install` put into `codex_home`.
pub fn inspect(codex_home: &Path) -> Vec<Finding> {
    let config_path = codex_home.join(CONFIG_FILE);
    let doc = match read_optional(&config_path) {
        Ok(Some(text)) => config::parse(&config_path, &text).map_err(|e| {
            Finding::fail(
                "mcp server",
                e.to_string(),
                format!("fix {} at the line shown", config_path.display()),
            )
        }),
        Ok(None) => Err(Finding::fail(
            "mcp server",
            format!("{} does not exist", config_path.display()),
            FIX_INSTALL,
        )),
        Err(e) => Err(Finding::fail("mcp server", e.to_string(), FIX_INSTALL)),
    };
    let mut out = Vec::new();
    match &doc {
        Ok(doc) => out.extend(server_findings(doc, &config_path)),
        Err(f) => {
            out.push(f.clone());
            for name in ["server binary", "tool approvals", "tool timeout"] {
                out.push(Finding::fail(name, "no readable config.toml", FIX_INSTALL));
            }
        }
    }
    out.push(skill_finding(codex_home));
    out.push(hook_finding(codex_home, doc.as_ref().ok()));
    out
}

fn server_findings(doc: &DocumentMut, config_path: &Path) -> Vec<Finding> {
    let Some(entry) = config::server(doc) else {
        let missing = format!(
            "no [mcp_servers.{SERVER_NAME}] in {}",
            config_path.display()
        );
        return vec![
            Finding::fail("mcp server", missing, FIX_INSTALL),
            Finding::fail("server binary", "no server entry", FIX_INSTALL),
            Finding::fail("tool approvals", "no server entry", FIX_INSTALL),
            Finding::fail("tool timeout", "no server entry", FIX_INSTALL),
        ];
    };
    let mut out = Vec::new();
    let enabled = entry.get("enabled").and_then(Item::as_bool) != Some(false);
    out.push(if !enabled {
        Finding::fail(
            "mcp server",
            format!("[mcp_servers.{SERVER_NAME}] has enabled = false"),
            "remove `enabled = false` from the entry",
        )
    } else if !config::is_our_server(entry) {
        Finding::fail(
            "mcp server",
            format!("[mcp_servers.{SERVER_NAME}] does not run `serve-mcp` (args)"),
            FIX_INSTALL,
        )
    } else {
        Finding::ok(
            "mcp server",
            format!("[mcp_servers.{SERVER_NAME}] in {}", config_path.display()),
        )
    });
    out.push(binary_finding(entry));
    let mode = entry
        .get("default_tools_approval_mode")
        .and_then(Item::as_str);
    out.push(if mode == Some(config::APPROVAL_MODE) {
        Finding::ok("tool approvals", "default_tools_approval_mode = \"approve\"")
    } else {
        Finding::fail(
            "tool approvals",
            format!(
                "default_tools_approval_mode is {}: workers under `codex exec` cannot call the team tools",
                mode.map_or("unset".to_string(), |m| format!("\"{m}\""))
            ),
            FIX_INSTALL,
        )
    });
    out.push(timeout_finding(entry));
    out
}

/// Codex ends a tool call after `tool_timeout_sec` (60 s when unset); a lead's wait may
/// take up to ten minutes, so a smaller value turns every long wait into a failed call.
fn timeout_finding(entry: &dyn TableLike) -> Finding {
    let need = config::TOOL_TIMEOUT_SEC as f64;
    match config::tool_timeout_sec(entry) {
        Some(t) if t >= need => Finding::ok("tool timeout", format!("tool_timeout_sec = {t}")),
        found => Finding::fail(
            "tool timeout",
            format!(
                "tool_timeout_sec is {}, under the {need} s a lead's team_pull_inbox wait may take",
                found.map_or("unset (Codex's default 60 s)".to_string(), |t| format!(
                    "{t}"
                ))
            ),
            format!("{FIX_INSTALL} (or set tool_timeout_sec = {need} in the entry)"),
        ),
    }
}

fn binary_finding(entry: &dyn TableLike) -> Finding {
    let Some(command) = entry.get("command").and_then(Item::as_str) else {
        return Finding::fail("server binary", "the entry has no `command`", FIX_INSTALL);
    };
    let path = Path::new(command);
    let fix = "reinstall the binary (scripts/install.sh), or run `codex-teams install --bin <path of codex-teams>`";
    if !path.is_absolute() {
        return Finding::fail(
            "server binary",
            format!("`{command}` is not an absolute path"),
            fix,
        );
    }
    match std::fs::metadata(path) {
        Ok(m) if super::changes::is_executable(&m) => Finding::ok("server binary", command),
        Ok(_) => Finding::fail(
            "server binary",
            format!("{command} is not an executable file"),
            fix,
        ),
        Err(e) => Finding::fail("server binary", format!("{command}: {e}"), fix),
    }
}

fn skill_finding(codex_home: &Path) -> Finding {
    let dir = codex_home.join(skill::DIR);
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for f in skill::FILES {
        match read_optional(&dir.join(f.rel)) {
            Ok(Some(text)) if text == f.contents => {}
            Ok(Some(_)) => stale.push(f.rel),
            _ => missing.push(f.rel),
        }
    }
    if !missing.is_empty() {
        Finding::fail(
            "skill",
            format!("{} is missing {}", dir.display(), missing.join(", ")),
            FIX_INSTALL,
        )
    } else if !stale.is_empty() {
        Finding::fail(
            "skill",
            format!(
                "{} differs from this codex-teams version ({})",
                dir.display(),
                stale.join(", ")
            ),
            FIX_INSTALL,
        )
    } else {
        Finding::ok("skill", format!("{} (current)", dir.display()))
    }
}

fn hook_finding(codex_home: &Path, doc: Option<&DocumentMut>) -> Finding {
    let path = codex_home.join(HOOKS_FILE);
    let root = match read_optional(&path) {
        Ok(Some(text)) => match hooks::parse(&path, &text) {
            Ok(root) => root,
            Err(e) => {
                return Finding::fail(
                    "hook",
                    e.to_string(),
                    format!("fix {} at the line shown", path.display()),
                );
            }
        },
        Ok(None) => {
            return Finding::fail(
                "hook",
                format!("{} does not exist", path.display()),
                FIX_INSTALL,
            );
        }
        Err(e) => return Finding::fail("hook", e.to_string(), FIX_INSTALL),
    };
    // The hook runs the same binary as the server entry.
    let known: Vec<String> = doc
        .and_then(config::server)
        .and_then(|e| e.get("command"))
        .and_then(Item::as_str)
        .map(|c| hooks::command_for(Path::new(c)))
        .into_iter()
        .collect();
    let Some(slot) = hooks::find_ours(&root, &known).first().copied() else {
        return Finding::fail(
            "hook",
            format!("no codex-teams UserPromptSubmit hook in {}", path.display()),
            FIX_INSTALL,
        );
    };
    let Some(hash) = hooks::handler_at(&root, slot).and_then(hooks::trust_hash) else {
        return Finding::fail("hook", "the codex-teams hook is not a command", FIX_INSTALL);
    };
    let key = hooks::trust_key(&canonicalize_lenient(codex_home), slot);
    let Some(doc) = doc else {
        return Finding::fail(
            "hook",
            "installed but config.toml is unreadable",
            FIX_INSTALL,
        );
    };
    let untrusted_fix =
        format!("{FIX_INSTALL}: it persists the trust; without it Codex skips the hook silently");
    if config::hook_disabled(doc, &key) {
        return Finding::fail(
            "hook",
            format!("switched off: [hooks.state.\"{key}\"] enabled = false"),
            "remove `enabled = false` from that table",
        );
    }
    match config::trusted_hash(doc, &key) {
        Some(h) if h == hash => Finding::ok("hook", format!("installed and trusted ({key})")),
        Some(_) => Finding::fail(
            "hook",
            format!("modified since it was trusted ({key}): Codex skips it"),
            untrusted_fix,
        ),
        None => Finding::fail(
            "hook",
            format!("installed but not trusted ({key}): Codex skips it"),
            untrusted_fix,
        ),
    }
}

/// The version in `codex --version` output (`codex-cli 0.169.0`).
pub fn parse_version(stdout: &str) -> Option<String> {
    stdout
        .split_whitespace()
        .rev()
        .find(|t| t.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
}

/// Runs `<codex> --version`, giving up after `timeout`.
fn run_version(bin: &Path, timeout: Duration) -> std::result::Result<String, String> {
    let child = Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(out)) if out.status.success() => {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Ok(Ok(out)) => Err(format!(
            "`{} --version` exited with {}",
            bin.display(),
            out.status
        )),
        Ok(Err(e)) => Err(format!("{}: {e}", bin.display())),
        Err(_) => {
            // The child we spawned and have not reaped.
            crate::platform::signal(pid, libc::SIGKILL);
            Err(format!(
                "`{} --version` did not answer within {} s",
                bin.display(),
                timeout.as_secs()
            ))
        }
    }
}

/// Finds Codex the way workers will (see [`resolve_codex_from`]), says which one and why,
/// and compares its version with the tested one. Another version is OK with a warning: it
/// may work, but nothing here was verified against it. `teams_home` is where `install`
/// records the Codex it was given.
pub fn codex_version(teams_home: Option<&Path>) -> Finding {
    const NAME: &str = "codex";
    let fix = format!(
        "`codex-teams install --codex <path of your codex>` records it (or set {CODEX_BIN_ENV}, or {CODEX_INSTALL_HINT})"
    );
    let (bin, source) = match resolve_codex_from(teams_home) {
        Ok(found) => found,
        Err(_) => {
            let recorded = teams_home
                .map(|h| h.join(RECORDED_CODEX_FILE).display().to_string())
                .unwrap_or_else(|| RECORDED_CODEX_FILE.to_string());
            return Finding::fail(
                NAME,
                format!(
                    "no Codex CLI: {CODEX_BIN_ENV} is unset, nothing usable in {recorded}, no `codex` on PATH"
                ),
                fix,
            );
        }
    };
    if !bin.is_file() {
        return Finding::fail(
            NAME,
            format!("{} ({}) does not exist", bin.display(), source.describe()),
            fix,
        );
    }
    let out = match run_version(&bin, Duration::from_secs(20)) {
        Ok(o) => o,
        Err(e) => return Finding::fail(NAME, e, fix),
    };
    let Some(version) = parse_version(&out) else {
        return Finding::fail(
            NAME,
            format!("cannot read a version from `{}`", out.trim()),
            fix,
        );
    };
    let detail = format!(
        "codex-cli {version} ({}; {})",
        bin.display(),
        source.describe()
    );
    let mut f = Finding::ok(NAME, detail);
    let mut warnings = Vec::new();
    if version != TESTED_CODEX_VERSION {
        warnings.push(format!(
            "untested: codex-teams was verified with codex-cli {TESTED_CODEX_VERSION}; the hook, its \
             trust and the MCP keys may have changed (to pin it: {CODEX_INSTALL_HINT})"
        ));
    }
    // Workers find this Codex anyway; the user typing `codex` needs it on PATH.
    if source != CodexSource::Path
        && source != CodexSource::Parent
        && !on_path("codex")
        && let Some(dir) = as_given(source, teams_home)
            .as_deref()
            .unwrap_or(&bin)
            .parent()
            .map(Path::to_path_buf)
    {
        warnings.push(format!(
            "`codex` is not on your PATH; to run it yourself: export PATH=\"{}:$PATH\"",
            dir.display()
        ));
    }
    if !warnings.is_empty() {
        f.warning = Some(warnings.join("; "));
    }
    f
}

/// The path as the user gave it (the npm `.bin/codex`, not the native binary behind it).
fn as_given(source: CodexSource, teams_home: Option<&Path>) -> Option<std::path::PathBuf> {
    match source {
        CodexSource::Recorded => teams_home.and_then(recorded_codex),
        CodexSource::Env => std::env::var_os(CODEX_BIN_ENV).map(std::path::PathBuf::from),
        _ => None,
    }
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_version_reads_the_cli_banner() {
        assert_eq!(
            parse_version("codex-cli 0.169.0\n").as_deref(),
            Some("0.169.0")
        );
        assert_eq!(parse_version("nonsense"), None);
    }
}
