//! A private moto server for one test ([`team_moto`]), and reading back from it what
//! the adapters sent.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

pub use team_moto::Moto;

/// moto's dump of its models (`/moto-api/data.json`): how a test sees what
/// was sent where the AWS API has no read-back (SES messages, SQS bodies).
pub async fn model_data(moto: &Moto) -> serde_json::Value {
    reqwest::get(format!("{}/moto-api/data.json", moto.endpoint()))
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
    moto: &Moto,
    service: &str,
    target: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let response = reqwest::Client::new()
        .post(moto.endpoint())
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

/// The ARN of moto's Identity Center instance (moto has exactly one).
pub async fn instance_arn(sso: &aws_sdk_ssoadmin::Client) -> String {
    sso.list_instances()
        .send()
        .await
        .unwrap()
        .instances
        .unwrap()[0]
        .instance_arn
        .clone()
        .unwrap()
}
