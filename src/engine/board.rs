//! The task board: tasks with dependencies (cycles and unknown ids refused), sizes,
//! priorities, an owner, a lease and a version. A claim is one compare-and-set UPDATE inside
//! a `BEGIN IMMEDIATE` transaction, so across any number of processes exactly one claimant
//! wins; the others are told who holds the task. Leases are renewed by any call of the
//! owner; an expired lease puts the task back to ready.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{EngineError, Result};
use crate::events::{self, Trace};
use crate::ids::{AgentId, TaskId};
use crate::roles::{FIRST_TASK_MARK, Role};
use crate::store::{self, StoredTaskStatus, TaskStatus, board::TaskRow, now_ms};
use crate::{Caller, Engine};

const TITLE_MAX: usize = 200;
const DETAIL_MAX: usize = 4000;
const NOTE_MAX: usize = 1000;
/// Most tasks one `task_create` call may add.
pub const BATCH_MAX: usize = 50;

/// `key`: a name sibling tasks' `deps` can use
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub title: String,
    #[serde(default)]
    pub detail: Option<String>,
    // Ids of existing tasks, or keys of tasks in the same batch.
    #[serde(default)]
    pub deps: Vec<String>,
    // s | m | l (default m)
    #[serde(default)]
    pub size: Option<String>,
    // Only workers of this role may claim it.
    #[serde(default)]
    pub role: Option<String>,
    // Higher is claimed first (default 0).
    #[serde(default)]
    pub priority: Option<i64>,
    // A name for this task within the batch, for `deps`.
    #[serde(default)]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreatedTask {
    pub task_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// ready | blocked
    pub status: TaskStatus,
}

/// Tasks per `task_list` page when the call names no `limit`: sized for a model's context.
pub const TASK_PAGE_DEFAULT: u32 = 50;
/// The largest `limit` a `task_list` call may ask for.
pub const TASK_PAGE_MAX: u32 = 500;

/// `task_list`'s result: one page of tasks.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskPage {
    pub tasks: Vec<TaskView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// How many more tasks (matching `status`) follow this page.
    pub more: i64,
}

/// A task as listed: compact, without its detail (a claim returns the detail).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskView {
    pub task_id: String,
    pub title: String,
    /// ready | blocked | claimed | done | failed | cancelled
    pub status: TaskStatus,
    pub size: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub priority: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deps: Vec<String>,
    pub version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifact: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Claimed {
    /// False when no task was ready for the caller; `reason` says why.
    pub claimed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leased_until: Option<i64>,
    /// Artifacts published by the task's dependencies: read them with artifact_read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Claimed {
    /// The brief's line naming the task claimed for a new worker, when one was.
    pub fn brief_line(&self) -> Option<String> {
        if !self.claimed {
            return None;
        }
        let mut line = format!(
            "{FIRST_TASK_MARK}{} \"{}\"",
            self.task_id.as_deref()?,
            self.title.as_deref().unwrap_or("")
        );
        if let Some(d) = self.detail.as_deref().filter(|d| !d.is_empty()) {
            line.push_str(&format!(": {d}"));
        }
        if !self.inputs.is_empty() {
            line.push_str(&format!(". Inputs: {}", self.inputs.join(", ")));
        }
        Some(line)
    }

    /// No task for the caller, and why.
    pub fn nothing(reason: String) -> Claimed {
        Claimed {
            claimed: false,
            task_id: None,
            title: None,
            detail: None,
            version: None,
            leased_until: None,
            inputs: Vec::new(),
            reason: Some(reason),
        }
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Updated {
    pub task_id: String,
    pub status: TaskStatus,
    pub version: i64,
}

/// Statuses `task_update` accepts.
const UPDATE_STATUSES: &[TaskStatus] = &[
    TaskStatus::Claimed,
    TaskStatus::Done,
    TaskStatus::Failed,
    TaskStatus::Ready,
    TaskStatus::Cancelled,
];

fn parse_size(raw: Option<&str>) -> Result<&'static str> {
    match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        None | Some("m") | Some("medium") => Ok("m"),
        Some("") => Err(EngineError::invalid(
            "size",
            "is empty; valid: s, m, l (or leave it out for m)",
        )),
        Some("s") | Some("small") => Ok("s"),
        Some("l") | Some("large") => Ok("l"),
        Some(other) => Err(EngineError::invalid(
            "size",
            format!("`{other}` is not a size; valid: s, m, l"),
        )),
    }
}

