//! `serve-mcp --http 127.0.0.1:0` processes on a [`TempHome`], found by the URL they print.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use super::home::TempHome;

/// A `serve-mcp --http 127.0.0.1:0` process; SIGTERM and a wait on drop.
pub struct HttpServer {
    child: Option<Child>,
    pub url: String,
}

impl HttpServer {
    pub fn start(home: &TempHome) -> HttpServer {
        HttpServer::start_at(home, "127.0.0.1:0")
    }

    /// `serve-mcp --http ADDR` (a loopback address).
    pub fn start_at(home: &TempHome, addr: &str) -> HttpServer {
        let mut child = Command::new(super::exe())
            .args(["serve-mcp", "--http", addr, "--db"])
            .arg(&home.db)
            .envs(home.env())
            .current_dir(&home.workspace)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start serve-mcp --http");
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("read the URL line");
        let url = first.trim().to_string();
        let ip = addr.rsplit_once(':').map_or(addr, |(ip, _)| ip);
        assert!(
            url.starts_with(&format!("http://{ip}:")) && url.ends_with("/mcp"),
            "stdout's first line is the URL: {first:?}"
        );
        HttpServer {
            child: Some(child),
            url,
        }
    }

    pub fn addr(&self) -> String {
        self.url
            .trim_start_matches("http://")
            .trim_end_matches("/mcp")
            .to_string()
    }

    /// SIGTERM, then the exit status and everything it wrote on stderr.
    pub fn stop(mut self) -> (std::process::ExitStatus, String) {
        let mut child = self.child.take().expect("running");
        codex_teams::platform::signal(child.id(), libc::SIGTERM);
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            e.read_to_string(&mut stderr).expect("read stderr");
        }
        (child.wait().expect("wait"), stderr)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
