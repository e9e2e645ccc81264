//! The engine benchmark (`codex-teams bench --engine-only`): engine performance through the real stdio path. It
//! starts real `serve-mcp` processes of this binary on a fresh database in a temporary
//! directory (never the user's), talks to them with the same line-delimited JSON-RPC Codex
//! sends, and reports per-call round-trip latency and aggregate durable send throughput.
//!
//! Not a benchmark of Codex or of a model: only the MCP server, the engine and SQLite.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{Value, json};

use crate::engine::store::HOME_ENV;
use crate::logging::stderr_is_terminal;
use crate::mcp::client::StdioClient;
use crate::scratch::Scratch;

/// The targets: p50 and p99 per call, and sends per second with 7 processes.
const TARGET_P50_MS: f64 = 0.5;
const TARGET_P99_MS: f64 = 2.0;
const TARGET_SENDS_PER_S: f64 = 5000.0;

/// What to measure: the `bench` flags the engine benchmark reads.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Timed calls per tool (`--calls`).
    pub calls: u32,
    /// MCP server processes, lead included (`--processes`).
    pub processes: u32,
    /// Messages each process sends in the throughput phase (`--messages`).
    pub messages: u32,
    /// The store's `synchronous` setting (`--synchronous`: `normal` or `full`).
    pub synchronous: String,
    /// Also measure the calls over MCP streamable HTTP (`--http`, [`super::engine_http`]).
    pub http: bool,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub environment: Environment,
    /// The store's `synchronous` setting during the run (`normal` or `full`).
    pub synchronous: String,
    pub calls: u32,
    pub warmup: u32,
    pub latency_ms: BTreeMap<&'static str, Latency>,
    /// `--http` only: the same calls over MCP streamable HTTP on loopback.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub http_latency_ms: BTreeMap<&'static str, Latency>,
    pub throughput: Throughput,
    pub targets: Targets,
    /// `--engine-only` only: reads and writes on boards of 10 to 10,000 tasks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scaling: Vec<Scale>,
    /// `--engine-only` only: one process against `processes`, in the same run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_rates: Option<SendRates>,
}

#[derive(Debug, Serialize)]
pub struct Environment {
    cores: usize,
    cpu: String,
    build: &'static str,
    os: &'static str,
    version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub mean: f64,
    pub max: f64,
}

#[derive(Debug, Serialize)]
pub struct Throughput {
    pub processes: u32,
    pub messages_per_process: u32,
    pub total: u64,
    pub seconds: f64,
    pub sends_per_s: f64,
    /// Size of the WAL file after the run: the checkpointer keeps it bounded.
    pub wal_mb: f64,
}

#[derive(Debug, Serialize)]
pub struct Targets {
    p50_ms: f64,
    p99_ms: f64,
    sends_per_s: f64,
    /// Whether every latency figure and the throughput met its target.
    met: bool,
}

/// The whole engine benchmark: latency and throughput, the send rate of one process
/// against `processes`, and the board-size scaling.
pub fn run(cfg: &EngineConfig) -> Result<Report> {
    let exe = std::env::current_exe().context("finding this executable")?;
    let dir = Scratch::new("bench")?;
    let mut report = measure(cfg, &exe, dir.path())?;
    // The same run: one process alone, then `processes` again, for the scaling ratio.
    let one = send_rate(cfg, &exe, dir.path(), 1, "one")?;
    let many = send_rate(cfg, &exe, dir.path(), cfg.processes, "many")?;
    report.send_rates = Some(SendRates {
        one_process: one,
        processes: cfg.processes,
        many_processes: many,
        ratio: round3(many / one.max(1.0)),
    });
    if cfg.http {
        let samples = super::engine_http::latency(&exe, dir.path(), cfg.calls, report.warmup)?;
        for (tool, mut samples) in samples {
            report
                .http_latency_ms
                .insert(tool, summarize(&mut samples)?);
        }
    }
    for n in boards()? {
        report.scaling.push(scale(&exe, dir.path(), n, cfg.calls)?);
    }
    drop(dir);
    Ok(report)
}

