//! `codex-teams uninstall`: takes out what `install` added. Files only install touched come
//! back byte for byte (or go, if install created them); files the user edited since lose
//! only our entries. See [`crate::integration::changes::plan_uninstall`].

use anyhow::Result;

use crate::cli::UninstallArgs;
use crate::integration::{self, changes};

pub fn run(args: &UninstallArgs) -> Result<()> {
    let home = integration::resolve_codex_home(args.codex_home.as_deref())?;
    let plan = changes::plan_uninstall(&home).map_err(super::install::nothing_written)?;
    if !args.plan.dry_run {
        plan.apply()?;
    }
    super::install::print(&plan, &args.plan)
}
