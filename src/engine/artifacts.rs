//! Artifacts: named, versioned, checksummed content that agents exchange by compact
//! reference (`art:<name>@<version>`) instead of pasting it into messages.
//!
//! Versions are append-only. Publishing a name that exists needs `parent` = the latest
//! version; a stale parent is a conflict that reports the latest, never an overwrite.
//! Reads recompute the sha256 and refuse content that does not match.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{EngineError, Result};
use crate::events::{self, Trace};
use crate::ids::{ArtifactId, TeamId};
use crate::store::{self, now_ms};
use crate::{Caller, Engine};

/// Largest artifact accepted (bytes).
pub const CONTENT_MAX: usize = 4 * 1024 * 1024;
const NAME_MAX: usize = 128;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Published {
    #[serde(rename = "ref")]
    pub reference: String,
    pub artifact_id: String,
    pub version: i64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ArtifactContent {
    #[serde(rename = "ref")]
    pub reference: String,
    pub artifact_id: String,
    pub version: i64,
    pub sha256: String,
    pub author: String,
    pub content: String,
}

/// A parsed artifact reference: a name and a version (None = latest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtRef {
    pub name: String,
    pub version: Option<i64>,
}

pub fn reference(name: &str, version: i64) -> String {
    format!("art:{name}@{version}")
}

fn sha256_hex(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()))
}

fn check_name(field: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= NAME_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    if ok {
        Ok(())
    } else {
        Err(EngineError::invalid(
            field,
            format!(
                "`{name}` is not an artifact name; use 1-{NAME_MAX} of letters, digits, `-_./`"
            ),
        ))
    }
}

/// Parses `art:<name>@<version>`, `art:<name>` (latest) or a bare `<name>@<version>`.
pub fn parse_ref(field: &str, raw: &str) -> Result<ArtRef> {
    let raw = raw.trim();
    let body = raw.strip_prefix("art:").unwrap_or(raw);
    let (name, version) = match body.rsplit_once('@') {
        Some((n, v)) => {
            let v: i64 = v.parse().ok().filter(|v| *v >= 1).ok_or_else(|| {
                EngineError::invalid(
                    field,
                    format!("`{raw}`: version after `@` must be a number >= 1"),
                )
            })?;
            (n, Some(v))
        }
        None => (body, None),
    };
    check_name(field, name).map_err(|_| {
        EngineError::invalid(
            field,
            format!("`{raw}` is not an artifact ref; expected art:<name>@<version>"),
        )
    })?;
    Ok(ArtRef {
        name: name.to_string(),
        version,
    })
}

impl Engine {
    /// Publishes a new version of `name`. `parent` is the version (or ref) it builds on;
    /// required when the name exists, and it must be the latest.
    pub fn artifact_publish(
        &self,
        caller: &Caller,
        name: &str,
        content: &str,
        parent: Option<&str>,
    ) -> Result<Published> {
        self.check_live(caller)?;
        check_name("name", name)?;
        if content.len() > CONTENT_MAX {
            return Err(EngineError::Limit(format!(
                "`content` is {} bytes; artifacts are at most {CONTENT_MAX} bytes",
                content.len()
            )));
        }
        let parent = match parent {
            None => None,
            Some(p) => {
                let parsed = match p.trim().parse::<i64>() {
                    Ok(v) if v >= 1 => ArtRef {
                        name: name.to_string(),
                        version: Some(v),
                    },
                    _ => parse_ref("parent", p)?,
                };
                if parsed.name != name {
                    return Err(EngineError::invalid(
                        "parent",
                        format!("`{p}` is a version of `{}`, not of `{name}`", parsed.name),
                    ));
                }
                Some(parsed.version.ok_or_else(|| {
                    EngineError::invalid(
                        "parent",
                        format!("`{p}` needs a version: art:{name}@<version>"),
                    )
                })?)
            }
        };
        let sha = sha256_hex(content);
        let id = ArtifactId::generate();
        let team = caller.team_id.as_str();
        let quota = self.team_profile(&caller.team_id)?.storage.team_bytes;
        self.store().write(|tx| {
            let used = store::artifacts::team_bytes(tx, team)?;
            if used + content.len() as i64 > quota {
                return Err(EngineError::Limit(format!(
                    "team storage quota: the team's artifacts hold {used} bytes and `content` is {} more, over the profile's storage.team_bytes {quota}; hint: publish less, or raise storage.team_bytes in a profile of your own",
                    content.len()
                )));
            }
            let latest = store::artifacts::latest_version(tx, team, name)?;
            match (latest, parent) {
                (None, Some(p)) => {
                    return Err(EngineError::conflict(
                        format!("`{name}` has no version {p}; it does not exist yet, publish without parent"),
                        json!({ "name": name, "latest": null }),
                    ));
                }
                (Some(l), None) => {
                    return Err(EngineError::conflict(
                        format!("`{name}` already exists at version {l}; pass parent {} to publish on top of it", reference(name, l)),
                        json!({ "name": name, "latest": reference(name, l) }),
                    ));
                }
                (Some(l), Some(p)) if p != l => {
                    return Err(EngineError::conflict(
                        format!("parent {} is stale; the latest is {}; read it, merge, and publish with that parent", reference(name, p), reference(name, l)),
                        json!({ "name": name, "latest": reference(name, l) }),
                    ));
                }
                _ => {}
            }
            let version = latest.unwrap_or(0) + 1;
            store::artifacts::insert(
                tx,
                &store::artifacts::NewArtifact {
                    artifact_id: id.as_str(),
                    team_id: team,
                    name,
                    version,
                    content,
                    sha256: &sha,
                    author: caller.agent_id.as_str(),
                    now: now_ms(),
                },
            )?;
            events::record(
                tx,
                &Trace::team(&caller.team_id).agent(&caller.agent_id).artifact(&id),
                "artifact.published",
                json!({ "ref": reference(name, version), "sha256": sha, "bytes": content.len() }),
            )?;
            Ok(Published {
                reference: reference(name, version),
                artifact_id: id.to_string(),
                version,
                sha256: sha.clone(),
            })
        })
    }