/// Per-call latency and durable send throughput on a fresh database in `dir`.
pub fn measure(cfg: &EngineConfig, exe: &Path, dir: &Path) -> Result<Report> {
    let db = dir.join("bench.db");
    // The scratch directory is the servers' home: its config.toml sets store.synchronous.
    std::fs::write(
        dir.join(crate::engine::home_config::FILE),
        format!("[store]\nsynchronous = \"{}\"\n", cfg.synchronous),
    )
    .with_context(|| format!("writing {}", dir.display()))?;
    let (mut lead, workers) = start_team(exe, dir, &db, cfg.processes.saturating_sub(1).max(1))?;
    let receiver = workers
        .first()
        .map(|(agent, _)| agent.clone())
        .ok_or_else(|| anyhow!("no worker to receive messages"))?;

    let warmup = (cfg.calls / 10).clamp(10, 200);
    let progress = Progress::new(u64::from(2 * (warmup + cfg.calls)), "latency");
    for i in 0..warmup {
        lead.call_ok("team_status", json!({}))?;
        lead.call_ok(
            "team_send",
            json!({ "to": receiver, "body": format!("warm-up {i}") }),
        )?;
        progress.inc(2);
    }
    let mut latency = BTreeMap::new();
    let mut status = Vec::with_capacity(cfg.calls as usize);
    for _ in 0..cfg.calls {
        let started = Instant::now();
        lead.call_ok("team_status", json!({}))?;
        status.push(started.elapsed());
        progress.inc(1);
    }
    latency.insert("team_status", summarize(&mut status)?);
    let mut send = Vec::with_capacity(cfg.calls as usize);
    for i in 0..cfg.calls {
        let args = json!({ "to": receiver, "body": format!("latency {i}") });
        let started = Instant::now();
        lead.call_ok("team_send", args)?;
        send.push(started.elapsed());
        progress.inc(1);
    }
    latency.insert("team_send", summarize(&mut send)?);
    progress.finish();

    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    let throughput = throughput(
        cfg.processes,
        cfg.messages,
        lead,
        workers,
        &receiver,
        Path::new(&wal),
    )?;
    let latency_met = latency
        .values()
        .all(|l| l.p50 <= TARGET_P50_MS && l.p99 <= TARGET_P99_MS);
    let throughput_met = cfg.processes < 7 || throughput.sends_per_s >= TARGET_SENDS_PER_S;
    Ok(Report {
        environment: Environment::detect(),
        synchronous: cfg.synchronous.clone(),
        calls: cfg.calls,
        warmup,
        latency_ms: latency,
        http_latency_ms: BTreeMap::new(),
        throughput,
        targets: Targets {
            p50_ms: TARGET_P50_MS,
            p99_ms: TARGET_P99_MS,
            sends_per_s: TARGET_SENDS_PER_S,
            met: latency_met && throughput_met,
        },
        scaling: Vec::new(),
        send_rates: None,
    })
}

