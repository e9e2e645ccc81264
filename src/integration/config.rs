//! Edits of `$CODEX_HOME/config.toml` with `toml_edit`, so the user's comments, order and
//! spacing survive: the `[mcp_servers.codex-teams]` entry, the `agents.max_threads` cap and
//! the `[hooks.state."<key>"]` trust of our hook. Each edit touches only the keys it owns
//! and leaves a value alone when it already holds what we want, which is what makes a
//! second `install` a no-op down to the byte.

use std::path::Path;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike, Value};

use super::{CODEX_BIN_ENV, Error, Result, SERVER_NAME};
use crate::engine::policy::LEAD_WAIT_CEILING_MS;
use crate::engine::runner::codex_exec::PASS_THROUGH;

/// The most native sub-agent threads a Codex session may run next to a team (a team is
/// capped at 6 live agents; Codex's own default is 6).
pub const MAX_THREADS_CAP: i64 = 6;

/// Seconds Codex waits for `serve-mcp` to start.
pub const STARTUP_TIMEOUT_SEC: i64 = 20;
/// Seconds Codex waits for one tool call. A lead's `team_pull_inbox` may wait up to
/// [`LEAD_WAIT_CEILING_MS`] (ten minutes) for something to need it; a minute more leaves
/// room for the call itself, so Codex never times a legitimate wait out.
pub const TOOL_TIMEOUT_SEC: i64 = LEAD_WAIT_CEILING_MS / 1000 + 60;
/// `codex exec` refuses MCP calls that need approval; workers run under `codex exec`.
pub const APPROVAL_MODE: &str = "approve";

/// Environment variables the server must see beyond the identity and paths a worker's
/// server gets ([`PASS_THROUGH`]): the Codex binary the lead's server launches workers with,
/// and the default provider key. Codex gives an MCP server only a small allow-list plus what
/// `env_vars` names.
const EXTRA_ENV_VARS: &[&str] = &[CODEX_BIN_ENV, "OPENAI_API_KEY"];

/// The `env_vars` of the server entry, before the model providers' keys.
pub fn base_env_vars() -> Vec<String> {
    PASS_THROUGH
        .iter()
        .chain(EXTRA_ENV_VARS)
        .map(|s| s.to_string())
        .collect()
}

const SERVER_COMMENT: &str =
    "# Added by `codex-teams install`; `codex-teams uninstall` removes it.\n";
const TRUST_COMMENT: &str =
    "# Trust for the codex-teams UserPromptSubmit hook (`codex-teams install`).\n";

/// Parses config.toml; a syntax error names the file, line and column.
pub fn parse(path: &Path, text: &str) -> Result<DocumentMut> {
    text.parse::<DocumentMut>().map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        Error::parse_at(path, text, offset, e.message())
    })
}

/// What `[mcp_servers.codex-teams]` must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEntry {
    pub command: String,
    pub args: Vec<String>,
    pub env_vars: Vec<String>,
}

impl ServerEntry {
    /// The entry for `bin`, passing through [`base_env_vars`] and the `env_key` of every
    /// model provider in `doc`, so the workers a lead's server launches reach the same
    /// provider.
    pub fn for_bin(bin: &Path, doc: &DocumentMut) -> ServerEntry {
        let mut env_vars = base_env_vars();
        for key in provider_env_keys(doc) {
            if !env_vars.contains(&key) {
                env_vars.push(key);
            }
        }
        ServerEntry {
            command: bin.to_string_lossy().into_owned(),
            args: vec!["serve-mcp".to_string()],
            env_vars,
        }
    }
}

/// The `env_key` of every `[model_providers.*]`, sorted by provider name.
pub fn provider_env_keys(doc: &DocumentMut) -> Vec<String> {
    let Some(providers) = doc.get("model_providers").and_then(Item::as_table_like) else {
        return Vec::new();
    };
    let mut keys: Vec<(String, String)> = providers
        .iter()
        .filter_map(|(name, item)| {
            let key = item.as_table_like()?.get("env_key")?.as_str()?.trim();
            (!key.is_empty()).then(|| (name.to_string(), key.to_string()))
        })
        .collect();
    keys.sort();
    keys.into_iter().map(|(_, k)| k).collect()
}

