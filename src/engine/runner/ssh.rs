//! The `ssh` runner: each worker is a real `codex exec --json` on another host, started
//! through the system `ssh` client, whose Codex reaches the team server (`serve-mcp
//! --http`) by URL with the worker's bearer token (docs/remote.md).
//!
//! - Where: the team profile's `worker.ssh` (host, port, user, identity file, known hosts,
//!   the remote Codex, its `CODEX_HOME` and working directory, and the team server's URL as
//!   the remote host reaches it).
//! - Launch: `ssh -T -o BatchMode=yes -o StrictHostKeyChecking=yes ... HOST SCRIPT`, where
//!   SCRIPT is a small `sh` wrapper ([`remote_script`]) holding no secret. ssh's stdin
//!   carries the worker's token (first line), the brief's length (second line) and the
//!   brief. The wrapper reads the token into a shell variable and gives it to the one
//!   `codex exec` it starts, in that process's environment only: the token is on no
//!   command line on either host, and not in the environment of the local ssh.
//! - Supervision: as for `codex-exec` (the JSONL stream arrives on ssh's stdout), except
//!   metering: the worker's rollout files are on the other host, so it is charged from the
//!   stream's `turn.completed` usage.
//! - Stop: a stopped worker has [`TURN_GRACE`] to end its turn (its usage arrives with
//!   `turn.completed`), then its ssh is ended. ssh's stdin is held open for the worker's
//!   life. Ending the ssh, or the
//!   death of the process that started it, ends the local ssh; the remote wrapper sees its
//!   stdin close and ends the remote Codex's process group (SIGTERM, then SIGKILL), then
//!   every process still carrying the worker's launch id (read from `/proc`, on Linux).

use std::process::Command;
use std::time::{Duration, Instant};

use crate::error::{EngineError, Result};
use crate::ids::AgentId;
use crate::policy::{WorkerCodex, WorkerSsh};
use crate::runner::codex_exec::{self, Process, SERVER_NAME};
use crate::runner::{
    ENV_AGENT_ID, ENV_AGENT_TOKEN, ENV_TEAM_ID, LaunchRequest, Launched, Runner, procs,
};

pub struct Ssh;

/// How long a stopped remote worker has to end its turn before its ssh is ended.
pub const TURN_GRACE: Duration = Duration::from_secs(10);

/// What the local `ssh` runs: its arguments, ending with the host and the remote script.
pub fn ssh_args(ssh: &WorkerSsh, script: &str) -> Vec<String> {
    let mut args: Vec<String> = vec!["-T".into()];
    for option in [
        "BatchMode=yes",
        "StrictHostKeyChecking=yes",
        "ServerAliveInterval=15",
        "ServerAliveCountMax=4",
    ] {
        args.extend(["-o".into(), option.into()]);
    }
    if let Some(file) = &ssh.known_hosts {
        args.extend([
            "-o".into(),
            format!("UserKnownHostsFile={}", file.display()),
        ]);
    }
    if let Some(file) = &ssh.identity_file {
        args.extend(["-i".into(), file.display().to_string()]);
        args.extend(["-o".into(), "IdentitiesOnly=yes".into()]);
    }
    if let Some(port) = ssh.port {
        args.extend(["-p".into(), port.to_string()]);
    }
    if let Some(user) = &ssh.user {
        args.extend(["-l".into(), user.clone()]);
    }
    args.extend(["--".into(), ssh.host.clone(), script.to_string()]);
    args
}

/// A word for `sh`, quoted.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r#"'\''"#))
}