/// Every one of `processes` servers sends `messages` messages at once; the figure is the
/// total over the wall time from the common start to the last reply.
fn throughput(
    processes: u32,
    per: u32,
    lead: StdioClient,
    workers: Vec<(String, StdioClient)>,
    receiver: &str,
    wal: &Path,
) -> Result<Throughput> {
    // Workers send to the lead; the lead sends to the first worker.
    let mut senders: Vec<(String, StdioClient)> = vec![(receiver.to_string(), lead)];
    senders.extend(
        workers
            .into_iter()
            .map(|(_, client)| ("lead".to_string(), client)),
    );
    let mut idle = senders.split_off(processes as usize);
    let progress = Progress::new(u64::from(per) * senders.len() as u64, "throughput");
    let barrier = Arc::new(Barrier::new(senders.len() + 1));
    let mut threads = Vec::new();
    for (n, (to, mut client)) in senders.into_iter().enumerate() {
        let barrier = barrier.clone();
        let progress = progress.clone();
        threads.push(std::thread::spawn(move || -> Result<StdioClient> {
            barrier.wait();
            for i in 0..per {
                client.call_ok(
                    "team_send",
                    json!({ "to": to, "body": format!("throughput {n}/{i}") }),
                )?;
                progress.inc(1);
            }
            Ok(client)
        }));
    }
    barrier.wait();
    let started = Instant::now();
    let mut finished = Vec::new();
    let mut failure = None;
    for thread in threads {
        match thread.join() {
            Ok(Ok(client)) => finished.push(client),
            Ok(Err(err)) => failure = Some(err),
            Err(_) => failure = Some(anyhow!("a sending thread panicked")),
        }
    }
    let wall = started.elapsed();
    progress.finish();
    // Before the servers exit: the last connection to close checkpoints and removes it.
    let wal_mb = std::fs::metadata(wal).map_or(0.0, |m| m.len() as f64 / (1024.0 * 1024.0));
    for client in finished.into_iter().chain(idle.drain(..).map(|(_, c)| c)) {
        let _ = client.close();
    }
    if let Some(err) = failure {
        return Err(err.context("throughput run"));
    }
    let total = u64::from(per) * u64::from(processes);
    Ok(Throughput {
        processes,
        messages_per_process: per,
        total,
        seconds: round3(wall.as_secs_f64()),
        sends_per_s: (total as f64 / wall.as_secs_f64().max(1e-9)).round(),
        wal_mb: round3(wal_mb),
    })
}

/// A lead server on `db` with a new team, and `workers` external worker servers, each with
/// the environment `team_spawn` returned. The servers' home is `dir`.
fn start_team(
    exe: &Path,
    dir: &Path,
    db: &Path,
    workers_wanted: u32,
) -> Result<(StdioClient, Vec<(String, StdioClient)>)> {
    let mut lead_env = BTreeMap::new();
    lead_env.insert(HOME_ENV.to_string(), dir.display().to_string());
    let mut lead = StdioClient::spawn(exe, db, &lead_env, Some(dir))?;
    lead.call_ok("team_start", json!({ "goal": "codex-teams bench" }))?;
    tracing::info!(db = %db.display(), "bench team started");
    let mut workers = Vec::new();
    for _ in 0..workers_wanted {
        let spawned = lead.call_ok(
            "team_spawn",
            json!({ "role": "implementer", "runner": "external", "justification": "bench: one sender per process" }),
        )?;
        let agent = text(&spawned, "agent_id")?;
        let mut env: BTreeMap<String, String> = spawned
            .get("env")
            .cloned()
            .map(serde_json::from_value)
            .transpose()
            .context("team_spawn returned an unreadable env")?
            .ok_or_else(|| anyhow!("team_spawn returned no env for the external runner"))?;
        env.insert(HOME_ENV.to_string(), dir.display().to_string());
        let client = StdioClient::spawn(exe, db, &env, Some(dir))?;
        workers.push((agent, client));
    }
    Ok((lead, workers))
}

/// Board sizes of the scaling table.
pub const BOARDS: &[u32] = &[10, 100, 1_000, 10_000];
/// Overrides [`BOARDS`] for quick runs: comma-separated task counts (1 to 100,000).
pub const BOARDS_ENV: &str = "CODEX_TEAMS_BENCH_BOARDS";

fn boards() -> Result<Vec<u32>> {
    let Ok(list) = std::env::var(BOARDS_ENV) else {
        return Ok(BOARDS.to_vec());
    };
    list.split(',')
        .map(|n| {
            n.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    anyhow!("{BOARDS_ENV}: `{n}` is not a board size; valid: task counts 1 to 100000, comma-separated")
                })
        })
        .collect()
}

/// Tasks per `task_create` call when building a board (the tool's batch limit).
const BATCH: u32 = 50;
const SIZES: [&str; 3] = ["s", "m", "l"];

