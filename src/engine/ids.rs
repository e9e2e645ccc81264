//! Typed identifiers. Every id is a prefixed UUIDv7 (time-ordered, so ids sort by creation),
//! e.g. `team_0193...`. The prefix makes a misplaced id obvious in logs and errors.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{EngineError, Result};

macro_rules! typed_id {
    ($name:ident, $prefix:literal, $what:literal) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh, time-ordered id.
            pub fn generate() -> Self {
                $name(format!("{}{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            /// Validates a caller-supplied id; `field` names the argument in the error.
            pub fn parse(field: &str, raw: &str) -> Result<Self> {
                let raw = raw.trim();
                let body = raw.strip_prefix($prefix).ok_or_else(|| {
                    EngineError::invalid(
                        field,
                        format!(
                            "`{raw}` is not a {} id; expected `{}` followed by 32 hex digits",
                            $what, $prefix
                        ),
                    )
                })?;
                if body.len() != 32 || !body.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(EngineError::invalid(
                        field,
                        format!(
                            "`{raw}` is not a {} id; expected `{}` followed by 32 hex digits",
                            $what, $prefix
                        ),
                    ));
                }
                Ok($name(raw.to_ascii_lowercase()))
            }

            /// Wraps an id read back from the database (already validated when written).
            pub fn from_db(raw: String) -> Self {
                $name(raw)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

typed_id!(TeamId, "team_", "team");
typed_id!(AgentId, "agent_", "agent");
typed_id!(TaskId, "task_", "task");
typed_id!(MessageId, "msg_", "message");
typed_id!(ArtifactId, "artv_", "artifact version");
typed_id!(DecisionId, "dec_", "decision");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back() {
        let id = TeamId::generate();
        assert_eq!(TeamId::parse("team_id", id.as_str()).ok(), Some(id));
    }

    #[test]
    fn wrong_prefix_names_the_field_and_the_expected_form() {
        let agent = AgentId::generate();
        let err = TeamId::parse("team_id", agent.as_str())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("`team_id`"), "{err}");
        assert!(err.contains("team_"), "{err}");
    }

    #[test]
    fn ids_sort_by_creation() {
        let a = TaskId::generate();
        let b = TaskId::generate();
        assert!(a < b);
    }
}