/// The `sh` script the remote host runs. It reads the token and the brief from stdin,
/// starts `codex` with `args` in a session of its own (the token, launch id and identity
/// in its environment), and ends it when it exits or when stdin closes (the local ssh is
/// gone). Holds no secret: it is on the command line of both hosts.
pub fn remote_script(
    request: &LaunchRequest,
    ssh: &WorkerSsh,
    launch: &str,
    args: &[String],
) -> String {
    // Not the local ssh's launch id: a remote sweep must never match a local process (the
    // same machine, when the "remote" host is this one).
    let remote_launch = format!("{launch}.remote");
    let marker = quote(&format!("{}={remote_launch}", codex_exec::ENV_LAUNCH_ID));
    let mut env = vec![
        format!("{ENV_AGENT_TOKEN}=\"$t\""),
        format!("{}={}", codex_exec::ENV_LAUNCH_ID, quote(&remote_launch)),
        format!("{ENV_TEAM_ID}={}", quote(request.team_id.as_str())),
        format!("{ENV_AGENT_ID}={}", quote(request.agent_id.as_str())),
    ];
    if let Some(home) = &ssh.codex_home {
        env.push(format!("CODEX_HOME={}", quote(home)));
    }
    let command: Vec<String> = std::iter::once(ssh.codex.as_str())
        .chain(args.iter().map(String::as_str))
        .map(quote)
        .collect();
    format!(
        r#"IFS= read -r t || exit 97
IFS= read -r n || exit 97
f=$(mktemp) || exit 97
head -c "$n" > "$f" || exit 97
exec 4<"$f"
rm -f "$f"
exec 3<&0
{env} setsid {command} <&4 &
c=$!
t=
exec 4<&-
end() {{
  kill -TERM -- "-$c" 2>/dev/null
  i=0
  while kill -0 -- "-$c" 2>/dev/null && [ "$i" -lt 30 ]; do sleep 0.1; i=$((i+1)); done
  kill -KILL -- "-$c" 2>/dev/null
  for p in /proc/[0-9]*; do
    grep -qxz {marker} "$p/environ" 2>/dev/null && kill -KILL "${{p#/proc/}}" 2>/dev/null
  done
}}
{{ cat <&3 >/dev/null 2>&1; end; }} >/dev/null 2>&1 &
w=$!
exec 3<&-
wait "$c"
s=$?
end
kill "$w" 2>/dev/null
exit "$s""#,
        env = env.join(" "),
        command = command.join(" "),
    )
}

/// What ssh's stdin carries: the token line, the brief's length in bytes, the brief.
pub fn stdin_payload(token: &str, prompt: &str) -> Vec<u8> {
    let mut input = format!("{token}\n{}\n", prompt.len()).into_bytes();
    input.extend_from_slice(prompt.as_bytes());
    input
}

/// The `-c` values that point the remote Codex at the team server by URL, with the token
/// from its environment.
pub fn server_config(url: &str) -> Vec<String> {
    vec![
        format!("mcp_servers.{SERVER_NAME}.url=\"{url}\""),
        format!("mcp_servers.{SERVER_NAME}.bearer_token_env_var=\"{ENV_AGENT_TOKEN}\""),
    ]
}

impl Ssh {
    /// Starts the worker's ssh and its supervisor thread.
    pub fn start(&self, request: &LaunchRequest) -> Result<Launched> {
        let ssh = request.ssh.as_ref().ok_or_else(|| {
            EngineError::invalid(
                "runner",
                "`ssh` needs `worker.ssh` (host and team server url) in the team's profile; see docs/remote.md",
            )
        })?;
        let token = request.env.get(ENV_AGENT_TOKEN).ok_or_else(|| {
            EngineError::Config("the worker has no token to give its remote Codex".into())
        })?;
        let workdir = ssh.workdir.clone().unwrap_or_else(|| ".".into());
        // The compact instructions file is on this host, not the remote one.
        let args = codex_exec::codex_args(request, &workdir, None, &server_config(&ssh.url));
        let launch = codex_exec::new_launch_id();
        let script = remote_script(request, ssh, &launch, &args);
        let mut command = Command::new("ssh");
        command.args(ssh_args(ssh, &script)).env_clear();
        // ssh needs little of ours: where its config and agent are.
        for var in ["HOME", "PATH", "USER", "LOGNAME", "SSH_AUTH_SOCK", "LANG"] {
            if let Some(v) = std::env::var_os(var) {
                command.env(var, v);
            }
        }
        if let Some(dir) = &request.workspace {
            command.current_dir(dir);
        }
        let process = Process {
            command,
            input: stdin_payload(token, &codex_exec::prompt(request)),
            hold_stdin: true,
            codex_home: None,
        };
        let launched = codex_exec::start_supervised(request, launch, process, "ssh")?;
        tracing::info!(team_id = %request.team_id, agent_id = %request.agent_id, pid = launched.pid, host = %ssh.host, "remote worker started over ssh");
        Ok(launched)
    }
}

