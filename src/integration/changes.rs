//! Install and uninstall as plans: every file to create, change or delete, with its bytes
//! before and after, computed from the files as they are. `--dry-run` renders the plan as a
//! unified diff; [`Changes::apply`] writes it (backing up each existing file it changes
//! first). A plan with no changes is how a second `install` proves it has nothing to do.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use toml_edit::DocumentMut;

use super::config::{self, ServerEntry};
use super::hooks::{self, Slot};
use super::manifest::{self, FileRecord, Manifest, SkillRecord};
use super::{
    BACKUP_SUFFIX, CONFIG_FILE, Error, HOOKS_FILE, MANIFEST_FILE, Result, SERVER_NAME,
    canonicalize_lenient, read_optional, sha256_hex, skill,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Install,
    Uninstall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Create,
    Modify,
    Delete,
}

/// One file the plan writes or deletes.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub path: PathBuf,
    pub before: Option<String>,
    /// `None` deletes the file.
    pub after: Option<String>,
    /// Copy `before` to `<path>.codex-teams-backup` first.
    pub backup: bool,
    /// Write it readable by the owner only (the manifest holds a copy of config.toml).
    pub private: bool,
}

impl FileChange {
    pub fn kind(&self) -> ChangeKind {
        match (&self.before, &self.after) {
            (None, _) => ChangeKind::Create,
            (Some(_), Some(_)) => ChangeKind::Modify,
            (Some(_), None) => ChangeKind::Delete,
        }
    }

    pub fn backup_path(&self) -> Option<PathBuf> {
        (self.backup && self.before.is_some()).then(|| backup_path(&self.path))
    }
}

/// The trust `install` persists for its hook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HookTrust {
    pub command: String,
    pub key: String,
    pub hash: String,
}

/// The file changes an install or uninstall makes, computed before anything is written.
/// (`--dry-run` output and its JSON keep their words; `plan_install`/`plan_uninstall`
/// compute one.)
#[derive(Debug, Clone)]
pub struct Changes {
    pub action: Action,
    pub codex_home: PathBuf,
    /// In the order they are applied.
    pub changes: Vec<FileChange>,
    /// Backups made redundant because their file is back to its original bytes.
    pub remove_backups: Vec<PathBuf>,
    /// Directories install created, removed if empty, deepest first.
    pub remove_dirs: Vec<PathBuf>,
    /// What the plan does, one line each, for people.
    pub notes: Vec<String>,
    /// Install only: the server entry and the hook.
    pub server: Option<ServerEntry>,
    pub hook: Option<HookTrust>,
}

impl Changes {
    /// A unified diff of every file the plan changes (the manifest last: it is long and
    /// the user's own files matter more).
    pub fn diff(&self) -> String {
        let mut out = String::new();
        let ordered = self
            .changes
            .iter()
            .filter(|c| !c.private)
            .chain(self.changes.iter().filter(|c| c.private));
        for c in ordered {
            let old = c.before.as_deref().unwrap_or("");
            let new = c.after.as_deref().unwrap_or("");
            let path = c.path.display().to_string();
            let a = if c.before.is_some() {
                path.as_str()
            } else {
                "/dev/null"
            };
            let b = if c.after.is_some() {
                path.as_str()
            } else {
                "/dev/null"
            };
            let diff = similar::TextDiff::from_lines(old, new);
            out.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(a, b)
                    .missing_newline_hint(true)
                    .to_string(),
            );
        }
        out
    }

    /// Writes the plan: for each file, its backup, then the new contents (atomically, by
    /// rename, through a symlink to its target); then redundant backups and empty
    /// directories go.
    pub fn apply(&self) -> Result<()> {
        for c in &self.changes {
            if let (true, Some(before)) = (c.backup, &c.before) {
                write_atomic(&backup_path(&c.path), before, Some(&c.path), c.private)?;
            }
            match &c.after {
                Some(text) => write_atomic(&c.path, text, Some(&c.path), c.private)?,
                None => remove_file(&c.path)?,
            }
        }
        for b in &self.remove_backups {
            remove_file(b)?;
        }
        for d in &self.remove_dirs {
            if is_empty_dir(d) {
                std::fs::remove_dir(d).map_err(|e| Error::io(d, e))?;
            }
        }
        Ok(())
    }
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(BACKUP_SUFFIX);
    PathBuf::from(s)
}

