//! `$CODEX_HOME/hooks.json`: our `UserPromptSubmit` command hook, merged in beside whatever
//! hooks the user has, and the two facts Codex 0.169.0 uses to decide whether an
//! unmanaged hook may run without `--dangerously-bypass-hook-trust`:
//!
//! - the trust **key** `<canonical CODEX_HOME>/hooks.json:user_prompt_submit:<group>:<handler>`
//!   (indices into the event's array and the group's `hooks` array), and
//! - the **hash** `sha256:` + SHA-256 of the canonical JSON (sorted keys, compact) of
//!   `{"event_name":"user_prompt_submit","hooks":[{"type":"command","command":C,"timeout":T,"async":A}]}`
//!   (`statusMessage` too when set; `timeout` defaults to 600, `async` to false).
//!
//! Both were reproduced against the hashes the binary reports (docs/codex-0.169-notes.md).
//! A hook whose persisted hash differs from its current one is "modified" and is skipped.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value, json};

use super::{Error, HOOKS_FILE, Result, shell_quote};

/// The event our hook answers, as written in hooks.json.
pub const EVENT: &str = "UserPromptSubmit";
/// The same event as it appears in trust keys and hashes.
pub const EVENT_LABEL: &str = "user_prompt_submit";
/// Seconds Codex gives our hook; it answers in milliseconds.
pub const TIMEOUT_SEC: u64 = 10;
/// Codex's default when a handler has no `timeout`.
const DEFAULT_TIMEOUT_SEC: u64 = 600;
/// The arguments after the binary in our hook's command.
pub const HOOK_ARGS: &str = "hook user-prompt-submit";

/// The command line of our hook for `bin` (Codex runs it with `/bin/bash -c`).
pub fn command_for(bin: &Path) -> String {
    format!("{} {HOOK_ARGS}", shell_quote(&bin.to_string_lossy()))
}

/// Whether a handler's command is a codex-teams prompt hook: one of the `known` commands
/// (from this and earlier installs, whatever the binary is called), or any
/// `…codex-teams… hook user-prompt-submit`.
pub fn is_our_command(command: &str, known: &[String]) -> bool {
    known.iter().any(|k| k == command)
        || (command.trim_end().ends_with(HOOK_ARGS) && command.contains("codex-teams"))
}

/// Parses hooks.json and checks the parts we read or write have the shape Codex expects.
pub fn parse(path: &Path, text: &str) -> Result<Value> {
    let root: Value = serde_json::from_str(text).map_err(|e| Error::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column().max(1),
        message: super::json_message(&e),
    })?;
    let Some(obj) = root.as_object() else {
        return Err(Error::shape(path, "(top level)", "must be a JSON object"));
    };
    if let Some(hooks) = obj.get("hooks") {
        let Some(events) = hooks.as_object() else {
            return Err(Error::shape(path, "hooks", "must be an object of events"));
        };
        if let Some(groups) = events.get(EVENT) {
            let Some(groups) = groups.as_array() else {
                return Err(Error::shape(
                    path,
                    &format!("hooks.{EVENT}"),
                    "must be an array",
                ));
            };
            for (i, g) in groups.iter().enumerate() {
                let key = format!("hooks.{EVENT}[{i}]");
                let Some(g) = g.as_object() else {
                    return Err(Error::shape(path, &key, "must be an object"));
                };
                if !g.get("hooks").is_some_and(Value::is_array) {
                    return Err(Error::shape(
                        path,
                        &format!("{key}.hooks"),
                        "must be an array of handlers",
                    ));
                }
            }
        }
    }
    Ok(root)
}

/// An empty hooks.json document.
pub fn empty() -> Value {
    json!({})
}

/// Pretty JSON with a final newline, as written to disk.
pub fn render(root: &Value) -> String {
    let mut s = serde_json::to_string_pretty(root).unwrap_or_else(|_| "{}".to_string());
    s.push('\n');
    s
}

/// Where a handler sits: indices into `hooks.UserPromptSubmit` and that group's `hooks`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub group: usize,
    pub handler: usize,
}