/// One row of the scaling table: a board of `tasks` tasks.
#[derive(Debug, Serialize)]
pub struct Scale {
    tasks: u32,
    /// Seconds to create the board in batches of 50 through `task_create`.
    create_s: f64,
    /// team_status, task_list (first page), task_claim, task_update.
    latency_ms: BTreeMap<&'static str, Latency>,
    /// Bytes of one first-page task_list result.
    task_list_bytes: usize,
    /// The database file after the run (the WAL not counted: see `wal_mb`).
    db_mb: f64,
    /// The WAL file after the run (the checkpointer bounds it).
    wal_mb: f64,
    /// Resident memory of the lead's serve-mcp after the run, once a housekeeping tick
    /// has passed with no call in flight.
    rss_mb: f64,
    /// The most it was resident at any point of the run (VmHWM).
    peak_rss_mb: f64,
}

/// Durable send rates of one process and of `processes` processes, in the same run.
#[derive(Debug, Serialize)]
pub struct SendRates {
    one_process: f64,
    processes: u32,
    many_processes: f64,
    /// many / one: how well sends scale across processes (target >= 0.85).
    ratio: f64,
}

/// Builds a board of `n` tasks (chains of five inside each batch of 50, sizes s/m/l in
/// turn) and times the reads and writes on it.
fn scale(exe: &Path, dir: &Path, n: u32, calls: u32) -> Result<Scale> {
    let sub = dir.join(format!("board-{n}"));
    std::fs::create_dir_all(&sub).with_context(|| format!("creating {}", sub.display()))?;
    let db = sub.join("bench.db");
    let (mut lead, mut workers) = start_team(exe, dir, &db, 1)?;
    let started = Instant::now();
    let mut made = 0;
    while made < n {
        let size = BATCH.min(n - made);
        let tasks: Vec<Value> = (0..size)
            .map(|i| {
                let deps: Vec<String> = if i % 5 == 0 {
                    vec![]
                } else {
                    vec![format!("k{}", i - 1)]
                };
                json!({ "key": format!("k{i}"), "title": format!("task {}", made + i),
                        "detail": "d".repeat(200), "deps": deps,
                        "size": SIZES[(i % 3) as usize] })
            })
            .collect();
        lead.call_ok("task_create", json!({ "tasks": tasks }))?;
        made += size;
    }
    let create_s = round3(started.elapsed().as_secs_f64());
    // Let the housekeeping tick see the new board once.
    std::thread::sleep(crate::mcp::server::HOUSEKEEPING_TICK + Duration::from_millis(100));
    let k = calls.clamp(10, 500);
    let mut latency = BTreeMap::new();
    let timed = |client: &mut StdioClient, tool: &str, args: Value| -> Result<(Duration, Value)> {
        let t = Instant::now();
        let v = client.call_ok(tool, args)?;
        Ok((t.elapsed(), v))
    };
    for _ in 0..10 {
        lead.call_ok("team_status", json!({}))?;
        lead.call_ok("task_list", json!({}))?;
    }
    let mut samples = Vec::with_capacity(k as usize);
    for _ in 0..k {
        samples.push(timed(&mut lead, "team_status", json!({}))?.0);
    }
    latency.insert("team_status", summarize(&mut samples)?);
    let mut samples = Vec::with_capacity(k as usize);
    let mut task_list_bytes = 0;
    for _ in 0..k {
        let (d, v) = timed(&mut lead, "task_list", json!({}))?;
        task_list_bytes = serde_json::to_string(&v).map_or(0, |t| t.len());
        samples.push(d);
    }
    latency.insert("task_list", summarize(&mut samples)?);
    // Claims and updates by the worker: one task each, while ready ones remain.
    let worker = &mut workers
        .first_mut()
        .ok_or_else(|| anyhow!("no worker for the claims"))?
        .1;
    let (mut claims, mut updates) = (Vec::new(), Vec::new());
    for _ in 0..k.min(n / 2).max(1) {
        let (d, claimed) = timed(worker, "task_claim", json!({}))?;
        claims.push(d);
        let id = text(&claimed, "task_id")?;
        let version = claimed.get("version").and_then(Value::as_i64).unwrap_or(0);
        let (d, _) = timed(
            worker,
            "task_update",
            json!({ "task_id": id, "status": "done", "version": version }),
        )?;
        updates.push(d);
    }
    latency.insert("task_claim", summarize(&mut claims)?);
    latency.insert("task_update", summarize(&mut updates)?);
    // At rest: the ticker's pass after the last write (a board scan) has run.
    std::thread::sleep(crate::mcp::server::HOUSEKEEPING_TICK + Duration::from_millis(100));
    let (rss_mb, peak_rss_mb) = (rss_mb(lead.pid(), false), rss_mb(lead.pid(), true));
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len());
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    let (db_mb, wal_mb) = (mb(size(&db)), mb(size(Path::new(&wal))));
    for (_, client) in workers {
        let _ = client.close();
    }
    let _ = lead.close();
    Ok(Scale {
        tasks: n,
        create_s,
        latency_ms: latency,
        task_list_bytes,
        db_mb: round3(db_mb),
        wal_mb: round3(wal_mb),
        rss_mb: round3(rss_mb),
        peak_rss_mb: round3(peak_rss_mb),
    })
}

