//! A private moto server for one test ([`team_moto`]) and SDK clients pointed at it.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_sns::config::Credentials;

/// A private moto server (see [`team_moto`]) with SDK configuration and helpers for
/// reading back what the adapters sent; stopped on drop.
pub struct Moto {
    server: team_moto::Moto,
}

impl Moto {
    /// Starts moto; fails the test with the install line when moto is missing.
    pub fn start() -> Moto {
        Moto {
            server: team_moto::Moto::start(),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        self.server.endpoint()
    }

    /// SDK configuration for moto: us-east-1, static fake credentials, moto's endpoint.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await
    }

    /// moto's dump of its models (`/moto-api/data.json`): how a test sees what
    /// was sent where the AWS API has no read-back (SES messages, SQS bodies).
    pub async fn model_data(&self) -> serde_json::Value {
        reqwest::get(format!("{}/moto-api/data.json", self.endpoint()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Calls a JSON-protocol AWS API of moto directly (for services this crate
    /// has no client for); moto routes by the credential scope and does not
    /// check signatures.
    pub async fn call_json(
        &self,
        service: &str,
        target: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let response = reqwest::Client::new()
            .post(self.endpoint())
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", target)
            .header(
                "authorization",
                format!("AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"),
            )
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{target}: {}",
            response.status()
        );
        response.json().await.unwrap()
    }
}