/// The binary the server entry and the hook will run: `explicit` (from `--bin`), else this
/// executable; canonical, so the entry survives changes of the current directory or PATH.
pub fn resolve_bin(explicit: Option<&Path>) -> Result<PathBuf> {
    let raw = match explicit {
        Some(p) => super::absolute(p)?,
        None => std::env::current_exe().map_err(|e| Error::io(Path::new("current_exe"), e))?,
    };
    let meta = std::fs::metadata(&raw).map_err(|e| Error::io(&raw, e))?;
    if !meta.is_file() {
        return Err(Error::Other(format!(
            "{}: not a file; hint: --bin takes the path of the codex-teams executable",
            raw.display()
        )));
    }
    if !is_executable(&meta) {
        return Err(Error::Other(format!(
            "{}: not executable; hint: chmod +x it, or pass the installed binary with --bin",
            raw.display()
        )));
    }
    std::fs::canonicalize(&raw).map_err(|e| Error::io(&raw, e))
}

#[cfg(unix)]
pub(crate) fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    meta.is_file() && meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
pub(crate) fn is_executable(meta: &std::fs::Metadata) -> bool {
    meta.is_file()
}

/// Locations inside one CODEX_HOME.
struct Home {
    dir: PathBuf,
    /// Canonical form, as Codex uses it in hook trust keys.
    canonical: PathBuf,
    config: PathBuf,
    hooks: PathBuf,
    manifest: PathBuf,
}

impl Home {
    fn new(dir: &Path) -> Home {
        Home {
            dir: dir.to_path_buf(),
            canonical: canonicalize_lenient(dir),
            config: dir.join(CONFIG_FILE),
            hooks: dir.join(HOOKS_FILE),
            manifest: dir.join(MANIFEST_FILE),
        }
    }

    fn read_manifest(&self) -> Result<(Option<String>, Option<Manifest>)> {
        let text = read_optional(&self.manifest)?;
        let parsed = match &text {
            Some(t) => Some(Manifest::parse(&self.manifest, t)?),
            None => None,
        };
        Ok((text, parsed))
    }
}

/// Directories install may create, shallowest first (relative to CODEX_HOME).
const DIRS: &[&str] = &[".", "skills", skill::DIR, "skills/agent-teams/references"];

fn content_sha(text: Option<&str>) -> String {
    match text {
        Some(t) => sha256_hex(t.as_bytes()),
        None => "absent".to_string(),
    }
}

fn parse_hooks(path: &Path, text: Option<&str>) -> Result<Value> {
    match text {
        Some(t) if !t.trim().is_empty() => hooks::parse(path, t),
        _ => Ok(hooks::empty()),
    }
}