/// Our server entry as a read-only view, if there is one.
pub fn server(doc: &DocumentMut) -> Option<&dyn TableLike> {
    doc.get("mcp_servers")?
        .as_table_like()?
        .get(SERVER_NAME)?
        .as_table_like()
}

/// Whether an existing entry is one `install` wrote (it runs `serve-mcp`).
pub fn is_our_server(entry: &dyn TableLike) -> bool {
    entry
        .get("args")
        .and_then(Item::as_array)
        .is_some_and(|a| a.len() == 1 && a.get(0).and_then(Value::as_str) == Some("serve-mcp"))
}

/// Writes `entry` into `[mcp_servers.codex-teams]`, creating it at the end of the file when
/// missing. Keys the user added to the entry stay, and so do extra `env_vars` names.
pub fn upsert_server(doc: &mut DocumentMut, path: &Path, entry: &ServerEntry) -> Result<()> {
    let first_table = doc.as_table().is_empty();
    let servers = match doc.get_mut("mcp_servers") {
        None => {
            let mut t = Table::new();
            t.set_implicit(true);
            doc.insert("mcp_servers", Item::Table(t));
            table_like_mut(doc.get_mut("mcp_servers"), path, "mcp_servers")?
        }
        Some(item) => table_like_mut(Some(item), path, "mcp_servers")?,
    };
    if servers.get(SERVER_NAME).is_none() {
        servers.insert(SERVER_NAME, commented_table(SERVER_COMMENT, first_table));
    }
    // An inline table must stay on one line (TOML 1.0), so its arrays do too.
    let inline = matches!(servers.get(SERVER_NAME), Some(Item::Value(_)));
    let key = format!("mcp_servers.{SERVER_NAME}");
    let table = table_like_mut(servers.get_mut(SERVER_NAME), path, &key)?;

    set_value(table, "command", Value::from(entry.command.as_str()));
    set_value(
        table,
        "args",
        Value::Array(string_array(&entry.args, false)),
    );
    let mut names: Vec<Value> = Vec::new();
    if let Some(Item::Value(Value::Array(existing))) = table.get("env_vars") {
        names.extend(existing.iter().cloned());
    }
    let missing: Vec<&String> = entry
        .env_vars
        .iter()
        .filter(|want| !names.iter().any(|v| env_var_name(v) == Some(want.as_str())))
        .collect();
    if table.get("env_vars").is_none() || !missing.is_empty() {
        if names.iter().all(|v| v.is_str()) {
            let mut all: Vec<String> = names
                .iter()
                .filter_map(|v| env_var_name(v).map(str::to_string))
                .collect();
            all.extend(missing.into_iter().cloned());
            set_value(table, "env_vars", Value::Array(string_array(&all, !inline)));
        } else {
            // `{name, source}` items stay as the user wrote them; names are appended.
            let mut arr = Array::new();
            for v in names {
                arr.push_formatted(v);
            }
            for name in missing {
                arr.push(name.as_str());
            }
            set_value(table, "env_vars", Value::Array(arr));
        }
    }
    set_value(
        table,
        "startup_timeout_sec",
        Value::from(STARTUP_TIMEOUT_SEC),
    );
    // A larger timeout the user chose is kept; a smaller one would cut the lead's wait.
    if tool_timeout_sec(table).is_none_or(|t| t < TOOL_TIMEOUT_SEC as f64) {
        set_value(table, "tool_timeout_sec", Value::from(TOOL_TIMEOUT_SEC));
    }
    set_value(
        table,
        "default_tools_approval_mode",
        Value::from(APPROVAL_MODE),
    );
    Ok(())
}

/// The entry's `tool_timeout_sec` (Codex reads integer or float seconds).
pub fn tool_timeout_sec(entry: &dyn TableLike) -> Option<f64> {
    let v = entry.get("tool_timeout_sec")?;
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64))
}

fn env_var_name(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s.value()),
        Value::InlineTable(t) => t.get("name").and_then(Value::as_str),
        _ => None,
    }
}