impl Runner for Ssh {
    fn name(&self) -> &'static str {
        "ssh"
    }

    /// The compact instructions file is not on the remote host: the brief teaches the loop.
    fn teaches_work_loop(&self, _codex: &WorkerCodex) -> bool {
        false
    }

    fn launch(&self, request: &LaunchRequest) -> Result<Launched> {
        self.start(request)
    }

    /// Gives the worker [`TURN_GRACE`] to end its turn on its own (it is marked stopped, so
    /// its next team call is refused), so that the turn's usage reaches the stream and is
    /// charged; then ends it. In the background: the call that stopped it may be the
    /// worker's own, which it waits for before it can end its turn.
    fn stop(&self, agent: &AgentId, pid: Option<u32>) -> Result<()> {
        let agent = agent.clone();
        std::thread::Builder::new()
            .name(format!("stop-{agent}"))
            .spawn(move || {
                if let Some(pid) = pid {
                    let deadline = Instant::now() + TURN_GRACE;
                    while procs::group_running(pid) && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
                codex_exec::stop_started(&agent, pid);
            })
            .map(|_| ())
            .map_err(|e| EngineError::Config(format!("starting the stop thread: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The wrapper for an executable `codex` script with `body`, run by a local `sh`
    /// standing in for the remote shell, its stdin piped.
    fn run_wrapper(
        dir: &std::path::Path,
        body: &str,
        launch: &str,
    ) -> (std::process::Child, std::process::ChildStdin) {
        let fake = dir.join("codex");
        std::fs::write(&fake, format!("#!/bin/sh\n{body}")).unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let mut ssh = host();
        ssh.codex = fake.display().to_string();
        ssh.codex_home = None;
        let script = remote_script(&request("ctt_tok"), &ssh, launch, &[]);
        let mut child = std::process::Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        (child, stdin)
    }

    fn request(token: &str) -> LaunchRequest {
        LaunchRequest::for_test(token, "BRIEF it's", None)
    }

    fn host() -> WorkerSsh {
        WorkerSsh {
            host: "build-box".into(),
            url: "https://teams.example/mcp".into(),
            port: Some(2222),
            user: Some("ci".into()),
            identity_file: Some(PathBuf::from("/k/id")),
            known_hosts: Some(PathBuf::from("/k/known")),
            codex: "/opt/codex".into(),
            codex_home: Some("/srv/codex home".into()),
            workdir: Some("/srv/ws".into()),
        }
    }

    #[test]
    fn the_token_and_the_brief_travel_on_stdin_only() {
        let token = "ctt_secretsecret";
        let r = request(token);
        let ssh = host();
        let args = codex_exec::codex_args(&r, "/srv/ws", None, &server_config(&ssh.url));
        let script = remote_script(&r, &ssh, "L1", &args);
        let argv = ssh_args(&ssh, &script).join(" ");
        assert!(!argv.contains(token) && !argv.contains("BRIEF"), "{argv}");
        assert!(argv.contains("-o BatchMode=yes") && argv.contains("-p 2222"));
        assert!(argv.contains("-l ci") && argv.contains("-i /k/id"));
        assert!(argv.contains("UserKnownHostsFile=/k/known"));
        assert!(argv.contains("-- build-box IFS="), "{argv}");
        assert!(script.contains("mcp_servers.codex-teams.url=\"https://teams.example/mcp\""));
        assert!(script.contains(
            "'mcp_servers.codex-teams.bearer_token_env_var=\"CODEX_TEAMS_AGENT_TOKEN\"'"
        ));
        assert!(script.contains("CODEX_HOME='/srv/codex home'"), "{script}");
        assert!(script.contains("setsid '/opt/codex' 'exec'"), "{script}");
        assert!(!script.contains("env_vars"), "{script}");
        let input = stdin_payload(token, "BRIEF it's");
        assert_eq!(input, b"ctt_secretsecret\n10\nBRIEF it's");
    }

    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(quote("it's"), r#"'it'\''s'"#);
    }

    /// The wrapper, run by a local `sh` standing in for the remote shell: the token reaches
    /// the program's environment, the brief its stdin, and its exit status comes back.
    #[test]
    fn the_wrapper_hands_over_token_and_brief_and_returns_the_status() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let body = format!(
            "printf '%s|' \"$CODEX_TEAMS_AGENT_TOKEN\" > '{0}'\ncat >> '{0}'\nexit 3\n",
            out.display()
        );
        let (mut child, mut stdin) = run_wrapper(dir.path(), &body, "L2");
        stdin
            .write_all(&stdin_payload("ctt_tok", "two\nlines"))
            .unwrap();
        let status = child.wait().unwrap();
        drop(stdin);
        assert_eq!(status.code(), Some(3));
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "ctt_tok|two\nlines");
    }

    /// When the local ssh is gone (the wrapper's stdin closes), the remote Codex and
    /// whatever carries its launch id are ended, and the wrapper exits.
    #[test]
    fn the_wrapper_ends_the_remote_codex_when_its_stdin_closes() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let launch = codex_exec::new_launch_id();
        let (mut child, mut stdin) =
            run_wrapper(dir.path(), "sleep 60 &\nexec sleep 60\n", &launch);
        stdin.write_all(&stdin_payload("ctt_tok", "brief")).unwrap();
        let marker = [format!("{}={launch}.remote", codex_exec::ENV_LAUNCH_ID)];
        let deadline = Instant::now() + Duration::from_secs(10);
        while procs::find(&marker, &[]).len() < 2 {
            assert!(Instant::now() < deadline, "the fake Codex did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        drop(stdin);
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the wrapper did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(procs::find(&marker, &[]), Vec::new());
    }
}