/// Computes what `install` would do to `codex_home` for binary `bin` (canonical).
pub fn plan_install(codex_home: &Path, bin: &Path) -> Result<Changes> {
    let home = Home::new(codex_home);
    let (manifest_before, old) = home.read_manifest()?;
    let mut notes = Vec::new();

    // hooks.json first: the trust key depends on where our handler lands.
    let hooks_before = read_optional(&home.hooks)?;
    let mut root = parse_hooks(&home.hooks, hooks_before.as_deref())?;
    let root_before = root.clone();
    let command = hooks::command_for(bin);
    let known: Vec<String> = old
        .iter()
        .map(|m| hooks::command_for(Path::new(&m.bin)))
        .collect();
    let slot = hooks::ensure(&mut root, &command, &known);
    let hooks_after = if hooks_before.is_some() && root == root_before {
        hooks_before.clone()
    } else {
        Some(hooks::render(&root))
    };
    let hash = hooks::handler_at(&root, slot)
        .and_then(hooks::trust_hash)
        .ok_or_else(|| Error::Other("internal: the hook just written is not a command".into()))?;
    let key = hooks::trust_key(&home.canonical, slot);

    // config.toml.
    let config_before = read_optional(&home.config)?;
    let mut doc = config::parse(&home.config, config_before.as_deref().unwrap_or(""))?;
    let server_entry_original = match &old {
        Some(m) => m.server_entry_original.clone(),
        None => doc
            .get("mcp_servers")
            .and_then(toml_edit::Item::as_table_like)
            .and_then(|t| t.get(SERVER_NAME))
            .filter(|item| {
                item.as_table_like()
                    .is_some_and(|t| !config::is_our_server(t))
            })
            .map(config::entry_to_toml),
    };
    if server_entry_original.is_some() && old.is_none() {
        notes.push(format!(
            "replacing an existing [mcp_servers.{SERVER_NAME}] (kept in the manifest; uninstall puts it back)"
        ));
    }
    let entry = ServerEntry::for_bin(bin, &doc);
    config::upsert_server(&mut doc, &home.config, &entry)?;
    let capped = config::cap_max_threads(&mut doc);
    if let Some(n) = capped {
        notes.push(format!(
            "agents.max_threads {n} -> {} (a team never runs more than 6 agents; uninstall restores {n})",
            config::MAX_THREADS_CAP
        ));
    }
    if let Some(m) = &old
        && m.hook_key != key
        && config::trusted_hash(&doc, &m.hook_key) == Some(m.hook_hash.as_str())
    {
        config::remove_trust(&mut doc, &m.hook_key);
    }
    config::set_trust(&mut doc, &home.config, &key, &hash)?;
    if config::hook_disabled(&doc, &key) {
        notes.push(format!(
            "the hook is switched off in config.toml ([hooks.state.\"{key}\"] enabled = false); \
             remove that line to let `use agents team` trigger it"
        ));
    }
    if config::defines_hooks(&doc) {
        notes.push(format!(
            "{CONFIG_FILE} defines hooks too; Codex runs both but warns \"prefer a single \
             representation\": move yours into {HOOKS_FILE} to silence it"
        ));
    }
    let config_text = doc.to_string();
    let config_after = Some(config_text);

    let mut changes = Vec::new();
    let mut push = |path: &Path, before: &Option<String>, after: &Option<String>, backup: bool| {
        if before != after {
            changes.push(FileChange {
                path: path.to_path_buf(),
                before: before.clone(),
                after: after.clone(),
                backup,
                private: false,
            });
        }
    };
    push(&home.config, &config_before, &config_after, true);
    push(&home.hooks, &hooks_before, &hooks_after, true);

    // The skill.
    let mut skill_records = Vec::new();
    for f in skill::FILES {
        let rel = format!("{}/{}", skill::DIR, f.rel);
        let path = home.dir.join(&rel);
        let before = read_optional(&path)?;
        let known = old
            .as_ref()
            .and_then(|m| m.skill.iter().find(|r| r.path == rel));
        let original = match known {
            Some(r) => r.original.clone(),
            None => before.clone().filter(|b| b != f.contents),
        };
        // A file we did not put there is the user's: keep a copy.
        let backup = known.is_none() && original.is_some();
        push(&path, &before, &Some(f.contents.to_string()), backup);
        skill_records.push(SkillRecord {
            path: rel,
            original,
            installed_sha256: sha256_hex(f.contents.as_bytes()),
        });
    }

    let mut created_dirs: Vec<String> = old
        .as_ref()
        .map(|m| m.created_dirs.clone())
        .unwrap_or_default();
    for d in DIRS {
        if !home.dir.join(d).is_dir() && !created_dirs.iter().any(|c| c == d) {
            created_dirs.push(d.to_string());
        }
    }

    let record = |old: Option<&FileRecord>, before: &Option<String>, after: &Option<String>| {
        let after_sha = content_sha(after.as_deref());
        match old {
            None => FileRecord {
                existed: before.is_some(),
                original: before.clone(),
                installed_sha256: after_sha,
                pristine: true,
            },
            Some(r) if before == after => r.clone(),
            Some(r) => FileRecord {
                existed: r.existed,
                original: r.original.clone(),
                installed_sha256: after_sha,
                pristine: r.pristine && content_sha(before.as_deref()) == r.installed_sha256,
            },
        }
    };
    let manifest = Manifest {
        format: manifest::FORMAT,
        installed_by: format!("codex-teams {}", env!("CARGO_PKG_VERSION")),
        bin: bin.to_string_lossy().into_owned(),
        config: record(
            old.as_ref().map(|m| &m.config),
            &config_before,
            &config_after,
        ),
        hooks: record(old.as_ref().map(|m| &m.hooks), &hooks_before, &hooks_after),
        hook_key: key.clone(),
        hook_hash: hash.clone(),
        max_threads_original: capped.or(old.as_ref().and_then(|m| m.max_threads_original)),
        server_entry_original,
        skill: skill_records,
        created_dirs,
    };
    let manifest_after = Some(manifest.render());
    if !changes.is_empty() || manifest_before != manifest_after {
        // The manifest goes first: if anything after it fails, uninstall still knows the
        // original bytes.
        changes.insert(
            0,
            FileChange {
                path: home.manifest.clone(),
                before: manifest_before,
                after: manifest_after,
                backup: false,
                private: true,
            },
        );
    }

    if changes.is_empty() {
        notes.push("already installed; nothing to change".to_string());
    }
    Ok(Changes {
        action: Action::Install,
        codex_home: home.dir,
        changes,
        remove_backups: Vec::new(),
        remove_dirs: Vec::new(),
        notes,
        server: Some(entry),
        hook: Some(HookTrust { command, key, hash }),
    })
}

