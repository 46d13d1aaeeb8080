//! `infra/template.yaml` must describe the table the code uses (and the contract tests create), and deploy the
//! binaries this crate builds.

use cchc_functions::store::TABLE_DEFINITION;
use serde_yaml::Value;

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).expect("infra/template.yaml")).expect("YAML")
}

fn pairs(list: &Value, key: &str, value: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = list
        .as_sequence()
        .expect("a list")
        .iter()
        .map(|item| (item[key].as_str().expect(key).to_string(), item[value].as_str().expect(value).to_string()))
        .collect();
    out.sort();
    out
}

#[test]
fn the_template_table_is_the_one_the_code_uses() {
    let t = TABLE_DEFINITION;
    let table = &template()["Resources"]["Table"]["Properties"];
    assert_eq!(table["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        pairs(&table["KeySchema"], "AttributeName", "KeyType"),
        vec![(t.partition_key.into(), "HASH".into()), (t.sort_key.into(), "RANGE".into())]
    );
    let mut attributes = [t.partition_key, t.sort_key, t.gsi_partition_key, t.gsi_sort_key];
    attributes.sort_unstable();
    assert_eq!(
        pairs(&table["AttributeDefinitions"], "AttributeName", "AttributeType"),
        attributes.iter().map(|a| (a.to_string(), "S".to_string())).collect::<Vec<_>>()
    );
    let gsi = &table["GlobalSecondaryIndexes"][0];
    assert_eq!(gsi["IndexName"], t.gsi_name);
    assert_eq!(
        pairs(&gsi["KeySchema"], "AttributeName", "KeyType"),
        vec![(t.gsi_partition_key.into(), "HASH".into()), (t.gsi_sort_key.into(), "RANGE".into())]
    );
    assert_eq!(gsi["Projection"]["ProjectionType"], "ALL");
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"], t.ttl_attribute);
    assert_eq!(table["TimeToLiveSpecification"]["Enabled"], true);
    assert_eq!(table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
    assert_eq!(table["DeletionProtectionEnabled"], true);
}

#[test]
fn every_function_deploys_a_binary_this_crate_builds() {
    let manifest = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).expect("Cargo.toml");
    let resources = template()["Resources"].as_mapping().expect("resources").clone();
    let functions: Vec<&Value> = resources.values().filter(|r| r["Type"] == "AWS::Serverless::Function").collect();
    assert_eq!(functions.len(), manifest.matches("[[bin]]").count(), "one function per binary");
    for function in functions {
        let code = function["Properties"]["CodeUri"].as_str().expect("CodeUri");
        let name = code.trim_end_matches('/').rsplit('/').next().expect("binary name");
        assert!(manifest.contains(&format!("name = \"{name}\"")), "{code} is not a binary of cchc-functions");
    }
}
