//! A private [moto](https://github.com/getmoto/moto) server for one test: started on a
//! free port of 127.0.0.1, stopped when the guard is dropped, and the SDK
//! configuration for clients pointed at it.
//!
//! moto is a Python package (`pip install 'moto[server]'`). Without it, [`Moto::start`]
//! panics with the install line: an adapter test must fail, never pass silently, when
//! its emulator is missing. `MOTO_PYTHON` names another interpreter than `python3`.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// What a developer or CI must install when moto is missing.
pub const INSTALL: &str = "pip install 'moto[server]'";

/// How long moto may take to listen: Python starts slowly on two busy cores.
const START_WITHIN: Duration = Duration::from_secs(60);

/// A running `python3 -m moto.server`; killed on drop.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    /// Starts moto on a free port and waits until it accepts connections.
    ///
    /// # Panics
    /// When moto is not installed, exits early or does not listen within a minute
    /// (this is test support: a panic fails the test with the reason).
    pub fn start() -> Moto {
        let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let probe = Command::new(&python)
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match probe {
            Ok(status) if status.success() => {}
            Ok(_) => panic!(
                "moto's server is not installed for {python}; these tests need it: `{INSTALL}`"
            ),
            Err(err) => {
                panic!("{python} is needed to run moto ({err}); install Python 3, then `{INSTALL}`")
            }
        }
        let port = free_port();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start moto with {python}: {err}; `{INSTALL}`"));
        let mut moto = Moto { child, port };
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

    /// `http://127.0.0.1:<port>`: the endpoint URL for SDK clients.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SDK configuration for clients of this moto: us-east-1, static fake
    /// credentials (moto checks no signature), moto's endpoint.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Only the child this guard started.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port the OS reports free; moto binds it right after (a small race tests accept).
fn free_port() -> u16 {
    match TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()) {
        Ok(address) => address.port(),
        Err(err) => panic!("no free local port for moto: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_started_moto_answers_on_its_endpoint_and_is_gone_after_drop() {
        let moto = Moto::start();
        let port = moto.port;
        assert!(TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok());
        drop(moto);
        assert!(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err(),
            "moto must stop with its guard"
        );
    }

    #[tokio::test]
    async fn the_sdk_configuration_points_at_this_moto_with_fake_credentials() {
        use aws_credential_types::provider::ProvideCredentials;
        let moto = Moto::start();
        let config = moto.sdk_config().await;
        assert_eq!(config.endpoint_url(), Some(moto.endpoint().as_str()));
        assert_eq!(config.region().map(|r| r.as_ref()), Some("us-east-1"));
        let credentials = config
            .credentials_provider()
            .expect("credentials are configured")
            .provide_credentials()
            .await
            .expect("static credentials resolve");
        assert_eq!(credentials.access_key_id(), "testing");
    }
}