/// Computes what `uninstall` would do to `codex_home`. Without a manifest it removes
/// codex-teams entries found by name (and says so).
pub fn plan_uninstall(codex_home: &Path) -> Result<Changes> {
    let home = Home::new(codex_home);
    let (manifest_text, manifest) = home.read_manifest()?;
    let mut notes = Vec::new();
    let mut changes = Vec::new();
    let mut remove_backups = Vec::new();
    if manifest.is_none() {
        notes.push(format!(
            "no {MANIFEST_FILE}: removing codex-teams entries by name; files cannot be restored byte for byte"
        ));
    }
    let pristine = |rec: Option<&FileRecord>, current: &str| {
        rec.is_some_and(|r| r.pristine && sha256_hex(current.as_bytes()) == r.installed_sha256)
    };

    // hooks.json: restore, or cut our handler out (noting where later hooks move).
    let hooks_before = read_optional(&home.hooks)?;
    let mut our_hashes: Vec<String> = manifest.iter().map(|m| m.hook_hash.clone()).collect();
    let mut our_keys: Vec<String> = manifest.iter().map(|m| m.hook_key.clone()).collect();
    let mut moved: Vec<(Slot, Slot)> = Vec::new();
    if let Some(cur) = &hooks_before {
        let rec = manifest.as_ref().map(|m| &m.hooks);
        let after = if pristine(rec, cur) {
            remove_backups.push(backup_path(&home.hooks));
            rec.and_then(|r| r.original.clone())
        } else {
            let mut root = parse_hooks(&home.hooks, Some(cur))?;
            let known: Vec<String> = manifest
                .iter()
                .map(|m| hooks::command_for(Path::new(&m.bin)))
                .collect();
            for slot in hooks::find_ours(&root, &known) {
                if let Some(h) = hooks::handler_at(&root, slot).and_then(hooks::trust_hash) {
                    our_hashes.push(h);
                }
                our_keys.push(hooks::trust_key(&home.canonical, slot));
            }
            let (removed, mv) = hooks::remove_ours(&mut root, &known);
            moved = mv;
            let existed = rec.is_none_or(|r| r.existed);
            if removed.is_empty() {
                Some(cur.clone())
            } else if !existed && hooks::is_empty(&root) {
                None
            } else {
                Some(hooks::render(&root))
            }
        };
        if after.as_ref() != Some(cur) {
            let backup = !pristine(rec, cur);
            if backup {
                notes.push(format!(
                    "{HOOKS_FILE} changed since install: removing only the codex-teams hook"
                ));
            }
            changes.push(FileChange {
                path: home.hooks.clone(),
                before: Some(cur.clone()),
                after,
                backup,
                private: false,
            });
        }
    }

    // config.toml.
    if let Some(cur) = read_optional(&home.config)? {
        let rec = manifest.as_ref().map(|m| &m.config);
        let after = if pristine(rec, &cur) {
            remove_backups.push(backup_path(&home.config));
            rec.and_then(|r| r.original.clone())
        } else {
            let mut doc = config::parse(&home.config, &cur)?;
            surgical_config(
                &mut doc,
                &home,
                manifest.as_ref(),
                &our_keys,
                &our_hashes,
                &moved,
            )?;
            let text = doc.to_string();
            let existed = rec.is_none_or(|r| r.existed);
            if !existed && text.trim().is_empty() {
                None
            } else {
                Some(text)
            }
        };
        if after.as_ref() != Some(&cur) {
            let backup = !pristine(rec, &cur);
            if backup {
                notes.push(format!(
                    "{CONFIG_FILE} changed since install: removing only the codex-teams entries"
                ));
            }
            changes.push(FileChange {
                path: home.config.clone(),
                before: Some(cur),
                after,
                backup,
                private: false,
            });
        }
    }

    // The skill.
    let records: Vec<SkillRecord> = match &manifest {
        Some(m) => m.skill.clone(),
        None => skill::FILES
            .iter()
            .map(|f| SkillRecord {
                path: format!("{}/{}", skill::DIR, f.rel),
                original: None,
                installed_sha256: sha256_hex(f.contents.as_bytes()),
            })
            .collect(),
    };
    for r in records {
        let path = home.dir.join(&r.path);
        let Some(cur) = read_optional(&path)? else {
            continue;
        };
        let untouched = sha256_hex(cur.as_bytes()) == r.installed_sha256;
        if untouched && r.original.is_some() {
            remove_backups.push(backup_path(&path));
        }
        if !untouched {
            notes.push(format!(
                "{} was edited since install; a backup is kept",
                r.path
            ));
        }
        if r.original.as_ref() != Some(&cur) {
            changes.push(FileChange {
                path,
                before: Some(cur),
                after: r.original.clone(),
                backup: !untouched,
                private: false,
            });
        }
    }

    let created: Vec<String> = match &manifest {
        Some(m) => m.created_dirs.clone(),
        None => vec![skill::DIR.to_string(), format!("{}/references", skill::DIR)],
    };
    let mut remove_dirs: Vec<PathBuf> = created
        .iter()
        .map(|d| {
            if d == "." {
                home.dir.clone()
            } else {
                home.dir.join(d)
            }
        })
        .collect();
    remove_dirs.sort_by_key(|p| std::cmp::Reverse(p.components().count()));

    if manifest_text.is_some() {
        changes.push(FileChange {
            path: home.manifest.clone(),
            before: manifest_text,
            after: None,
            backup: false,
            private: true,
        });
    }
    if changes.is_empty() && manifest.is_none() {
        notes.push(format!(
            "codex-teams is not installed in {}",
            home.dir.display()
        ));
    }
    Ok(Changes {
        action: Action::Uninstall,
        codex_home: home.dir,
        changes,
        remove_backups,
        remove_dirs,
        notes,
        server: None,
        hook: None,
    })
}