/// Removes `[mcp_servers.codex-teams]` and returns it, dropping `mcp_servers` if it ends
/// up empty and was not written by the user as a table of its own.
pub fn take_server(doc: &mut DocumentMut) -> Option<Item> {
    let servers = doc.get_mut("mcp_servers")?.as_table_like_mut()?;
    let taken = servers.remove(SERVER_NAME)?;
    drop_if_empty_implicit(doc.as_table_mut(), "mcp_servers");
    Some(taken)
}

/// Puts back an entry that was there before the first install (see [`entry_to_toml`]).
pub fn restore_server(doc: &mut DocumentMut, path: &Path, toml: &str) -> Result<()> {
    let old = parse(path, toml)?;
    let Some(item) = old
        .get("mcp_servers")
        .and_then(Item::as_table_like)
        .and_then(|t| t.get(SERVER_NAME))
        .cloned()
    else {
        return Ok(());
    };
    if doc.get("mcp_servers").is_none() {
        let mut t = Table::new();
        t.set_implicit(true);
        doc.insert("mcp_servers", Item::Table(t));
    }
    let servers = table_like_mut(doc.get_mut("mcp_servers"), path, "mcp_servers")?;
    servers.insert(SERVER_NAME, strip_positions(item));
    Ok(())
}

/// A server entry as a small TOML document, to keep in the manifest.
pub fn entry_to_toml(item: &Item) -> String {
    let mut doc = DocumentMut::new();
    let mut servers = Table::new();
    servers.set_implicit(true);
    servers.insert(SERVER_NAME, strip_positions(item.clone()));
    doc.insert("mcp_servers", Item::Table(servers));
    doc.to_string()
}

fn strip_positions(mut item: Item) -> Item {
    fn walk(t: &mut Table) {
        t.set_position(None);
        for (_, item) in t.iter_mut() {
            if let Item::Table(sub) = item {
                walk(sub);
            }
        }
    }
    if let Item::Table(t) = &mut item {
        walk(t);
    }
    item
}

/// `agents.max_threads` as an integer, if set.
pub fn max_threads(doc: &DocumentMut) -> Option<i64> {
    doc.get("agents")?
        .as_table_like()?
        .get("max_threads")?
        .as_integer()
}

/// Lowers `agents.max_threads` to [`MAX_THREADS_CAP`] when it is set higher; returns the
/// value it had.
pub fn cap_max_threads(doc: &mut DocumentMut) -> Option<i64> {
    let old = max_threads(doc).filter(|n| *n > MAX_THREADS_CAP)?;
    let agents = doc.get_mut("agents")?.as_table_like_mut()?;
    set_value(agents, "max_threads", Value::from(MAX_THREADS_CAP));
    Some(old)
}

/// Puts `agents.max_threads` back to `original`, if it still holds our cap.
pub fn restore_max_threads(doc: &mut DocumentMut, original: i64) -> bool {
    if max_threads(doc) != Some(MAX_THREADS_CAP) {
        return false;
    }
    match doc.get_mut("agents").and_then(Item::as_table_like_mut) {
        Some(agents) => set_value(agents, "max_threads", Value::from(original)),
        None => false,
    }
}

/// Whether config.toml defines hooks of its own (`[[hooks.<Event>]]`, not just trust state).
/// Codex then warns that hooks come from both files.
pub fn defines_hooks(doc: &DocumentMut) -> bool {
    doc.get("hooks")
        .and_then(Item::as_table_like)
        .is_some_and(|h| h.iter().any(|(k, _)| k != "state"))
}

/// The `trusted_hash` persisted for hook `key`, if any.
pub fn trusted_hash<'a>(doc: &'a DocumentMut, key: &str) -> Option<&'a str> {
    hook_state(doc, key)?.get("trusted_hash")?.as_str()
}

/// Whether hook `key` is switched off with `enabled = false`.
pub fn hook_disabled(doc: &DocumentMut, key: &str) -> bool {
    hook_state(doc, key)
        .and_then(|s| s.get("enabled"))
        .and_then(Item::as_bool)
        == Some(false)
}

