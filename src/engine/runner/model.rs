//! Model inheritance: a worker runs the model the lead is running unless the lead's call or
//! the profile names another. The chain, first match wins:
//! 1. the explicit `model` argument of `team_spawn`;
//! 2. the profile's `worker.model`, unless it is `inherit`;
//! 3. the model of the calling tool request: `_meta["x-codex-turn-metadata"].model`;
//! 4. the lead Codex process's command line: `-m X`, `--model X`, `--model=X`,
//!    `-c model=X` / `--config model=X` (the server's parent process);
//! 5. nothing: no `-m`, so the worker uses the same config default as the lead.
//!
//! The lead's provider settings travel too: `-c model_provider=...`, `-c model_providers.*`
//! and `-p/--profile` from the lead's command line are passed to the worker unchanged.

use serde::Serialize;
use serde_json::Value;

/// Where the chosen model came from (recorded with the agent, for the log and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    Explicit,
    Profile,
    RequestMeta,
    ParentCommandLine,
    ConfigDefault,
}

/// The model of the calling Codex session, from a tool request's `_meta`.
pub fn model_from_meta(meta: &Value) -> Option<String> {
    meta.get("x-codex-turn-metadata")
        .and_then(|m| m.get("model"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(String::from)
}

/// The model and the provider flags on a Codex command line (argv without argv[0] is fine
/// too; the program name is ignored).
pub fn from_command_line(argv: &[String]) -> (Option<String>, Vec<String>) {
    let mut model = None;
    let mut inherited = Vec::new();
    let mut i = 0;
    while i < argv.len() {
        let arg = argv[i].as_str();
        let next = argv.get(i + 1).cloned();
        match arg {
            "-m" | "--model" => {
                if let Some(v) = next {
                    model = Some(v);
                    i += 1;
                }
            }
            "-c" | "--config" => {
                if let Some(v) = next {
                    let (key, value) = v.split_once('=').unwrap_or((v.as_str(), ""));
                    let key = key.trim();
                    if key == "model" {
                        model = Some(unquote(value));
                    } else if key == "model_provider" || key.starts_with("model_providers.") {
                        inherited.extend(["-c".to_string(), v.clone()]);
                    }
                    i += 1;
                }
            }
            "-p" | "--profile" => {
                if let Some(v) = next {
                    inherited.extend(["-p".to_string(), v]);
                    i += 1;
                }
            }
            _ => {
                if let Some(v) = arg.strip_prefix("--model=") {
                    model = Some(v.to_string());
                } else if let Some(v) = arg.strip_prefix("--profile=") {
                    inherited.extend(["-p".to_string(), v.to_string()]);
                }
            }
        }
        i += 1;
    }
    (model.filter(|m| !m.is_empty()), inherited)
}

/// `"gpt-5"` or `'gpt-5'` (a TOML string) -> `gpt-5`.
fn unquote(v: &str) -> String {
    let v = v.trim();
    v.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(v)
        .to_string()
}

/// The command line of this process's parent (the Codex process that started
/// `serve-mcp`), or empty when it cannot be read (then this step of the chain is skipped).
pub fn parent_command_line() -> Vec<String> {
    // SAFETY: getppid has no preconditions.
    let ppid = unsafe { libc::getppid() };
    u32::try_from(ppid)
        .ok()
        .and_then(crate::platform::cmdline_of)
        .unwrap_or_default()
}

/// Resolves the worker's model through the chain above.
pub fn resolve(
    explicit: Option<&str>,
    profile_model: &str,
    meta_model: Option<&str>,
    parent_model: Option<&str>,
) -> (Option<String>, ModelSource) {
    let clean = |m: Option<&str>| m.map(str::trim).filter(|m| !m.is_empty()).map(String::from);
    if let Some(m) = clean(explicit) {
        return (Some(m), ModelSource::Explicit);
    }
    if !profile_model.trim().eq_ignore_ascii_case("inherit") {
        return (clean(Some(profile_model)), ModelSource::Profile);
    }
    if let Some(m) = clean(meta_model) {
        return (Some(m), ModelSource::RequestMeta);
    }
    if let Some(m) = clean(parent_model) {
        return (Some(m), ModelSource::ParentCommandLine);
    }
    (None, ModelSource::ConfigDefault)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn each_step_of_the_chain_wins_in_order() {
        assert_eq!(
            resolve(Some("x"), "p", Some("m"), Some("c")),
            (Some("x".into()), ModelSource::Explicit)
        );
        assert_eq!(
            resolve(None, "p", Some("m"), Some("c")),
            (Some("p".into()), ModelSource::Profile)
        );
        assert_eq!(
            resolve(None, "inherit", Some("m"), Some("c")),
            (Some("m".into()), ModelSource::RequestMeta)
        );
        assert_eq!(
            resolve(None, "inherit", None, Some("c")),
            (Some("c".into()), ModelSource::ParentCommandLine)
        );
        assert_eq!(
            resolve(None, "inherit", None, None),
            (None, ModelSource::ConfigDefault)
        );
        assert_eq!(
            resolve(Some("  "), "Inherit", Some(""), None),
            (None, ModelSource::ConfigDefault)
        );
    }

    #[test]
    fn model_is_read_from_codex_turn_metadata() {
        let meta = json!({"x-codex-turn-metadata": {"model": "mock-lead", "turn_id": "t"}, "threadId": "x"});
        assert_eq!(model_from_meta(&meta).as_deref(), Some("mock-lead"));
        assert_eq!(model_from_meta(&json!({})), None);
    }

    #[test]
    fn command_line_forms_of_the_model_are_recognised() {
        for line in [
            "codex exec --json -m gpt-x hello",
            "codex --model gpt-x",
            "codex --model=gpt-x",
            "codex -c model=gpt-x",
            "codex --config model=\"gpt-x\"",
        ] {
            assert_eq!(
                from_command_line(&argv(line)).0.as_deref(),
                Some("gpt-x"),
                "{line}"
            );
        }
        assert_eq!(from_command_line(&argv("codex exec hi")).0, None);
    }

    #[test]
    fn provider_flags_are_inherited_and_others_are_not() {
        let (_, flags) = from_command_line(&argv(
            "codex -c model_provider=mock -c model_providers.mock.base_url=\"http://x\" -c sandbox_mode=read-only -p work exec",
        ));
        assert_eq!(
            flags,
            argv("-c model_provider=mock -c model_providers.mock.base_url=\"http://x\" -p work")
        );
    }
}
