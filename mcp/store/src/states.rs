//! The typed states stored in text columns. Each spells itself exactly as the schema's
//! `CHECK` constraint does (`migrations/V1__init.sql`), serializes as that word (snake_case),
//! and parses with an error naming the value and the valid set.

use std::fmt;
use std::str::FromStr;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

use crate::StoreError;

macro_rules! text_state {
    (
        $(#[$meta:meta])*
        $name:ident, $column:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in the schema's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored word.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses a stored word; anything else is an error naming it and the valid set.
            pub fn parse(text: &str) -> Result<$name, StoreError> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err(StoreError::Integrity(format!(
                        "{} `{}` is not one of {}",
                        $column,
                        other,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = StoreError;
            fn from_str(text: &str) -> Result<$name, StoreError> {
                $name::parse(text)
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                $name::parse(text).map_err(|e| FromSqlError::Other(Box::new(e)))
            }
        }

        /// Described as the word it is sent as: a plain string, exactly as the `String`
        /// fields it replaced, so the tools' published schemas do not change.
        impl schemars::JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> std::borrow::Cow<'static, str> {
                <String as schemars::JsonSchema>::schema_name()
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                <String as schemars::JsonSchema>::json_schema(generator)
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }
    };
}

text_state! {
    /// An agent's lifecycle state (`agents.state`).
    AgentState, "agent state" {
        /// Spawned; its process has not yet made its first call.
        Starting => "starting",
        /// Working (made a call recently).
        Active => "active",
        /// Alive but waiting.
        Idle => "idle",
        /// Stopped on purpose (by the lead, a budget, or at finalize).
        Stopped => "stopped",
        /// Its process died or stopped answering.
        Dead => "dead",
    }
}

impl AgentState {
    /// Whether an agent in this state is alive: starting, active or idle.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            AgentState::Starting | AgentState::Active | AgentState::Idle
        )
    }
}

text_state! {
    /// A task's status as callers see it: the stored `open` is split into `ready` (every
    /// dependency done) and `blocked`.
    TaskStatus, "task status" {
        Ready => "ready",
        Blocked => "blocked",
        Claimed => "claimed",
        Done => "done",
        Failed => "failed",
        Cancelled => "cancelled",
    }
}

impl TaskStatus {
    /// Whether a task in this status is finished (done, failed or cancelled).
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            TaskStatus::Done | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }
}

impl TaskStatus {
    /// The status this one is stored as: `ready` and `blocked` are both `open`.
    pub fn stored(self) -> StoredTaskStatus {
        match self {
            TaskStatus::Ready | TaskStatus::Blocked => StoredTaskStatus::Open,
            TaskStatus::Claimed => StoredTaskStatus::Claimed,
            TaskStatus::Done => StoredTaskStatus::Done,
            TaskStatus::Failed => StoredTaskStatus::Failed,
            TaskStatus::Cancelled => StoredTaskStatus::Cancelled,
        }
    }
}

text_state! {
    /// A task's status as stored (`tasks.status`): callers see `open` as `ready` or
    /// `blocked` ([`TaskStatus`]).
    StoredTaskStatus, "stored task status" {
        Open => "open",
        Claimed => "claimed",
        Done => "done",
        Failed => "failed",
        Cancelled => "cancelled",
    }
}

text_state! {
    /// A decision's state (`decisions.status`).
    DecisionState, "decision status" {
        Open => "open",
        Resolved => "resolved",
        /// Closed by a `fail` fallback: no winner, the lead must act.
        Failed => "failed",
    }
}

text_state! {
    /// A team's state (`teams.state`).
    TeamState, "team state" {
        Active => "active",
        Finalized => "finalized",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_round_trips_through_its_word_and_json() {
        for s in AgentState::ALL {
            assert_eq!(AgentState::parse(s.as_str()).ok(), Some(*s));
            let json = serde_json::to_string(s).expect("json");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.as_str()).ok(), Some(*s));
            let json = serde_json::to_string(s).expect("json");
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        for s in TeamState::ALL {
            assert_eq!(TeamState::parse(s.as_str()).ok(), Some(*s));
        }
        for s in DecisionState::ALL {
            assert_eq!(DecisionState::parse(s.as_str()).ok(), Some(*s));
        }
        for s in StoredTaskStatus::ALL {
            assert_eq!(StoredTaskStatus::parse(s.as_str()).ok(), Some(*s));
        }
    }

    #[test]
    fn a_word_outside_the_set_is_an_error_naming_it_and_the_valid_set() {
        let err = AgentState::parse("zombie")
            .map(|_| ())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "integrity: agent state `zombie` is not one of starting, active, idle, stopped, dead"
            )
        );
        let err = TaskStatus::parse("open")
            .map(|_| ())
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "integrity: task status `open` is not one of ready, blocked, claimed, done, failed, cancelled"
            )
        );
    }

    #[test]
    fn ready_and_blocked_are_stored_as_open_and_the_rest_as_themselves() {
        for s in TaskStatus::ALL {
            let stored = s.stored();
            match s {
                TaskStatus::Ready | TaskStatus::Blocked => {
                    assert_eq!(stored, StoredTaskStatus::Open)
                }
                _ => assert_eq!(stored.as_str(), s.as_str()),
            }
        }
    }

    #[test]
    fn a_state_is_described_as_a_plain_string_in_schemas() {
        let state = serde_json::to_value(schemars::schema_for!(TaskStatus)).expect("json");
        let string = serde_json::to_value(schemars::schema_for!(String)).expect("json");
        assert_eq!(state, string);
    }

    #[test]
    fn liveness_is_starting_active_or_idle() {
        let live: Vec<_> = AgentState::ALL.iter().filter(|s| s.is_live()).collect();
        assert_eq!(
            live,
            [
                &AgentState::Starting,
                &AgentState::Active,
                &AgentState::Idle
            ]
        );
    }
}
