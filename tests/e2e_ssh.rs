//! End-to-end over ssh: a lead spawns a worker with `runner: "ssh"`; codex-teams starts the
//! REAL Codex CLI on the "remote host" (a real sshd on a loopback port, with a throwaway
//! host key and user key, its own HOME and CODEX_HOME) through the system `ssh` client; that
//! Codex reaches the team server (`serve-mcp --http 127.0.0.1:0`) by URL with the worker's
//! bearer token, against the mock model. The worker claims, publishes and finishes; the
//! lead finalizes; no process is left on either side, and the token is on no command line
//! at any moment.
//!
//! Needs Codex (`tests/common/codex.rs`) and Debian's openssh-server (`/usr/sbin/sshd`,
//! which scripts/verify.sh installs when missing): without either the test is skipped
//! locally and FAILS when `$CI` is set.

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codex_teams::bench::harness::{MOCK_KEY, RealOptions, RealTeam};
use codex_teams::bench::mock::{MockConfig, MockServer, Script};
use codex_teams::engine::runner::codex_exec::native_codex;
use codex_teams::engine::runner::procs;
use codex_teams::engine::store::TeamState;
use common::home::TempHome;
use common::http::HttpServer;
use common::rpc::ok;
use common::str_of;
use serde_json::json;

const SSHD: &str = "/usr/sbin/sshd";

/// `/usr/sbin/sshd`, `ssh` and `ssh-keygen`, or None (skipped locally, a failure in CI).
fn require_openssh() -> bool {
    let on_path = |name: &str| {
        std::env::var_os("PATH")
            .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
    };
    if Path::new(SSHD).is_file() && on_path("ssh") && on_path("ssh-keygen") {
        return true;
    }
    if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
        panic!(
            "CI is set but OpenSSH is missing ({SSHD}, ssh, ssh-keygen): run scripts/verify.sh as root (it installs openssh-server)"
        );
    }
    eprintln!("SKIPPED: no OpenSSH server ({SSHD}); `apt-get install openssh-server`");
    false
}