/// Takes our entries out of a config.toml the user has edited since install.
fn surgical_config(
    doc: &mut DocumentMut,
    home: &Home,
    manifest: Option<&Manifest>,
    our_keys: &[String],
    our_hashes: &[String],
    moved: &[(Slot, Slot)],
) -> Result<()> {
    let ours = config::server(doc).is_some_and(|t| manifest.is_some() || config::is_our_server(t));
    if ours {
        config::take_server(doc);
    }
    if let Some(orig) = manifest.and_then(|m| m.server_entry_original.as_deref()) {
        config::restore_server(doc, &home.config, orig)?;
    }
    // Only trust entries that still hold one of our hashes: after the user reorders hooks a
    // key may belong to someone else's hook.
    for key in our_keys {
        if config::trusted_hash(doc, key).is_some_and(|h| our_hashes.iter().any(|o| o == h)) {
            config::remove_trust(doc, key);
        }
    }
    for (from, to) in moved {
        config::rekey_trust(
            doc,
            &hooks::trust_key(&home.canonical, *from),
            &hooks::trust_key(&home.canonical, *to),
        );
    }
    if let Some(n) = manifest.and_then(|m| m.max_threads_original) {
        config::restore_max_threads(doc, n);
    }
    Ok(())
}

fn is_empty_dir(d: &Path) -> bool {
    std::fs::read_dir(d).is_ok_and(|mut it| it.next().is_none())
}

fn remove_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Writes `text` to `path` by way of a temporary file and a rename, so a crash never leaves
/// half a config. A symlinked file is written at its target; the mode of `like` (if it
/// exists) is kept, and `private` files are owner-only.
fn write_atomic(path: &Path, text: &str, like: Option<&Path>, private: bool) -> Result<()> {
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?
        }
        _ => path.to_path_buf(),
    };
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_string());
    let tmp = dir.join(format!(".{name}.codex-teams-tmp"));
    std::fs::write(&tmp, text).map_err(|e| Error::io(&tmp, e))?;
    let perms = like
        .and_then(|l| std::fs::metadata(l).ok())
        .map(|m| m.permissions());
    let result = set_mode(&tmp, perms, private)
        .and_then(|()| std::fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(unix)]
fn set_mode(path: &Path, like: Option<std::fs::Permissions>, private: bool) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let perms = if private {
        std::fs::Permissions::from_mode(0o600)
    } else if let Some(p) = like {
        p
    } else {
        return Ok(());
    };
    std::fs::set_permissions(path, perms).map_err(|e| Error::io(path, e))
}

#[cfg(not(unix))]
fn set_mode(path: &Path, like: Option<std::fs::Permissions>, _private: bool) -> Result<()> {
    match like {
        Some(p) => std::fs::set_permissions(path, p).map_err(|e| Error::io(path, e)),
        None => Ok(()),
    }
}