fn hook_state<'a>(doc: &'a DocumentMut, key: &str) -> Option<&'a dyn TableLike> {
    doc.get("hooks")?
        .as_table_like()?
        .get("state")?
        .as_table_like()?
        .get(key)?
        .as_table_like()
}

/// Persists trust for hook `key` the way Codex's own "trust this hook" does:
/// `[hooks.state."<key>"] trusted_hash = "sha256:<hex>"`.
pub fn set_trust(doc: &mut DocumentMut, path: &Path, key: &str, hash: &str) -> Result<()> {
    let first_table = doc.as_table().is_empty();
    if doc.get("hooks").is_none() {
        let mut t = Table::new();
        t.set_implicit(true);
        doc.insert("hooks", Item::Table(t));
    }
    let hooks = table_like_mut(doc.get_mut("hooks"), path, "hooks")?;
    if hooks.get("state").is_none() {
        let mut t = Table::new();
        t.set_implicit(true);
        hooks.insert("state", Item::Table(t));
    }
    let state = table_like_mut(hooks.get_mut("state"), path, "hooks.state")?;
    if state.get(key).is_none() {
        state.insert(key, commented_table(TRUST_COMMENT, first_table));
    }
    let entry = table_like_mut(state.get_mut(key), path, &format!("hooks.state.\"{key}\""))?;
    set_value(entry, "trusted_hash", Value::from(hash));
    Ok(())
}

/// The `hooks.state` table, where Codex keeps hook trust, if the document has one.
fn trust_state(doc: &mut DocumentMut) -> Option<&mut dyn TableLike> {
    doc.get_mut("hooks")
        .and_then(Item::as_table_like_mut)
        .and_then(|h| h.get_mut("state"))
        .and_then(Item::as_table_like_mut)
}

/// Removes the trust entry for `key`, and `hooks.state` / `hooks` if that empties them.
pub fn remove_trust(doc: &mut DocumentMut, key: &str) -> bool {
    let Some(state) = trust_state(doc) else {
        return false;
    };
    if state.remove(key).is_none() {
        return false;
    }
    if let Some(hooks) = doc.get_mut("hooks").and_then(Item::as_table_mut) {
        drop_if_empty_implicit(hooks, "state");
    }
    drop_if_empty_implicit(doc.as_table_mut(), "hooks");
    true
}

/// Moves the trust entry of a hook whose position changed from key `from` to key `to`.
pub fn rekey_trust(doc: &mut DocumentMut, from: &str, to: &str) {
    let Some(state) = trust_state(doc) else {
        return;
    };
    if state.get(to).is_some() {
        return;
    }
    if let Some(item) = state.remove(from) {
        state.insert(to, item);
    }
}

fn drop_if_empty_implicit(parent: &mut Table, key: &str) {
    let empty = match parent.get(key) {
        Some(Item::Table(t)) => t.is_empty() && t.is_implicit(),
        _ => false,
    };
    if empty {
        parent.remove(key);
    }
}

fn table_like_mut<'a>(
    item: Option<&'a mut Item>,
    path: &Path,
    key: &str,
) -> Result<&'a mut dyn TableLike> {
    match item {
        Some(item) => {
            let kind = item.type_name();
            item.as_table_like_mut()
                .ok_or_else(|| Error::shape(path, key, format!("must be a table, not {kind}")))
        }
        None => Err(Error::shape(path, key, "is missing")),
    }
}

/// Sets `key` to `new` unless it already holds an equal value; keeps the old value's
/// comments and spacing. Returns whether anything changed.
fn set_value(table: &mut dyn TableLike, key: &str, mut new: Value) -> bool {
    match table.get_mut(key) {
        Some(Item::Value(old)) if same_value(old, &new) => false,
        Some(Item::Value(old)) => {
            *new.decor_mut() = old.decor().clone();
            *old = new;
            true
        }
        _ => {
            table.insert(key, Item::Value(new));
            true
        }
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.value() == y.value(),
        (Value::Integer(x), Value::Integer(y)) => x.value() == y.value(),
        (Value::Float(x), Value::Float(y)) => x.value() == y.value(),
        (Value::Boolean(x), Value::Boolean(y)) => x.value() == y.value(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same_value(p, q))
        }
        (Value::InlineTable(x), Value::InlineTable(y)) => same_inline(x, y),
        _ => false,
    }
}

