//! A real DynamoDB emulator for the tests: a private moto server ([`team_moto`]) and
//! DynamoDB clients and stores pointed at it.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use team_dynamo::{DynamoPolicyStore, DynamoRequestStore};

/// A running moto server; stopped on drop.
pub struct Moto {
    server: team_moto::Moto,
}

impl Moto {
    /// Starts moto; fails the test with the install line when moto is missing, since
    /// skipping silently would leave the DynamoDB stores untested.
    pub fn start() -> Moto {
        Moto {
            server: team_moto::Moto::start(),
        }
    }

    /// A DynamoDB client for this moto, with fake static credentials in us-east-1.
    pub fn client(&self) -> Client {
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .endpoint_url(self.server.endpoint())
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
