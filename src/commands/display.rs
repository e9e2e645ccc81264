//! What the printing commands share: short ids people can read and type back, colour only
//! on a terminal that wants it, and counts with their noun in the right number.

use std::collections::HashSet;
use std::io::IsTerminal;

use anyhow::{Result, bail};

use crate::engine::Engine;
use crate::engine::ids::TeamId;
use crate::engine::store::TeamState;

/// Hex digits of an id's tail shown by default; more only when two shown ids share them.
const SHORT_DIGITS: usize = 6;

/// Short forms of typed ids (`team_0193...c4d5e6` -> `team_..c4d5e6`), each unique among
/// the ids it was built from. The tail, not the head: ids are UUIDv7, whose first digits
/// are a timestamp shared by everything a team creates in the same minute.
pub struct ShortIds {
    ids: Vec<String>,
}

impl ShortIds {
    pub fn new<'a>(ids: impl IntoIterator<Item = &'a str>) -> ShortIds {
        let mut seen = HashSet::new();
        let ids = ids
            .into_iter()
            .filter(|id| seen.insert(*id))
            .map(str::to_string)
            .collect();
        ShortIds { ids }
    }

    /// The shortest tail of at least [`SHORT_DIGITS`] digits no other id of the same kind
    /// ends with; ids that are not `<kind>_<hex>` are returned whole.
    pub fn short(&self, id: &str) -> String {
        let Some((kind, hex)) = id
            .split_once('_')
            .filter(|(k, h)| k.bytes().all(|b| b.is_ascii_lowercase()) && is_hex(h))
        else {
            // Not an id itself (an artifact ref such as `art:result/task_...@1`): shorten
            // the known ids inside it.
            let mut text = id.to_string();
            for known in &self.ids {
                if known != id && text.contains(known.as_str()) {
                    text = text.replace(known.as_str(), &self.short(known));
                }
            }
            return text;
        };
        if hex.len() <= SHORT_DIGITS {
            return id.to_string();
        }
        for n in SHORT_DIGITS..hex.len() {
            let tail = &hex[hex.len() - n..];
            let clash = self.ids.iter().any(|other| {
                other != id
                    && other
                        .split_once('_')
                        .is_some_and(|(k, h)| k == kind && h.ends_with(tail))
            });
            if !clash {
                return format!("{kind}_..{tail}");
            }
        }
        id.to_string()
    }
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A team named on the command line: the full id, a unique prefix (`team_0193ab`, `0193ab`)
/// or the short form `status` prints (`team_..c4d5e6`, `..c4d5e6`).
pub fn resolve_team(engine: &Engine, field: &str, raw: &str) -> Result<TeamId> {
    if let Ok(id) = TeamId::parse(field, raw) {
        return Ok(id);
    }
    let text = raw.trim().to_ascii_lowercase();
    let body = text.strip_prefix(TeamId::PREFIX).unwrap_or(&text);
    let (tail, digits) = match body.strip_prefix("..") {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!(
            "{field}: `{raw}` is not a team id; give the full id (`team_` and 32 hex digits), \
             a unique prefix of it, or the short form status prints (`team_..c4d5e6`)"
        );
    }
    let matches: Vec<String> = engine
        .all_team_ids()?
        .into_iter()
        .filter(|id| {
            let hex = id.strip_prefix(TeamId::PREFIX).unwrap_or(id);
            if tail {
                hex.ends_with(digits)
            } else {
                hex.starts_with(digits)
            }
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(TeamId::from_db(one.clone())),
        [] => bail!(
            "{field}: no team matches `{raw}`; hint: `codex-teams status --all` lists every team"
        ),
        many => bail!(
            "{field}: `{raw}` matches {} teams ({}); give more digits",
            many.len(),
            many.join(", ")
        ),
    }
}

/// `1 worker`, `2 workers`.
pub fn count(n: impl Into<i64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Whether stdout gets colour: a terminal, `NO_COLOR` unset or empty, and not `TERM=dumb`.
pub fn stdout_colour() -> bool {
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// Colours for text on a terminal; plain text when `on` is false.
#[derive(Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    pub fn stdout() -> Paint {
        Paint {
            on: stdout_colour(),
        }
    }

    fn wrap(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn green(self, text: &str) -> String {
        self.wrap("32", text)
    }

    pub fn red(self, text: &str) -> String {
        self.wrap("31", text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.wrap("33", text)
    }

    pub fn bold(self, text: &str) -> String {
        self.wrap("1", text)
    }

    /// A team's state in the colour of what it means: at work, or over.
    pub fn team_state(self, state: TeamState) -> String {
        match state {
            TeamState::Active => self.yellow(state.as_str()),
            TeamState::Finalized => self.green(state.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_take_more_digits_only_on_a_clash() {
        let a = "team_0193ab00000070008000000000a1b2c3";
        let b = "team_0193ab00000070008000000001a1b2c3";
        let c = "team_0193ab000000700080000000000fffff";
        let ids = ShortIds::new([a, b, c]);
        assert_eq!(ids.short(a), "team_..0a1b2c3");
        assert_eq!(ids.short(b), "team_..1a1b2c3");
        assert_eq!(ids.short(c), "team_..0fffff");
        // Another kind with the same tail does not clash.
        let task = "task_0193ab00000070008000000001a1b2c3";
        let ids = ShortIds::new([a, task]);
        assert_eq!(ids.short(a), "team_..a1b2c3");
        // An artifact ref names a task: the task's id inside it is shortened too.
        assert_eq!(
            ids.short(&format!("art:result/{task}@1")),
            "art:result/task_..a1b2c3@1"
        );
        assert_eq!(ids.short("art:fix@1"), "art:fix@1");
    }

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(count(1, "worker"), "1 worker");
        assert_eq!(count(0, "worker"), "0 workers");
        assert_eq!(count(6, "worker"), "6 workers");
    }
}
