//! A real DynamoDB emulator for the tests: moto's server, started on a free port and
//! stopped when the guard is dropped.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use team_dynamo::{DynamoPolicyStore, DynamoRequestStore};

/// What a developer or CI must install when moto is missing.
pub const INSTALL: &str = "pip install 'moto[server]'";

/// How long moto may take to start listening.
const START_WITHIN: Duration = Duration::from_secs(60);

/// A running `python3 -m moto.server`; killed on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

impl Moto {
    /// Starts moto on a free port and waits until it answers. Panics (fails the test)
    /// with the install line when moto is not installed: skipping silently would let
    /// the DynamoDB stores go untested.
    pub fn start() -> Moto {
        let probe = Command::new("python3")
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match probe {
            Ok(status) if status.success() => {}
            Ok(_) => panic!(
                "moto's server is not installed, and these tests need it as DynamoDB emulator: run `{INSTALL}`"
            ),
            Err(err) => panic!(
                "python3 is needed to run moto, the DynamoDB emulator ({err}); install Python 3, then run `{INSTALL}`"
            ),
        }
        let port = free_port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start moto ({e}); run `{INSTALL}`"));
        let mut moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        loop {
            if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
                return moto;
            }
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto exited at start with {status}; is `{INSTALL}` complete?");
            }
            assert!(
                started.elapsed() < START_WITHIN,
                "moto did not listen on port {port} within {START_WITHIN:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A DynamoDB client for this moto, with fake static credentials in us-east-1.
    pub fn client(&self) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .endpoint_url(&self.endpoint)
            .build();
        Client::from_conf(config)
    }

    /// Fresh tables (unique names) and the two stores over them.
    pub async fn stores(&self) -> (DynamoRequestStore, DynamoPolicyStore) {
        let client = self.client();
        let (requests, policies) = (unique("requests"), unique("policies"));
        team_dynamo::create_tables(&client, &requests, &policies)
            .await
            .unwrap();
        (
            DynamoRequestStore::new(client.clone(), requests),
            DynamoPolicyStore::new(client, policies),
        )
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Only the child this guard started.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    // The OS picks a free port; moto binds it right after (a small race other tests accept too).
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    listener.local_addr().unwrap().port()
}

/// A table name no other test uses.
pub fn unique(what: &str) -> String {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "team-{what}-{}-{}-{nanos}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    )
}
