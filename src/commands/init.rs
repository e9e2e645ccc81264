//! `codex-teams init`: create the home directory and the database.

use anyhow::Result;
use serde_json::json;

use crate::cli::InitArgs;
use crate::commands::Paths;

pub fn run(args: &InitArgs, paths: &Paths) -> Result<()> {
    crate::engine::private::create_dir_all(&paths.home.join("profiles"))?;
    paths.open()?;
    if args.json {
        println!(
            "{}",
            json!({ "home": paths.home, "db": paths.db, "profiles": paths.home.join("profiles") })
        );
    } else {
        println!("home     {}", paths.home.display());
        println!("database {}", paths.db.display());
        println!("profiles {}", paths.home.join("profiles").display());
    }
    Ok(())
}
