//! A private nisshi broker on SQLite storage, so its topics, messages and committed
//! offsets survive when the test kills it and starts it again on the same port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::daemon::Daemon;
use crate::support::free_address;

/// The broker; `None` in `running` while it is down.
pub struct PrivateBroker {
    pub address: SocketAddr,
    folder: PathBuf,
    program: String,
    running: Option<Daemon>,
}

impl PrivateBroker {
    /// Starts one in `folder`; `None` (after saying SKIPPED) when nisshi is not installed,
    /// unless `FXMON_TEST_REQUIRE_KAFKA` is set.
    pub fn start(folder: &Path) -> Option<Self> {
        let program = std::env::var("FXMON_NISSHI").unwrap_or_else(|_| "nisshi".to_owned());
        if Command::new(&program).arg("--version").output().is_err() {
            assert!(
                std::env::var_os("FXMON_TEST_REQUIRE_KAFKA").is_none(),
                "FXMON_TEST_REQUIRE_KAFKA is set but `{program}` cannot be run"
            );
            eprintln!("SKIPPED: no Kafka broker (`{program}` not found; see docs/KAFKA.md)");
            return None;
        }
        let mut broker = Self {
            address: free_address(),
            folder: folder.to_owned(),
            program,
            running: None,
        };
        broker.restart();
        Some(broker)
    }

    /// Kills the broker, as a crash would.
    pub fn stop(&mut self) {
        self.running = None;
    }

    /// Starts it again on the same port and the same database file.
    pub fn restart(&mut self) {
        let url = format!("tcp://{}", self.address);
        let mut command = Command::new(&self.program);
        // nisshi reads a `.env` in its working folder, and the relative file lives there.
        command.current_dir(&self.folder).args([
            "broker",
            "--listener-url",
            &url,
            "--advertised-listener-url",
            &url,
            "--storage-engine",
            "sqlite://broker.db",
            "--group-initial-rebalance-delay",
            "0s",
        ]);
        let log = self.folder.join("broker.log");
        self.running = Some(Daemon::spawn(command, &log, self.address));
    }
}
