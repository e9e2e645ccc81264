//! The maintained secret rules redaction uses: the `secretscan` crate's set, given to the
//! engine's redaction (`engine::redact`) when the program starts. The engine does not depend
//! on that crate: its library declares its CLI's dependencies (clap among them), and the
//! engine stays below the CLI.

use crate::engine::redact::{self, SupplyError};

/// Supplies the maintained rules, once per process; call it before anything is logged.
/// A second call is a no-op. Supplying after the first redaction is refused: that would
/// leave the process redacting without them, so it is an error the caller must show.
pub fn supply() -> Result<(), SupplyError> {
    let rules = secretscan::patterns::rules()
        .iter()
        .map(|rule| (rule.name, &rule.regex));
    match redact::supply_maintained_rules(rules) {
        Ok(()) | Err(SupplyError::AlreadySupplied) => Ok(()),
        Err(e) => Err(e),
    }
}
