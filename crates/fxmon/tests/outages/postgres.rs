//! A throwaway PostgreSQL cluster of the test's own (initdb in a temporary folder), which
//! the test may stop abruptly and start again without disturbing anyone else.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::daemon::output;
use crate::support::free_address;

/// The cluster; stopped (immediately) when dropped.
pub struct PrivatePostgres {
    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub url: String,
    bin: PathBuf,
    data: PathBuf,
    options: String,
}

impl PrivatePostgres {
    /// Creates and starts a cluster under `folder`; `None` (after saying SKIPPED) without
    /// PostgreSQL's server programs, unless `FXMON_TEST_REQUIRE_POSTGRES` is set.
    pub fn start(folder: &Path) -> Option<Self> {
        let Some(bin) = server_programs() else {
            assert!(
                std::env::var_os("FXMON_TEST_REQUIRE_POSTGRES").is_none(),
                "FXMON_TEST_REQUIRE_POSTGRES is set but initdb was not found"
            );
            eprintln!("SKIPPED: no PostgreSQL server programs (set FXMON_PG_BINDIR)");
            return None;
        };
        let home = folder.join("pg");
        std::fs::create_dir(&home).unwrap();
        // initdb refuses to run as root: the cluster belongs to `postgres` then, which must
        // be able to reach it.
        if as_root() {
            output("chmod", &["755", folder.to_str().unwrap()]);
            output("chown", &["postgres:", home.to_str().unwrap()]);
        }
        let data = home.join("data");
        let port = free_address().port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            home.display()
        );
        let cluster = Self {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            bin,
            data,
            options,
        };
        let data = cluster.data.to_str().unwrap().to_owned();
        cluster.run(
            "initdb",
            &["-D", &data, "-U", "postgres", "--auth=trust", "-N"],
        );
        cluster.start_again();
        Some(cluster)
    }

    /// Kills the server as a crash would (`pg_ctl stop -m immediate`).
    pub fn stop(&self) {
        let data = self.data.to_str().unwrap();
        self.run("pg_ctl", &["-D", data, "-m", "immediate", "-w", "stop"]);
    }

    /// Starts the server again (crash recovery included); returns once it accepts queries.
    pub fn start_again(&self) {
        let data = self.data.to_str().unwrap();
        let log = self.data.parent().unwrap().join("server.log");
        let log = log.to_str().unwrap();
        let options = self.options.as_str();
        self.run(
            "pg_ctl",
            &["-D", data, "-o", options, "-l", log, "-w", "start"],
        );
    }

    /// Runs one of the server programs, as `postgres` when the test runs as root.
    fn run(&self, program: &str, args: &[&str]) {
        let started = Instant::now();
        let out = self.command(program).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("{program} took {:?}", started.elapsed());
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        if as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

/// Where initdb and pg_ctl are: `FXMON_PG_BINDIR`, or Debian's newest.
fn server_programs() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FXMON_PG_BINDIR") {
        return Some(PathBuf::from(dir));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn as_root() -> bool {
    output("id", &["-u"]).trim() == "0"
}
