//! The crash loop of a distributed role: start it, let it make progress, SIGKILL it at a
//! random moment, again; then one undisturbed run until the work is done.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::plan::{Plan, Rng};
use crate::support::Process;

/// How long a (re)started role may take to make progress: joining the group may wait for
/// the killed member's session to time out.
const PROGRESS_TIMEOUT: Duration = Duration::from_secs(60);

/// One role, how to start it, and how to measure its work in the store.
pub struct Role<'a, F: FnMut() -> u64> {
    pub folder: &'a Path,
    pub name: &'a str,
    pub args: &'a [&'a str],
    pub env: &'a [(&'static str, String)],
    /// Work done so far, read from the store.
    pub progress: F,
    /// Work done when everything is processed.
    pub target: u64,
}

impl<F: FnMut() -> u64> Role<'_, F> {
    fn start(&self, incarnation: &str) -> Process {
        Process::fxmon(
            self.folder,
            &format!("{}-{incarnation}", self.name),
            self.args,
            self.env,
        )
    }

    /// Kills up to `plan.kills` incarnations, each after it has stored something, at a
    /// random moment up to `plan.max_uptime` later. Returns the kills done (fewer when the
    /// work ended first).
    pub async fn kill_repeatedly(&mut self, plan: &Plan, rng: &mut Rng) -> usize {
        let mut kills = 0;
        while kills < plan.kills {
            let before = (self.progress)();
            if before >= self.target {
                break;
            }
            let mut process = self.start(&kills.to_string());
            self.wait(&mut process, PROGRESS_TIMEOUT, |done| done > before)
                .await;
            tokio::time::sleep(rng.upto(plan.max_uptime)).await;
            process.crash();
            kills += 1;
        }
        kills
    }

    /// Starts an incarnation that is left alone until the work is done; returns it running.
    pub async fn finish(&mut self, incarnation: &str, timeout: Duration) -> Process {
        let mut process = self.start(incarnation);
        let target = self.target;
        self.wait(&mut process, timeout, |done| done >= target)
            .await;
        process
    }

    async fn wait(
        &mut self,
        process: &mut Process,
        timeout: Duration,
        ready: impl Fn(u64) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            let done = (self.progress)();
            if ready(done) {
                return;
            }
            if let Some(status) = process.exited() {
                panic!("{} exited ({status}):\n{}", self.name, process.log());
            }
            assert!(
                Instant::now() < deadline,
                "{} made no progress in {timeout:?} ({done}/{}):\n{}",
                self.name,
                self.target,
                process.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