    /// Reads an artifact by ref (or artifact id), verifying its checksum.
    pub fn artifact_read(&self, caller: &Caller, raw: &str) -> Result<ArtifactContent> {
        let team = caller.team_id.as_str();
        let row = self.store().read(|c| -> Result<_> {
            if raw.trim().starts_with(ArtifactId::PREFIX) {
                let id = ArtifactId::parse("ref", raw)?;
                return Ok(
                    store::artifacts::get_by_id(c, id.as_str())?.filter(|a| a.team_id == team)
                );
            }
            let r = parse_ref("ref", raw)?;
            let version = match r.version {
                Some(v) => Some(v),
                None => store::artifacts::latest_version(c, team, &r.name)?,
            };
            match version {
                Some(v) => Ok(store::artifacts::get(c, team, &r.name, v)?),
                None => Ok(None),
            }
        })?;
        let row = row.ok_or_else(|| {
            EngineError::not_found_hint(
                "artifact",
                raw.trim(),
                "see task_list artifacts or ask the publisher",
            )
        })?;
        let actual = sha256_hex(&row.content);
        if actual != row.sha256 {
            return Err(EngineError::Integrity(format!(
                "artifact {} failed its checksum (stored {}, computed {actual}); it was changed outside codex-teams",
                reference(&row.name, row.version),
                row.sha256
            )));
        }
        Ok(ArtifactContent {
            reference: reference(&row.name, row.version),
            artifact_id: row.artifact_id,
            version: row.version,
            sha256: row.sha256,
            author: row.author,
            content: row.content,
        })
    }

    /// Resolves a caller-supplied ref to the canonical `art:<name>@<version>` of an
    /// existing artifact of `team`.
    pub fn resolve_ref_for_team(&self, team: &TeamId, raw: &str, field: &str) -> Result<String> {
        let r = parse_ref(field, raw)?;
        let found = self.store().read(|c| -> Result<_> {
            let version = match r.version {
                Some(v) => Some(v),
                None => store::artifacts::latest_version(c, team.as_str(), &r.name)?,
            };
            match version {
                Some(v) => {
                    Ok(store::artifacts::get(c, team.as_str(), &r.name, v)?.map(|a| a.version))
                }
                None => Ok(None),
            }
        })?;
        found.map(|v| reference(&r.name, v)).ok_or_else(|| {
            EngineError::not_found_hint(
                "artifact",
                raw.trim(),
                &format!("`{field}` must name a published artifact of this team"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_parse_in_all_accepted_forms() {
        assert_eq!(
            parse_ref("ref", "art:plan.md@3").ok(),
            Some(ArtRef {
                name: "plan.md".into(),
                version: Some(3)
            })
        );
        assert_eq!(
            parse_ref("ref", "art:src/a.rs").ok(),
            Some(ArtRef {
                name: "src/a.rs".into(),
                version: None
            })
        );
        assert_eq!(
            parse_ref("ref", "notes@1").ok(),
            Some(ArtRef {
                name: "notes".into(),
                version: Some(1)
            })
        );
    }

    #[test]
    fn bad_refs_name_the_field() {
        for bad in ["art:@1", "art:x@0", "art:x@one", "art:a b@1", ""] {
            let err = parse_ref("ref", bad)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("`ref`"), "{bad}: {err}");
        }
    }
}