/// A real sshd on a free loopback port; killed on drop.
struct Sshd {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Sshd {
    /// Host and user keys under `dir`; `env` is set in every session (`SetEnv`).
    fn start(dir: &Path, env: &[(&str, String)]) -> Sshd {
        let keygen = |file: &Path| {
            let status = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(file)
                .stdin(Stdio::null())
                .status()
                .expect("ssh-keygen");
            assert!(status.success(), "ssh-keygen {}", file.display());
        };
        keygen(&dir.join("host_key"));
        keygen(&dir.join("user_key"));
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            // sshd's privilege separation directory.
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let set_env: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let config = format!(
            "ListenAddress 127.0.0.1\nPort {port}\nHostKey {dir}/host_key\nPidFile {dir}/sshd.pid\n\
             AuthorizedKeysFile {dir}/user_key.pub\nStrictModes no\nUsePAM no\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nSetEnv {set_env}\n",
            dir = dir.display(),
            set_env = set_env.join(" "),
        );
        let cfg = dir.join("sshd_config");
        std::fs::write(&cfg, config).expect("sshd_config");
        let log = dir.join("sshd.log");
        let child = Command::new(SSHD)
            .args(["-D", "-f"])
            .arg(&cfg)
            .arg("-E")
            .arg(&log)
            .stdin(Stdio::null())
            .spawn()
            .expect("start sshd");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "sshd did not listen: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Sshd { child, port, log }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The remote Codex home: the mock model as provider (no team server entry: the runner
/// gives its URL on the command line).
fn remote_codex_home(dir: &Path, mock_port: u16) {
    std::fs::create_dir_all(dir).expect("codex home");
    let config = codex_teams::bench::harness::mock_provider_toml(mock_port);
    std::fs::write(dir.join("config.toml"), config).expect("config.toml");
}

/// `<home>/profiles/remote.team.yaml`: the shipped default with `worker.ssh` added.
fn remote_profile(home: &TempHome, ssh: &str) {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles/default.team.yaml");
    let yaml = std::fs::read_to_string(shipped).expect("default profile");
    let yaml = yaml.replacen("name: default", "name: remote", 1);
    let cut = yaml
        .find("  # What each worker's Codex loads")
        .expect("the worker section");
    let dir = home.home.join("profiles");
    std::fs::create_dir_all(&dir).expect("profiles");
    std::fs::write(
        dir.join("remote.team.yaml"),
        format!("{}{ssh}{}", &yaml[..cut], &yaml[cut..]),
    )
    .expect("write profile");
}

/// Command lines of every process that contain `needle`.
fn command_lines_with(needle: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

/// Everything of one run: the team's home and server, the "remote host" (sshd, its HOME
/// and CODEX_HOME), the mock model and the `remote` profile pointing at them.
struct Rig {
    home: TempHome,
    sshd: Sshd,
    server: HttpServer,
    remote_codex: PathBuf,
    _mock: MockServer,
}

impl Rig {
    /// None when Codex or OpenSSH is missing (skipped locally; a failure in CI). `worker`:
    /// more `worker:` keys of the `remote` profile (YAML lines indented by two).
    fn start(plan: &str, worker: &str) -> Option<Rig> {
        let codex = common::codex::require()?;
        if !require_openssh() {
            return None;
        }
        let home = TempHome::new();
        let ssh_dir = home.path().join("ssh");
        std::fs::create_dir_all(&ssh_dir).expect("ssh dir");
        // The remote host's own HOME, CODEX_HOME and working directory.
        let remote = home.path().join("remote");
        let remote_codex = remote.join(".codex");
        let remote_ws = remote.join("ws");
        std::fs::create_dir_all(&remote_ws).expect("remote ws");
        let sshd = Sshd::start(
            &ssh_dir,
            &[
                ("HOME", remote.display().to_string()),
                (MOCK_KEY, "mock".to_string()),
            ],
        );
        let host_key = std::fs::read_to_string(ssh_dir.join("host_key.pub")).expect("host key");
        let known_hosts = ssh_dir.join("known_hosts");
        std::fs::write(
            &known_hosts,
            format!("[127.0.0.1]:{} {host_key}", sshd.port),
        )
        .expect("known_hosts");
        let server = HttpServer::start(&home);
        let mock = MockServer::start(
            0,
            MockConfig {
                script: Script::parse(plan, "ssh e2e plan").expect("plan"),
                log: Some(home.path().join("mock-requests.jsonl")),
                capture_dir: None,
            },
        )
        .expect("mock model");
        remote_codex_home(&remote_codex, mock.addr().port());
        remote_profile(
            &home,
            &format!(
                "{worker}  ssh:\n    host: 127.0.0.1\n    port: {port}\n    identity_file: {key}\n    known_hosts: {known}\n    \
                 url: {url}\n    codex: {codex}\n    codex_home: {codex_home}\n    workdir: {ws}\n",
                port = sshd.port,
                key = ssh_dir.join("user_key").display(),
                known = known_hosts.display(),
                url = server.url,
                codex = native_codex(&codex).display(),
                codex_home = remote_codex.display(),
                ws = remote_ws.display(),
            ),
        );
        Some(Rig {
            home,
            sshd,
            server,
            remote_codex,
            _mock: mock,
        })
    }
}

/// Waits (up to 15 s) until no process carries `agent`'s identity in its environment or
/// names it on its command line, on either side.
fn assert_nothing_left(agent: &str) {
    let marker = [format!("CODEX_TEAMS_AGENT_ID={agent}")];
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let left = procs::find(&marker, &[]);
        let named = command_lines_with(agent);
        if left.is_empty() && named.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "left running: {left:?} {named:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_real_codex_worker_on_an_ssh_host_claims_publishes_and_finishes() {
    let Some(rig) = Rig::start(
        "goal: fix the pager\ntasks:\n  - {key: fix, title: Fix the off-by-one in the pager, size: s}\n",
        "",
    ) else {
        return;
    };
    let Rig {
        home,
        sshd,
        server,
        remote_codex,
        _mock,
    } = rig;

    // The lead (over stdio, as the local lead's Codex would) spawns the remote worker; its
    // server launches and supervises the ssh.
    let mut lead = home.lead();
    let (started, task, spawned) = common::rpc::one_task_team(
        &mut lead,
        json!({"goal": "fix the pager on another host", "profile": "remote"}),
        "ssh",
    );
    let team_id = str_of(&started, "team_id");
    let agent_id = str_of(&spawned, "agent_id");
    assert!(
        spawned.get("env").is_none_or(|e| e.is_null()),
        "no credential comes back for an ssh worker: {spawned}"
    );

    // Until the worker has ended: no token on any command line, on either side.
    let conn = rusqlite::Connection::open(&home.db).expect("open db");
    let agent_state = |conn: &rusqlite::Connection| -> String {
        conn.query_row(
            "SELECT state FROM agents WHERE agent_id = ?1",
            [&agent_id],
            |r| r.get(0),
        )
        .expect("agent row")
    };
    let started_at = Instant::now();
    let mut saw_remote_codex = false;
    let marker = format!("CODEX_TEAMS_AGENT_ID={agent_id}");
    loop {
        let leaked = command_lines_with("ctt_");
        assert!(leaked.is_empty(), "a token on a command line: {leaked:?}");
        saw_remote_codex |= !procs::find(std::slice::from_ref(&marker), &[]).is_empty();
        let state = agent_state(&conn);
        if state == "stopped" || state == "dead" {
            break;
        }
        if started_at.elapsed() > Duration::from_secs(240) {
            panic!(
                "the remote worker did not finish within 240 s (state {state}); stderr: {}",
                std::fs::read_to_string(home.home.join("logs").join(format!("{agent_id}.stderr")))
                    .unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let worker_log =
        std::fs::read_to_string(home.home.join("logs").join(format!("{agent_id}.stderr")))
            .unwrap_or_default();
    eprintln!(
        "remote worker: {:.1} s, state {}",
        started_at.elapsed().as_secs_f64(),
        agent_state(&conn)
    );
    assert!(
        saw_remote_codex,
        "the worker's Codex ran under its identity"
    );
    assert_eq!(agent_state(&conn), "stopped", "{worker_log}");

    // The task is done, by this worker, with its result published, and metered.
    common::home::assert_done_and_published(&conn, &task, &team_id, &agent_id, &worker_log);
    // Charged from the stream's turn.completed once the worker's turn has ended.
    let deadline = Instant::now() + Duration::from_secs(30);
    let charged = loop {
        let charged: i64 = conn
            .query_row(
                "SELECT tokens_input + tokens_output FROM agents WHERE agent_id = ?1",
                [&agent_id],
                |r| r.get(0),
            )
            .expect("tokens");
        if charged > 0 || Instant::now() > deadline {
            break charged;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        charged > 0,
        "the remote worker's usage was charged from its stream"
    );

    ok(
        &mut lead,
        "team_finalize",
        json!({"summary": "pager fixed"}),
    );
    common::home::assert_finalized(&conn, &team_id);
    assert!(lead.close().expect("close the lead").success());

    // Nothing is left on either side: no remote Codex (or anything it started) under the
    // worker's identity, no ssh or remote wrapper naming it.
    assert_nothing_left(&agent_id);
    // It went through sshd with the user key, and ran with the remote host's CODEX_HOME
    // (its rollout files are there, out of the team server's reach).
    let sshd_log = std::fs::read_to_string(&sshd.log).unwrap_or_default();
    assert!(sshd_log.contains("Accepted publickey"), "{sshd_log}");
    assert!(
        remote_codex.join("sessions").is_dir(),
        "the remote Codex wrote its session under its own CODEX_HOME"
    );
    let (status, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
    assert!(!sshd_log.contains("ctt_"), "a token in sshd's log");
    drop(sshd);
}

/// The lead's session ends while the remote worker is in the middle of a shell command (a
/// process group of Codex's own): its ssh is ended here, and on the remote side the wrapper
/// ends the remote Codex and that command.
#[test]
fn a_remote_worker_is_ended_on_both_sides_when_the_lead_session_ends() {
    let Some(rig) = Rig::start(
        "goal: fix the pager\ntasks:\n  - {key: fix, title: Fix the off-by-one in the pager, size: s, run: \"sleep 37\"}\n",
        "",
    ) else {
        return;
    };
    let mut lead = rig.home.lead();
    let (_, _, spawned) = common::rpc::one_task_team(
        &mut lead,
        json!({"goal": "fix the pager on another host", "profile": "remote"}),
        "ssh",
    );
    let agent_id = str_of(&spawned, "agent_id");
    let marker = [format!("CODEX_TEAMS_AGENT_ID={agent_id}")];
    let deadline = Instant::now() + Duration::from_secs(120);
    while !procs::find(&marker, &[])
        .iter()
        .any(|p| p.cmd.contains("sleep 37"))
    {
        assert!(
            Instant::now() < deadline,
            "the remote worker never ran its command: {}",
            std::fs::read_to_string(
                rig.home
                    .home
                    .join("logs")
                    .join(format!("{agent_id}.stderr"))
            )
            .unwrap_or_default()
        );
        assert!(
            command_lines_with("ctt_").is_empty(),
            "a token on a command line"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(lead.close().expect("close the lead").success());
    assert_nothing_left(&agent_id);
    let (status, stderr) = rig.server.stop();
    assert!(status.success(), "{stderr}");
}

/// Issue 14 end to end: the REAL Codex CLI as lead (the mock model's scripted lead) with a
/// profile whose `worker.runner` is `ssh`, so its plain `team_spawn {role}` starts the worker
/// on the ssh host; the team server by URL (`serve-mcp --http`) shares the lead's database.
/// The worker claims, publishes and finishes; the lead finalizes; nothing is left on either
/// side and the token is on no command line.
#[test]
fn a_real_codex_lead_sends_its_worker_to_the_ssh_host_by_profile() {
    const PLAN: &str = "goal: fix the pager\ntasks:\n  - {key: fix, title: Fix the off-by-one in the pager, size: s}\n";
    let Some(rig) = Rig::start(PLAN, "  runner: ssh\n") else {
        return;
    };
    let codex = common::codex::require().expect("checked by Rig::start");
    let mut options = RealOptions::new(Script::parse(PLAN, "ssh e2e plan").expect("plan"));
    options.codex = Some(codex);
    options.bin = Some(PathBuf::from(env!("CARGO_BIN_EXE_codex-teams")));
    options.timeout = Duration::from_secs(240);
    options.profile = Some("remote".into());
    options.teams_home = Some(rig.home.home.clone());
    let mut team = RealTeam::start(options).expect("start the lead's Codex");
    while team.lead_running() {
        let leaked = command_lines_with("ctt_");
        assert!(leaked.is_empty(), "a token on a command line: {leaked:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let report = team.finish().expect("the run's report");
    let tools = report.lead.tools();
    assert_eq!(report.lead.exit_code, Some(0), "{tools:?}");
    assert_eq!(tools.last(), Some(&"team_finalize"), "{tools:?}");
    assert!(report.leftover.is_empty(), "{:?}", report.leftover);
    assert_eq!(report.team.team_state, Some(TeamState::Finalized));
    assert_eq!((report.team.tasks.done, report.team.tasks_total), (1, 1));

    let conn = rusqlite::Connection::open(&rig.home.db).expect("open db");
    let workers: Vec<[String; 4]> = conn
        .prepare(
            "SELECT a.agent_id, a.runner, a.state, t.task_id FROM agents a, tasks t \
             WHERE a.role != 'lead' AND t.team_id = a.team_id",
        )
        .and_then(|mut s| {
            s.query_map([], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?]))?
                .collect()
        })
        .expect("the team's workers");
    let [[agent_id, runner, state, task]] = workers.as_slice() else {
        panic!("one worker, one task: {workers:?}");
    };
    assert_eq!((runner.as_str(), state.as_str()), ("ssh", "stopped"));
    let team_id = report.team.team_id.clone().unwrap_or_default();
    common::home::assert_done_and_published(&conn, task, &team_id, agent_id, &format!("{tools:?}"));
    assert_nothing_left(agent_id);
    let sshd_log = std::fs::read_to_string(&rig.sshd.log).unwrap_or_default();
    assert!(sshd_log.contains("Accepted publickey"), "{sshd_log}");
    assert!(!sshd_log.contains("ctt_"), "a token in sshd's log");
    assert!(rig.remote_codex.join("sessions").is_dir());
    let (status, stderr) = rig.server.stop();
    assert!(status.success(), "{stderr}");
}
