//! `Broker`: a nisshi broker for one test, stopped on drop; helpers to consume.

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fxmon_adapters::kafka::{ensure_topics, KafkaSettings, TopicSpec};
use fxmon_app::ports::{BusSubscriber, Delivery};

/// Starts a broker for the calling test, or returns from it when none can be run.
macro_rules! broker {
    () => {
        match crate::support::Broker::start(concat!(module_path!(), ":", line!())) {
            Some(broker) => broker,
            None => return,
        }
    };
}
pub(crate) use broker;

/// A running broker, killed when dropped.
pub struct Broker {
    child: Child,
    pub address: SocketAddr,
    _folder: tempfile::TempDir,
}

impl Broker {
    /// A broker on a free loopback port, listening; `None` (after saying why) when nisshi
    /// is not installed and the environment does not require it.
    pub fn start(test: &str) -> Option<Broker> {
        let program = std::env::var("FXMON_NISSHI").unwrap_or_else(|_| "nisshi".to_owned());
        if Command::new(&program).arg("--version").output().is_err() {
            let required = std::env::var_os("FXMON_TEST_REQUIRE_KAFKA").is_some();
            assert!(
                !required,
                "FXMON_TEST_REQUIRE_KAFKA is set but `{program}` cannot be run"
            );
            // Straight to stderr: libtest swallows the `eprintln!` of a passing test.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: no Kafka broker (`{program}` not found; see docs/KAFKA.md)"
            );
            return None;
        }
        let address = free_address();
        // nisshi reads a `.env` in its working folder; give it an empty one.
        let folder = tempfile::tempdir().expect("temp folder");
        let url = format!("tcp://{address}");
        let child = Command::new(&program)
            .current_dir(folder.path())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
            ])
            .args([
                "--storage-engine",
                "memory://nisshi/",
                "--group-initial-rebalance-delay",
                "0s",
            ])
            .args(["--group-poll-interval", "50ms"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nisshi");
        let broker = Broker {
            child,
            address,
            _folder: folder,
        };
        broker.wait_until_listening();
        Some(broker)
    }

    fn wait_until_listening(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(self.address).is_err() {
            assert!(
                Instant::now() < deadline,
                "nisshi did not listen on {}",
                self.address
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Settings for this broker with a prefix of the test's own, and quick heartbeats so
    /// rebalances settle fast.
    pub fn settings(&self, prefix: &str) -> KafkaSettings {
        let mut settings = KafkaSettings::new(self.address.to_string());
        settings.client_id = format!("fxmon-test-{prefix}");
        settings.prefix = format!("{prefix}.");
        settings.extra = vec![("heartbeat.interval.ms".to_owned(), "200".to_owned())];
        settings
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback address nothing listens on (as long as nobody takes it meanwhile).
pub fn free_address() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local address")
}

/// Creates one topic with `partitions` partitions.
pub async fn create_topic(settings: &KafkaSettings, name: &str, partitions: i32) {
    let spec = TopicSpec {
        name: name.to_owned(),
        partitions,
        retention_ms: 60_000,
        replication_factor: -1,
    };
    ensure_topics(settings, &[spec])
        .await
        .expect("create topic");
}

/// The next message, failing the test after 15 s.
pub async fn next(subscriber: &mut dyn BusSubscriber) -> Delivery {
    tokio::time::timeout(Duration::from_secs(15), subscriber.next())
        .await
        .expect("a message within 15 s")
        .expect("consume")
        .expect("the bus is open")
}

/// `count` messages as (key, payload as text, partition), committing none.
pub async fn take(subscriber: &mut dyn BusSubscriber, count: usize) -> Vec<(String, String, i32)> {
    let mut taken = Vec::with_capacity(count);
    for _ in 0..count {
        let delivery = next(subscriber).await;
        let payload = String::from_utf8(delivery.payload).expect("text payload");
        taken.push((delivery.key, payload, delivery.partition));
    }
    taken
}
