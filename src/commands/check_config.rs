//! `codex-teams check-config`: checks each piece of the installation and prints OK or FAIL
//! with the fix for each; exits non-zero on any FAIL. The Codex side (release, server entry,
//! binary, approvals, skill, hook trust) is [`crate::integration::check`].

use anyhow::{Result, bail};

use crate::cli::CheckConfigArgs;
use crate::commands::Paths;
use crate::commands::display::Paint;
use crate::engine::arbitration::mode_str;
use crate::engine::policy::visible_profiles;
use crate::engine::store::Store;
use crate::integration::{self, check::Finding};

/// One check: OK (possibly with a warning, e.g. an untested Codex release) or FAIL with
/// its fix; the same type for the Codex side and ours.
pub type Check = Finding;

fn ok(name: String, detail: String) -> Check {
    Finding::ok(&name, detail)
}

fn fail(name: String, detail: String, fix: &str) -> Check {
    Finding::fail(&name, detail, fix)
}

/// The checks that need no Codex installation: the database and every visible profile.
pub fn core_checks(paths: &Paths, workspace: Option<&std::path::Path>) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.push(database_check(&paths.db));
    let mut dirs = Vec::new();
    if let Some(ws) = workspace {
        dirs.push(ws.join(".codex-teams").join("profiles"));
    }
    dirs.push(paths.home.join("profiles"));
    for p in visible_profiles(&dirs) {
        let name = format!("profile {}", p.name);
        let hides = p
            .overrides
            .map(|o| format!(" (overrides {o})"))
            .unwrap_or_default();
        checks.push(match p.loaded {
            Ok(profile) => ok(
                name,
                format!(
                    "{}{hides}: max_threads {}, team budget {} tokens, {} merges",
                    p.origin,
                    profile.max_threads,
                    profile.budget.team_tokens,
                    mode_str(profile.arbitration.mode)
                ),
            ),
            Err(e) => fail(
                name,
                e.to_string(),
                "fix the file as the message says (keys and types: `codex-teams help profiles`), or delete it",
            ),
        });
    }
    checks
}

/// The database opens; a missing one is fine (init or the first team creates it) as long as
/// it could be created there. A check creates nothing.
fn database_check(db: &std::path::Path) -> Check {
    const FIX: &str =
        "run `codex-teams init`, or point --db / CODEX_TEAMS_DB at a writable local path";
    if !db.exists() {
        let ancestor = db.ancestors().skip(1).find(|a| a.exists());
        return match ancestor {
            Some(dir) if !dir.is_dir() => fail(
                "database".into(),
                format!("{}: {} is not a directory", db.display(), dir.display()),
                FIX,
            ),
            _ => ok(
                "database".into(),
                format!(
                    "{} (not created yet: `codex-teams init` or the first team creates it)",
                    db.display()
                ),
            ),
        };
    }
    match Store::open(db) {
        Ok(_) => ok("database".into(), db.display().to_string()),
        Err(e) => fail("database".into(), e.to_string(), FIX),
    }
}

/// Everything codex-teams keeps in its home (and the database and its side files, wherever
/// they are) must be readable by the user alone: other local users could otherwise read
/// every message, artifact and brief. `fix` removes group and other bits.
pub fn private_files_check(paths: &Paths, fix: bool) -> Check {
    use std::os::unix::fs::PermissionsExt;
    let mut loose: Vec<(std::path::PathBuf, u32)> = Vec::new();
    let mut seen = 0usize;
    let mut visit = |path: &std::path::Path, loose: &mut Vec<(std::path::PathBuf, u32)>| {
        if let Ok(meta) = std::fs::symlink_metadata(path)
            && !meta.file_type().is_symlink()
        {
            seen += 1;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                loose.push((path.to_path_buf(), mode));
            }
        }
    };
    // The home, two levels deep (logs/, profiles/, smoke/, bench/...), at most 10,000 entries.
    if paths.home.is_dir() {
        visit(&paths.home, &mut loose);
        let mut stack = vec![(paths.home.clone(), 0u8)];
        while let Some((dir, depth)) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten().take(10_000) {
                let path = entry.path();
                visit(&path, &mut loose);
                if depth < 2 && entry.file_type().is_ok_and(|t| t.is_dir()) {
                    stack.push((path, depth + 1));
                }
            }
        }
    }
    if !paths.db.starts_with(&paths.home) {
        for suffix in ["", "-wal", "-shm", ".lock", ".checkpoint.lock"] {
            let mut name = paths.db.as_os_str().to_owned();
            name.push(suffix);
            visit(std::path::Path::new(&name), &mut loose);
        }
    }
    if loose.is_empty() {
        return ok(
            "private files".into(),
            format!("{} entries, none readable by other users", seen),
        );
    }
    if fix {
        let mut failed = Vec::new();
        for (path, mode) in &loose {
            let tightened =
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & !0o077));
            if let Err(e) = tightened {
                failed.push(format!("{}: {e}", path.display()));
            }
        }
        return if failed.is_empty() {
            ok(
                "private files".into(),
                format!("tightened {} entries to owner-only", loose.len()),
            )
        } else {
            fail(
                "private files".into(),
                format!("could not tighten {}", failed.join("; ")),
                "chmod go-rwx those paths yourself",
            )
        };
    }
    let (first, mode) = &loose[0];
    fail(
        "private files".into(),
        format!(
            "{} entries other users can read, e.g. {} ({mode:o})",
            loose.len(),
            first.display()
        ),
        "codex-teams check-config --fix (directories 0700, files 0600)",
    )
}

pub fn run(args: &CheckConfigArgs, paths: &Paths) -> Result<()> {
    let workspace = args
        .workspace
        .clone()
        .or_else(|| std::env::current_dir().ok());
    let mut checks: Vec<Check> = vec![integration::check::codex_version(Some(&paths.home))];
    match integration::resolve_codex_home(args.codex_home.as_deref()) {
        Ok(home) => checks.extend(integration::check::inspect(&home)),
        Err(e) => checks.push(fail(
            "codex home".into(),
            e.to_string(),
            "set CODEX_HOME or pass --codex-home DIR",
        )),
    }
    checks.extend(core_checks(paths, workspace.as_deref()));
    checks.push(private_files_check(paths, args.fix));
    let failed = checks.iter().filter(|c| !c.ok).count();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "ok": failed == 0,
                "codex_teams": crate::version::BUILD,
                "checks": checks
            }))?
        );
    } else {
        let paint = Paint::stdout();
        println!("codex-teams {}", crate::version::LINE);
        for c in &checks {
            println!(
                "{} {:<20} {}",
                if c.ok {
                    paint.green("OK  ")
                } else {
                    paint.red("FAIL")
                },
                c.name,
                c.detail
            );
            if let Some(warning) = &c.warning {
                println!("     {} {warning}", paint.yellow("warning:"));
            }
            if let Some(fix) = &c.fix {
                println!("     fix: {fix}");
            }
        }
    }
    if failed > 0 {
        bail!("{failed} check(s) failed");
    }
    Ok(())
}