/// `states` as the words a caller writes, for an error's list of valid values.
fn words(states: &[TaskStatus]) -> String {
    states
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_len(field: &str, value: &str, max: usize) -> Result<()> {
    if value.len() > max {
        return Err(EngineError::invalid(
            field,
            format!(
                "{} bytes is over the {max}-byte limit; put long text in an artifact",
                value.len()
            ),
        ));
    }
    Ok(())
}

fn view(row: TaskRow, deps: Vec<String>) -> TaskView {
    let claimed = row.shown == TaskStatus::Claimed;
    TaskView {
        deps,
        owner: if claimed { row.owner } else { None },
        task_id: row.task_id,
        title: row.title,
        status: row.shown,
        size: row.size,
        role: row.role,
        priority: row.priority,
        version: row.version,
        artifact: row.artifact,
        note: row.note,
    }
}

impl Engine {
    /// Creates one or more tasks atomically (lead only). Dependencies may name existing
    /// tasks of the team or `key`s of tasks in the same batch; unknown ids and cycles are
    /// refused and nothing is written.
    pub fn task_create(&self, caller: &Caller, batch: &[NewTask]) -> Result<Vec<CreatedTask>> {
        caller.require_lead("task_create")?;
        self.check_live(caller)?;
        if batch.is_empty() {
            return Err(EngineError::invalid(
                "title",
                "missing; give a title (or `tasks`)",
            ));
        }
        if batch.len() > BATCH_MAX {
            return Err(EngineError::invalid(
                "tasks",
                format!("{} tasks in one call; at most {BATCH_MAX}", batch.len()),
            ));
        }
        // Validate every field and give every task its id before touching the store.
        let mut ids: Vec<TaskId> = Vec::with_capacity(batch.len());
        let mut keys: BTreeMap<String, usize> = BTreeMap::new();
        let mut sizes = Vec::with_capacity(batch.len());
        let mut roles = Vec::with_capacity(batch.len());
        for (i, t) in batch.iter().enumerate() {
            let field = |f: &str| {
                if batch.len() == 1 {
                    f.to_string()
                } else {
                    format!("tasks[{i}].{f}")
                }
            };
            if t.title.trim().is_empty() {
                return Err(EngineError::invalid(
                    field("title"),
                    "empty; give the task a title",
                ));
            }
            check_len(&field("title"), &t.title, TITLE_MAX)?;
            if let Some(d) = &t.detail {
                check_len(&field("detail"), d, DETAIL_MAX)?;
            }
            sizes.push(parse_size(t.size.as_deref()).map_err(|e| match e {
                EngineError::Invalid { message, .. } => {
                    EngineError::invalid(field("size"), message)
                }
                other => other,
            })?);
            roles.push(match &t.role {
                Some(r) => Some(Role::parse_worker(&field("role"), r)?),
                None => None,
            });
            if let Some(k) = &t.key
                && keys.insert(k.clone(), i).is_some()
            {
                return Err(EngineError::invalid(
                    field("key"),
                    format!("`{k}` is used twice in this batch"),
                ));
            }
            ids.push(TaskId::generate());
        }
        // Resolve deps: batch keys to new ids, everything else must be an existing task id.
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); batch.len()];
        let mut external: Vec<BTreeSet<String>> = vec![BTreeSet::new(); batch.len()];
        for (i, t) in batch.iter().enumerate() {
            for dep in &t.deps {
                if let Some(&j) = keys.get(dep) {
                    edges[i].push(j);
                } else {
                    let field = if batch.len() == 1 {
                        "deps".to_string()
                    } else {
                        format!("tasks[{i}].deps")
                    };
                    let id = TaskId::parse(&field, dep).map_err(|_| {
                        EngineError::invalid(
                            &field,
                            format!("`{dep}` is neither a task id nor a key of this batch"),
                        )
                    })?;
                    external[i].insert(id.to_string());
                }
            }
        }
        if let Some(cycle) = find_cycle(&edges) {
            let names: Vec<String> = cycle
                .iter()
                .map(|&i| {
                    batch[i]
                        .key
                        .clone()
                        .unwrap_or_else(|| format!("tasks[{i}]"))
                })
                .collect();
            return Err(EngineError::invalid(
                "deps",
                format!("dependency cycle: {}", names.join(" -> ")),
            ));
        }
        let now = now_ms();
        self.store().write(|tx| {
            for (i, deps) in external.iter().enumerate() {
                for dep in deps {
                    let found = store::board::task(tx, dep, now)?;
                    if found.is_none_or(|t| t.team_id != caller.team_id.as_str()) {
                        return Err(EngineError::not_found_hint(
                            "task",
                            dep.clone(),
                            &format!("tasks[{i}].deps must name tasks of this team"),
                        ));
                    }
                }
            }
            let first_seq = store::board::next_seq(tx, caller.team_id.as_str())?;
            for (i, t) in batch.iter().enumerate() {
                store::board::insert(
                    tx,
                    &store::board::NewTask {
                        task_id: ids[i].as_str(),
                        team_id: caller.team_id.as_str(),
                        title: t.title.trim(),
                        detail: t.detail.as_deref(),
                        size: sizes[i],
                        role: roles[i].map(Role::as_str),
                        priority: t.priority.unwrap_or(0),
                        seq: first_seq + i as i64,
                        now,
                    },
                )?;
            }
            for i in 0..batch.len() {
                for &j in &edges[i] {
                    store::board::insert_dep(tx, ids[i].as_str(), ids[j].as_str())?;
                }
                for dep in &external[i] {
                    store::board::insert_dep(tx, ids[i].as_str(), dep)?;
                }
            }
            let mut out = Vec::with_capacity(batch.len());
            for (i, t) in batch.iter().enumerate() {
                let row = store::board::task(tx, ids[i].as_str(), now)?;
                let status = row.map_or(TaskStatus::Ready, |r| r.shown);
                events::record(
                    tx,
                    &Trace::team(&caller.team_id).agent(&caller.agent_id).task(&ids[i]),
                    "task.created",
                    json!({ "title": t.title.trim(), "size": sizes[i], "status": status,
                            "deps": edges[i].iter().map(|&j| ids[j].as_str()).chain(external[i].iter().map(String::as_str)).collect::<Vec<_>>() }),
                )?;
                out.push(CreatedTask {
                    task_id: ids[i].to_string(),
                    key: t.key.clone(),
                    status,
                });
            }
            Ok(out)
        })
    }

    /// One page of the team's tasks in creation order, optionally only those with
    /// `status`: at most `limit` (default [`TASK_PAGE_DEFAULT`], at most
    /// [`TASK_PAGE_MAX`]) after `cursor` (a `next_cursor` of an earlier page). One read
    /// transaction; reads the page's rows and counts the rest, never the whole board.
    pub fn task_list(
        &self,
        caller: &Caller,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<TaskPage> {
        let status = match status {
            None => None,
            Some(s) => Some(TaskStatus::parse(s).map_err(|_| {
                EngineError::invalid(
                    "status",
                    format!("`{s}` is not a status; valid: {}", words(TaskStatus::ALL)),
                )
            })?),
        };
        let limit = match limit {
            None => TASK_PAGE_DEFAULT,
            Some(n) if (1..=TASK_PAGE_MAX).contains(&n) => n,
            Some(n) => {
                return Err(EngineError::invalid(
                    "limit",
                    format!(
                        "{n} is out of range; valid: 1 to {TASK_PAGE_MAX} (default {TASK_PAGE_DEFAULT})"
                    ),
                ));
            }
        };
        let after = match cursor {
            None => 0,
            Some(c) => c.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
                EngineError::invalid(
                    "cursor",
                    format!(
                        "`{c}` is not a cursor; valid: the `next_cursor` of an earlier task_list"
                    ),
                )
            })?,
        };
        let now = now_ms();
        let team = caller.team_id.as_str();
        self.store().read_snapshot(|c| {
            let rows = store::board::page(c, team, now, status, after, i64::from(limit))?;
            let last = rows.last().map(|r| r.seq);
            let ids: Vec<String> = rows.iter().map(|r| r.task_id.clone()).collect();
            let mut deps = store::board::deps_of(c, &ids)?;
            let tasks: Vec<TaskView> = rows
                .into_iter()
                .map(|t| {
                    let d = deps.remove(&t.task_id).unwrap_or_default();
                    view(t, d)
                })
                .collect();
            let more = match last {
                Some(seq) if tasks.len() == limit as usize => {
                    store::board::count_after(c, team, now, status, seq)?
                }
                _ => 0,
            };
            Ok(TaskPage {
                tasks,
                next_cursor: (more > 0).then(|| last.unwrap_or_default().to_string()),
                more,
            })
        })
    }

    /// Every task of the team (operators' `status`): all pages of [`Engine::task_list`].
    pub fn task_list_all(&self, caller: &Caller) -> Result<Vec<TaskView>> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.task_list(caller, None, cursor.as_deref(), Some(TASK_PAGE_MAX))?;
            out.extend(page.tasks);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(out),
            }
        }
    }

    /// Claims `task_id`, or with `None` the best ready task this caller's role may take.
    pub fn task_claim(&self, caller: &Caller, task_id: Option<&TaskId>) -> Result<Claimed> {
        self.check_live(caller)?;
        let profile = self.team_profile(&caller.team_id)?;
        let now = now_ms();
        let lease_until = now + profile.leases.task_lease_ms;
        self.store().write(|tx| {
            self.sweep(tx, &caller.team_id, now)?;
            let row = match task_id {
                Some(id) => {
                    let row = store::board::task(tx, id.as_str(), now)?
                        .filter(|t| t.team_id == caller.team_id.as_str())
                        .ok_or_else(|| EngineError::not_found("task", id.as_str()))?;
                    match row.shown {
                        TaskStatus::Ready => {}
                        TaskStatus::Claimed if row.owner.as_deref() == Some(caller.agent_id.as_str()) => {
                            return claimed_view(tx, row, None);
                        }
                        TaskStatus::Claimed => {
                            let holder = row.owner.clone().unwrap_or_default();
                            return Err(EngineError::conflict(
                                format!(
                                    "task {} is held by {holder} until {}; hint: claim another task",
                                    row.task_id,
                                    row.leased_until.unwrap_or_default()
                                ),
                                json!({ "task_id": row.task_id, "holder": holder, "leased_until": row.leased_until }),
                            ));
                        }
                        TaskStatus::Blocked => {
                            let open: Vec<String> = store::board::deps(tx, &row.task_id)?
                                .into_iter()
                                .filter(|d| {
                                    store::board::task(tx, d, now)
                                        .ok()
                                        .flatten()
                                        .is_some_and(|t| t.status != StoredTaskStatus::Done)
                                })
                                .collect();
                            return Err(EngineError::conflict(
                                format!("task {} is blocked by unfinished dependencies", row.task_id),
                                json!({ "task_id": row.task_id, "waiting_on": open }),
                            ));
                        }
                        other => {
                            return Err(EngineError::conflict(
                                format!("task {} is {other}; only ready tasks can be claimed", row.task_id),
                                json!({ "task_id": row.task_id, "status": other }),
                            ));
                        }
                    }
                    let wanted = row.role.as_deref().map(|r| Role::parse("role", r)).transpose()?;
                    if !caller.is_lead() && !caller.role.may_claim(wanted) {
                        return Err(EngineError::Forbidden(format!(
                            "task {} is for a {}; this agent is a {}",
                            row.task_id,
                            row.role.unwrap_or_default(),
                            caller.role
                        )));
                    }
                    row
                }
                None => {
                    let (pick, total) =
                        store::board::first_ready(tx, caller.team_id.as_str(), now, |t| {
                            let wanted =
                                t.role.as_deref().and_then(|r| Role::parse("role", r).ok());
                            caller.is_lead() || caller.role.may_claim(wanted)
                        })?;
                    match pick {
                        Some(row) => row,
                        None => {
                            let counts = store::board::counts(tx, caller.team_id.as_str(), now)?;
                            let reason = if total > 0 && counts.blocked > 0 {
                                // Say so: a blocked task may be this agent's once it is ready.
                                format!(
                                    "{total} ready task(s), none for a {}; {} blocked on dependencies",
                                    caller.role, counts.blocked
                                )
                            } else if total > 0 {
                                format!("{total} ready task(s), none for a {}", caller.role)
                            } else if counts.blocked > 0 {
                                format!("no ready task; {} blocked on dependencies", counts.blocked)
                            } else if counts.claimed > 0 {
                                format!("no ready task; {} claimed by others", counts.claimed)
                            } else {
                                "no open tasks".to_string()
                            };
                            return Ok(Claimed::nothing(reason));
                        }
                    }
                }
            };
            // The row may be a claim whose lease expired but was not yet swept in this
            // transaction; the sweep above made it `open` again with a new version.
            let current = store::board::task(tx, &row.task_id, now)?
                .ok_or_else(|| EngineError::not_found("task", row.task_id.clone()))?;
            if !store::board::claim(tx, &current.task_id, caller.agent_id.as_str(), current.version, lease_until, now)? {
                return Err(EngineError::conflict(
                    format!("task {} changed while claiming; retry", current.task_id),
                    json!({ "task_id": current.task_id }),
                ));
            }
            let task = TaskId::from_db(current.task_id.clone());
            events::record(
                tx,
                &Trace::team(&caller.team_id).agent(&caller.agent_id).task(&task),
                "task.claimed",
                json!({ "version": current.version + 1, "leased_until": lease_until }),
            )?;
            let row = store::board::task(tx, &current.task_id, now)?
                .ok_or_else(|| EngineError::not_found("task", current.task_id.clone()))?;
            claimed_view(tx, row, Some(lease_until))
        })
    }

    /// Compare-and-set status change. Workers may move only tasks they hold; the lead may
    /// move any. `version`, when given, must match the task's current version.
    pub fn task_update(
        &self,
        caller: &Caller,
        task_id: &TaskId,
        status: &str,
        version: Option<i64>,
        note: Option<&str>,
        artifact: Option<&str>,
    ) -> Result<Updated> {
        self.check_live(caller)?;
        let status = TaskStatus::parse(status)
            .ok()
            .filter(|s| UPDATE_STATUSES.contains(s))
            .ok_or_else(|| {
                EngineError::invalid(
                    "status",
                    format!(
                        "`{status}` is not settable; valid: {}",
                        words(UPDATE_STATUSES)
                    ),
                )
            })?;
        if let Some(n) = note {
            check_len("note", n, NOTE_MAX)?;
        }
        let artifact = match artifact {
            Some(r) => Some(self.resolve_ref_for_team(&caller.team_id, r, "artifact")?),
            None => None,
        };
        let profile = self.team_profile(&caller.team_id)?;
        let now = now_ms();
        let updated = self.store().write(|tx| {
            self.sweep(tx, &caller.team_id, now)?;
            let row = store::board::task(tx, task_id.as_str(), now)?
                .filter(|t| t.team_id == caller.team_id.as_str())
                .ok_or_else(|| EngineError::not_found("task", task_id.as_str()))?;
            if let Some(v) = version
                && v != row.version
            {
                return Err(EngineError::conflict(
                    format!("task {task_id} is at version {}, not {v}; re-read it with task_list", row.version),
                    json!({ "task_id": task_id, "version": row.version, "status": row.shown, "owner": row.owner }),
                ));
            }
            let holds = row.status == StoredTaskStatus::Claimed && row.owner.as_deref() == Some(caller.agent_id.as_str());
            if !caller.is_lead() && !holds {
                return Err(EngineError::Forbidden(format!(
                    "task {task_id} is {} and not held by this agent; claim it first",
                    if row.status == StoredTaskStatus::Claimed { format!("held by {}", row.owner.clone().unwrap_or_default()) } else { row.shown.to_string() }
                )));
            }
            if matches!(row.status, StoredTaskStatus::Done | StoredTaskStatus::Cancelled) && status != TaskStatus::Ready {
                return Err(EngineError::conflict(
                    format!("task {task_id} is already {}", row.status),
                    json!({ "task_id": task_id, "status": row.status, "version": row.version }),
                ));
            }
            if !caller.is_lead() && status == TaskStatus::Cancelled {
                return Err(EngineError::Forbidden("only the lead cancels tasks; use `failed` with a note".into()));
            }
            let (stored, owner, lease) = match status {
                TaskStatus::Claimed => {
                    if !holds {
                        return Err(EngineError::invalid("status", "use task_claim to claim a task"));
                    }
                    (StoredTaskStatus::Claimed, row.owner.clone(), Some(now + profile.leases.task_lease_ms))
                }
                other => (other.stored(), None, None),
            };
            let changed = store::board::update(
                tx,
                &store::board::Change {
                    task_id: task_id.as_str(),
                    status: stored,
                    owner: owner.as_deref(),
                    leased_until: lease,
                    note,
                    artifact: artifact.as_deref(),
                    expected_version: row.version,
                    now,
                },
            )?;
            if !changed {
                return Err(EngineError::conflict(
                    format!("task {task_id} changed concurrently; re-read it"),
                    json!({ "task_id": task_id }),
                ));
            }
            events::record(
                tx,
                &Trace::team(&caller.team_id).agent(&caller.agent_id).task(task_id),
                "task.updated",
                json!({ "from": row.shown, "to": status, "version": row.version + 1, "note": note, "artifact": artifact }),
            )?;
            Ok(Updated {
                task_id: task_id.to_string(),
                status,
                version: row.version + 1,
            })
        })?;
        if status.is_finished() {
            // Finishing the last task may end the team's work: early stop.
            self.housekeeping_due(&caller.team_id)?;
        }
        Ok(updated)
    }

    /// Puts expired claims back to ready and records why.
    pub(crate) fn sweep(
        &self,
        tx: &crate::store::Transaction<'_>,
        team: &crate::ids::TeamId,
        now: i64,
    ) -> Result<()> {
        for (task, owner) in store::board::sweep_expired(tx, team.as_str(), now)? {
            let task = TaskId::from_db(task);
            let owner = AgentId::from_db(owner);
            events::record(
                tx,
                &Trace::team(team).agent(&owner).task(&task),
                "task.lease_expired",
                json!({ "previous_owner": owner }),
            )?;
        }
        Ok(())
    }
}