fn groups(root: &Value) -> &[Value] {
    root.get("hooks")
        .and_then(|h| h.get(EVENT))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn handlers(group: &Value) -> &[Value] {
    group
        .get("hooks")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Every codex-teams prompt hook in the file, first to last (see [`is_our_command`]).
pub fn find_ours(root: &Value, known: &[String]) -> Vec<Slot> {
    let mut found = Vec::new();
    for (g, group) in groups(root).iter().enumerate() {
        for (h, handler) in handlers(group).iter().enumerate() {
            let command = handler.get("command").and_then(Value::as_str);
            if handler.get("type").and_then(Value::as_str) == Some("command")
                && command.is_some_and(|c| is_our_command(c, known))
            {
                found.push(Slot {
                    group: g,
                    handler: h,
                });
            }
        }
    }
    found
}

/// The handler at `slot`.
pub fn handler_at(root: &Value, slot: Slot) -> Option<&Map<String, Value>> {
    handlers(groups(root).get(slot.group)?)
        .get(slot.handler)?
        .as_object()
}

fn our_handler(command: &str) -> Value {
    json!({"type": "command", "command": command, "timeout": TIMEOUT_SEC})
}

/// Makes sure hooks.json runs `command` on every prompt: an existing codex-teams handler is
/// updated in place (its trust key stays the same); otherwise a new group is appended, so
/// the indices, and with them the trust, of the user's own hooks do not move.
pub fn ensure(root: &mut Value, command: &str, known: &[String]) -> Slot {
    let want = our_handler(command);
    let mut known = known.to_vec();
    known.push(command.to_string());
    if let Some(slot) = find_ours(root, &known).first().copied() {
        if let Some(h) = root
            .get_mut("hooks")
            .and_then(|h| h.get_mut(EVENT))
            .and_then(|g| g.get_mut(slot.group))
            .and_then(|g| g.get_mut("hooks"))
            .and_then(|h| h.get_mut(slot.handler))
        {
            *h = want;
        }
        return slot;
    }
    if !root.is_object() {
        *root = empty();
    }
    let Some(obj) = root.as_object_mut() else {
        return Slot {
            group: 0,
            handler: 0,
        };
    };
    let events = obj.entry("hooks").or_insert_with(|| json!({}));
    if !events.is_object() {
        *events = json!({});
    }
    let groups = events
        .as_object_mut()
        .map(|e| e.entry(EVENT).or_insert_with(|| json!([])));
    match groups.and_then(Value::as_array_mut) {
        Some(groups) => {
            groups.push(json!({"hooks": [want]}));
            Slot {
                group: groups.len() - 1,
                handler: 0,
            }
        }
        None => Slot {
            group: 0,
            handler: 0,
        },
    }
}

/// Removes every codex-teams handler (and groups left empty). Returns the removed slots and
/// where each remaining handler moved: `(old, new)` for those whose indices changed, in
/// increasing order, so their trust entries can follow them.
pub fn remove_ours(root: &mut Value, known: &[String]) -> (Vec<Slot>, Vec<(Slot, Slot)>) {
    let ours = find_ours(root, known);
    if ours.is_empty() {
        return (ours, Vec::new());
    }
    let mut moved = Vec::new();
    let Some(events) = root.get_mut("hooks").and_then(Value::as_object_mut) else {
        return (ours, moved);
    };
    let Some(groups) = events.get_mut(EVENT).and_then(Value::as_array_mut) else {
        return (ours, moved);
    };
    let mut kept_groups = Vec::new();
    for (g, mut group) in std::mem::take(groups).into_iter().enumerate() {
        let mut kept = Vec::new();
        if let Some(hs) = group.get_mut("hooks").and_then(Value::as_array_mut) {
            for (h, handler) in std::mem::take(hs).into_iter().enumerate() {
                if ours.contains(&Slot {
                    group: g,
                    handler: h,
                }) {
                    continue;
                }
                kept.push((h, handler));
            }
            let new_g = kept_groups.len();
            for (new_h, (h, _)) in kept.iter().enumerate() {
                if (g, *h) != (new_g, new_h) {
                    moved.push((
                        Slot {
                            group: g,
                            handler: *h,
                        },
                        Slot {
                            group: new_g,
                            handler: new_h,
                        },
                    ));
                }
            }
            let empty = kept.is_empty();
            *hs = kept.into_iter().map(|(_, v)| v).collect();
            if empty {
                continue;
            }
        }
        kept_groups.push(group);
    }
    *groups = kept_groups;
    if groups.is_empty() {
        events.remove(EVENT);
    }
    if events.is_empty()
        && let Some(obj) = root.as_object_mut()
    {
        obj.remove("hooks");
    }
    (ours, moved)
}

/// Whether a document holds nothing at all (`{}`), so a file install created can go.
pub fn is_empty(root: &Value) -> bool {
    root.as_object().is_some_and(Map::is_empty)
}

/// The trust key Codex gives the handler at `slot` of `<codex_home>/hooks.json`;
/// `codex_home` must be canonical.
pub fn trust_key(codex_home: &Path, slot: Slot) -> String {
    format!(
        "{}:{EVENT_LABEL}:{}:{}",
        codex_home.join(HOOKS_FILE).display(),
        slot.group,
        slot.handler
    )
}

/// The hash Codex computes for a `UserPromptSubmit` command handler (the matcher is
/// ignored for this event). `None` for a handler that is not a command.
pub fn trust_hash(handler: &Map<String, Value>) -> Option<String> {
    if handler.get("type").and_then(Value::as_str) != Some("command") {
        return None;
    }
    let command = handler.get("command")?.as_str()?;
    // Sorted maps give the canonical key order whatever serde_json's features are.
    let mut h: BTreeMap<&str, Value> = BTreeMap::new();
    h.insert("type", json!("command"));
    h.insert("command", json!(command));
    h.insert(
        "timeout",
        json!(
            handler
                .get("timeout")
                .and_then(Value::as_u64)
                .unwrap_or(DEFAULT_TIMEOUT_SEC)
        ),
    );
    h.insert(
        "async",
        json!(
            handler
                .get("async")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        ),
    );
    if let Some(msg) = handler.get("statusMessage").and_then(Value::as_str) {
        h.insert("statusMessage", json!(msg));
    }
    let mut top: BTreeMap<&str, Value> = BTreeMap::new();
    top.insert("event_name", json!(EVENT_LABEL));
    top.insert("hooks", Value::Array(vec![serde_json::to_value(h).ok()?]));
    let canonical = serde_json::to_string(&top).ok()?;
    Some(format!(
        "sha256:{}",
        super::sha256_hex(canonical.as_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handler(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn hash_matches_what_codex_0_169_reports() {
        // currentHash from `codex app-server` hooks/list (docs/codex-0.169-notes.md).
        let h = handler(
            json!({"type": "command", "command": "python3 /work/notes/scratch/hook.py", "timeout": 30}),
        );
        assert_eq!(
            trust_hash(&h).unwrap(),
            "sha256:abff8470c260b2206e537a460afd80f040164d06f344f691c531a4871fb6ece1"
        );
    }

    #[test]
    fn ensure_appends_once_and_keeps_other_hooks() {
        let mut root = json!({"hooks": {"UserPromptSubmit": [{"hooks": [{"type": "command", "command": "mine"}]}], "Stop": []}});
        let slot = ensure(&mut root, "/bin/ct hook user-prompt-submit", &[]);
        assert_eq!(
            slot,
            Slot {
                group: 1,
                handler: 0
            }
        );
        let once = root.clone();
        assert_eq!(
            ensure(&mut root, "/bin/ct hook user-prompt-submit", &[]),
            slot
        );
        assert_eq!(root, once);
        assert!(
            remove_ours(&mut root, &[]).0.is_empty(),
            "an unknown binary name is not ours"
        );
        let (removed, moved) = remove_ours(&mut root, &["/bin/ct hook user-prompt-submit".into()]);
        assert_eq!(removed, vec![slot]);
        assert!(moved.is_empty());
        assert_eq!(
            root,
            json!({"hooks": {"UserPromptSubmit": [{"hooks": [{"type": "command", "command": "mine"}]}], "Stop": []}})
        );
    }

    #[test]
    fn removing_an_earlier_group_reports_moves() {
        let mut root = json!({"hooks": {"UserPromptSubmit": [
            {"hooks": [{"type": "command", "command": "/x/codex-teams hook user-prompt-submit"}]},
            {"hooks": [{"type": "command", "command": "later"}]}
        ]}});
        let (_, moved) = remove_ours(&mut root, &[]);
        assert_eq!(
            moved,
            vec![(
                Slot {
                    group: 1,
                    handler: 0
                },
                Slot {
                    group: 0,
                    handler: 0
                }
            )]
        );
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let err = parse(Path::new("/h/hooks.json"), "{\n  \"hooks\": [\n}")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/h/hooks.json:3:"), "{err}");
    }
}