/// A memory figure of a process in MB: resident now, or its peak (0 where unavailable).
fn rss_mb(pid: u32, peak: bool) -> f64 {
    let bytes = if peak {
        crate::platform::peak_rss_bytes(pid)
    } else {
        crate::platform::rss_bytes(pid)
    };
    bytes.map_or(0.0, |b| b as f64 / (1024.0 * 1024.0))
}

/// The durable send rate of `processes` servers on a fresh database (see [`throughput`]).
fn send_rate(cfg: &EngineConfig, exe: &Path, dir: &Path, processes: u32, tag: &str) -> Result<f64> {
    let sub = dir.join(format!("sends-{tag}"));
    std::fs::create_dir_all(&sub).with_context(|| format!("creating {}", sub.display()))?;
    let db = sub.join("bench.db");
    let (lead, workers) = start_team(exe, dir, &db, processes.saturating_sub(1).max(1))?;
    let receiver = workers
        .first()
        .map(|(agent, _)| agent.clone())
        .ok_or_else(|| anyhow!("no worker to receive messages"))?;
    let mut wal = db.clone().into_os_string();
    wal.push("-wal");
    Ok(throughput(
        processes,
        cfg.messages,
        lead,
        workers,
        &receiver,
        Path::new(&wal),
    )?
    .sends_per_s)
}

fn text(v: &Value, field: &str) -> Result<String> {
    v.get(field)
        .and_then(Value::as_str)
        .map(String::from)
        .ok_or_else(|| anyhow!("reply has no `{field}`: {v}"))
}