fn claimed_view(
    tx: &crate::store::Transaction<'_>,
    row: TaskRow,
    lease: Option<i64>,
) -> Result<Claimed> {
    let inputs = store::board::dep_artifacts(tx, &row.task_id)?;
    Ok(Claimed {
        claimed: true,
        leased_until: lease.or(row.leased_until),
        inputs,
        version: Some(row.version),
        title: Some(row.title),
        detail: row.detail,
        task_id: Some(row.task_id),
        reason: None,
    })
}

/// Returns the nodes of one cycle in the graph, if any (edges[i] = nodes i depends on).
fn find_cycle(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    // 0 = unvisited, 1 = on stack, 2 = done
    fn visit(
        n: usize,
        edges: &[Vec<usize>],
        mark: &mut [u8],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        mark[n] = 1;
        stack.push(n);
        for &m in &edges[n] {
            if mark[m] == 1 {
                let start = stack.iter().position(|&x| x == m).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(m);
                return Some(cycle);
            }
            if mark[m] == 0
                && let Some(c) = visit(m, edges, mark, stack)
            {
                return Some(c);
            }
        }
        stack.pop();
        mark[n] = 2;
        None
    }
    let mut mark = vec![0u8; edges.len()];
    for n in 0..edges.len() {
        if mark[n] == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(n, edges, &mut mark, &mut stack) {
                return Some(c);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::find_cycle;

    #[test]
    fn finds_cycles_and_accepts_dags() {
        assert_eq!(find_cycle(&[vec![1], vec![2], vec![]]), None);
        assert_eq!(find_cycle(&[vec![1], vec![0]]), Some(vec![0, 1, 0]));
        assert_eq!(find_cycle(&[vec![0]]), Some(vec![0, 0]));
        assert!(find_cycle(&[vec![], vec![2], vec![3], vec![1]]).is_some());
    }
}
