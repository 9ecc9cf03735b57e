//! `infra/dynamodb.md` is what auditors and the CloudFormation template rely on: its
//! CloudFormation section must say exactly what the code creates.
#![allow(clippy::unwrap_used)]

use team_dynamo::TableDefinition;

/// Where the resource's `Properties` put the table's keys in the documented YAML.
const INDENT: &str = "      ";

/// The `AttributeDefinitions`, `KeySchema` and `GlobalSecondaryIndexes` of a table as
/// CloudFormation YAML, indented as properties of an `AWS::DynamoDB::Table` resource.
fn cloudformation(definition: &TableDefinition) -> String {
    let mut lines = vec!["AttributeDefinitions:".to_owned()];
    for a in &definition.attribute_definitions {
        lines.push(format!("  - AttributeName: {}", a.attribute_name()));
        lines.push(format!(
            "    AttributeType: {}",
            a.attribute_type().as_str()
        ));
    }
    lines.push("KeySchema:".to_owned());
    for k in &definition.key_schema {
        lines.push(format!("  - AttributeName: {}", k.attribute_name()));
        lines.push(format!("    KeyType: {}", k.key_type().as_str()));
    }
    lines.push("GlobalSecondaryIndexes:".to_owned());
    for index in &definition.global_secondary_indexes {
        lines.push(format!("  - IndexName: {}", index.index_name()));
        lines.push("    KeySchema:".to_owned());
        for k in index.key_schema() {
            lines.push(format!("      - AttributeName: {}", k.attribute_name()));
            lines.push(format!("        KeyType: {}", k.key_type().as_str()));
        }
        lines.push("    Projection:".to_owned());
        let projection = index
            .projection()
            .and_then(|p| p.projection_type())
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        lines.push(format!("      ProjectionType: {projection}"));
    }
    lines
        .iter()
        .map(|l| format!("{INDENT}{l}\n"))
        .collect::<String>()
}

#[test]
fn the_documented_cloudformation_tables_are_the_tables_the_code_creates() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/dynamodb.md");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    for definition in team_dynamo::table_definitions("TeamRequests", "TeamPolicies").unwrap() {
        let yaml = cloudformation(&definition);
        assert!(
            doc.contains(&yaml),
            "infra/dynamodb.md does not hold the keys and indexes of the {} table as the code defines them:\n{yaml}",
            definition.table_name
        );
    }
}