/// Nearest-rank percentiles and the mean, in milliseconds.
fn summarize(samples: &mut [Duration]) -> Result<Latency> {
    if samples.is_empty() {
        bail!("no samples");
    }
    samples.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let rank = |p: f64| {
        let i = (p * samples.len() as f64).ceil() as usize;
        samples[i.clamp(1, samples.len()) - 1]
    };
    let sum: Duration = samples.iter().sum();
    Ok(Latency {
        p50: round3(ms(rank(0.50))),
        p99: round3(ms(rank(0.99))),
        p999: round3(ms(rank(0.999))),
        mean: round3(ms(sum) / samples.len() as f64),
        max: round3(ms(samples[samples.len() - 1])),
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl Environment {
    fn detect() -> Environment {
        let cpu = crate::platform::cpu_model().unwrap_or_else(|| "unknown".into());
        Environment {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu,
            build: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
            os: std::env::consts::OS,
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// The report as a table on stdout.
pub fn print_report(r: &Report) {
    let e = &r.environment;
    println!(
        "codex-teams {} bench, {} build, {} cores ({}), {}",
        e.version, e.build, e.cores, e.cpu, e.os
    );
    if e.build == "debug" {
        println!("note: a debug build; scripts/bench-core.sh measures a release build");
    }
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header([
        "call (stdio round trip)",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "mean ms",
        "max ms",
    ]);
    for (name, l) in &r.latency_ms {
        table.add_row([
            name.to_string(),
            format!("{:.3}", l.p50),
            format!("{:.3}", l.p99),
            format!("{:.3}", l.p999),
            format!("{:.3}", l.mean),
            format!("{:.3}", l.max),
        ]);
    }
    println!("{table}");
    if !r.http_latency_ms.is_empty() {
        let mut http = Table::new();
        http.load_style(UTF8_FULL_CONDENSED);
        http.set_header([
            "call (HTTP round trip, loopback)",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "mean ms",
            "max ms",
        ]);
        for (name, l) in &r.http_latency_ms {
            let stdio = r
                .latency_ms
                .get(name)
                .map_or(String::new(), |s| format!(" (stdio p50 {:.3})", s.p50));
            http.add_row([
                format!("{name}{stdio}"),
                format!("{:.3}", l.p50),
                format!("{:.3}", l.p99),
                format!("{:.3}", l.p999),
                format!("{:.3}", l.mean),
                format!("{:.3}", l.max),
            ]);
        }
        println!("{http}");
    }
    println!(
        "latency: {} sequential calls per tool after {} warm-up rounds (targets: p50 <= {TARGET_P50_MS} ms, p99 <= {TARGET_P99_MS} ms)",
        r.calls, r.warmup
    );
    let t = &r.throughput;
    println!(
        "throughput: {} processes x {} team_send = {} durable sends in {:.3} s: {:.0} sends/s (target >= {TARGET_SENDS_PER_S:.0} with 7 processes, synchronous = {}); WAL afterwards {:.1} MB",
        t.processes,
        t.messages_per_process,
        t.total,
        t.seconds,
        t.sends_per_s,
        r.synchronous,
        t.wal_mb
    );
    if let Some(rates) = &r.send_rates {
        println!(
            "send rates, same run: 1 process {:.0}/s, {} processes {:.0}/s ({:.2}x)",
            rates.one_process, rates.processes, rates.many_processes, rates.ratio
        );
    }
    if !r.scaling.is_empty() {
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED);
        table.set_header([
            "board",
            "create s",
            "team_status p50/p99",
            "task_list p50/p99",
            "task_claim p50/p99",
            "task_update p50/p99",
            "list KB",
            "DB MB",
            "WAL MB",
            "RSS / peak MB",
        ]);
        for row in &r.scaling {
            let l = |tool: &str| {
                row.latency_ms
                    .get(tool)
                    .map_or("-".to_string(), |l| format!("{:.2} / {:.2}", l.p50, l.p99))
            };
            table.add_row([
                format!("{} tasks", row.tasks),
                format!("{:.2}", row.create_s),
                l("team_status"),
                l("task_list"),
                l("task_claim"),
                l("task_update"),
                format!("{:.1}", row.task_list_bytes as f64 / 1024.0),
                format!("{:.1}", row.db_mb),
                format!("{:.1}", row.wal_mb),
                format!("{:.1} / {:.1}", row.rss_mb, row.peak_rss_mb),
            ]);
        }
        println!("{table}");
        println!("scaling: ms per stdio round trip; task_list is the first page (50 tasks)");
    }
    println!("targets: {}", if r.targets.met { "met" } else { "MISSED" });
}

/// A progress bar on a terminal, nothing otherwise. Cheap to clone into threads.
#[derive(Clone)]
struct Progress(Option<ProgressBar>);

impl Progress {
    fn new(len: u64, what: &'static str) -> Progress {
        if !stderr_is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new(len).with_message(what);
        if let Ok(style) = ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} calls") {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress(Some(bar))
    }

    fn inc(&self, n: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