fn same_inline(x: &InlineTable, y: &InlineTable) -> bool {
    x.len() == y.len()
        && x.iter()
            .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
}

/// An array of strings, one per line when `multiline`.
fn string_array(items: &[String], multiline: bool) -> Array {
    let mut arr: Array = items.iter().map(String::as_str).collect();
    if multiline {
        for v in arr.iter_mut() {
            v.decor_mut().set_prefix("\n    ");
            v.decor_mut().set_suffix("");
        }
        arr.set_trailing_comma(true);
        arr.set_trailing("\n");
    }
    arr
}

/// A new empty table headed by `comment` (a blank line before it unless it is the file's
/// first table).
fn commented_table(comment: &str, first_table: bool) -> Item {
    let mut t = Table::new();
    let prefix = if first_table {
        comment.to_string()
    } else {
        format!("\n{comment}")
    };
    t.decor_mut().set_prefix(prefix);
    Item::Table(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn entry() -> ServerEntry {
        ServerEntry {
            command: "/opt/bin/codex-teams".into(),
            args: vec!["serve-mcp".into()],
            env_vars: vec!["CODEX_HOME".into(), "MOCK_KEY".into()],
        }
    }

    #[test]
    fn upsert_is_a_no_op_the_second_time() {
        let p = PathBuf::from("config.toml");
        let mut doc = parse(&p, "# mine\nmodel = \"x\" # keep\n").unwrap();
        upsert_server(&mut doc, &p, &entry()).unwrap();
        let once = doc.to_string();
        let mut again = parse(&p, &once).unwrap();
        upsert_server(&mut again, &p, &entry()).unwrap();
        assert_eq!(again.to_string(), once);
        assert!(once.starts_with("# mine\nmodel = \"x\" # keep\n"));
        assert!(once.contains("[mcp_servers.codex-teams]"));
    }

    #[test]
    fn provider_env_keys_are_collected() {
        let p = PathBuf::from("config.toml");
        let doc = parse(
            &p,
            "[model_providers.b]\nenv_key = \"B_KEY\"\n[model_providers.a]\nenv_key = \"A_KEY\"\n[model_providers.c]\nname = \"c\"\n",
        )
        .unwrap();
        assert_eq!(provider_env_keys(&doc), vec!["A_KEY", "B_KEY"]);
    }

    #[test]
    fn max_threads_is_capped_and_restored() {
        let p = PathBuf::from("config.toml");
        let mut doc = parse(&p, "[agents]\nmax_threads = 10 # many\n").unwrap();
        assert_eq!(cap_max_threads(&mut doc), Some(10));
        assert_eq!(doc.to_string(), "[agents]\nmax_threads = 6 # many\n");
        assert!(restore_max_threads(&mut doc, 10));
        assert_eq!(doc.to_string(), "[agents]\nmax_threads = 10 # many\n");
    }

    #[test]
    fn trust_round_trips() {
        let p = PathBuf::from("config.toml");
        let mut doc = parse(&p, "model = \"x\"\n").unwrap();
        set_trust(
            &mut doc,
            &p,
            "/h/hooks.json:user_prompt_submit:0:0",
            "sha256:ab",
        )
        .unwrap();
        let text = doc.to_string();
        assert!(text.contains("[hooks.state.\"/h/hooks.json:user_prompt_submit:0:0\"]"));
        assert_eq!(
            trusted_hash(&doc, "/h/hooks.json:user_prompt_submit:0:0"),
            Some("sha256:ab")
        );
        assert!(remove_trust(
            &mut doc,
            "/h/hooks.json:user_prompt_submit:0:0"
        ));
        assert_eq!(doc.to_string(), "model = \"x\"\n");
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let p = PathBuf::from("/h/config.toml");
        let err = parse(&p, "model = \"x\"\n[broken\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("/h/config.toml:2:"), "{err}");
    }
}
