//! The commands that talk to DynamoDB (`sync`, `codes generate`, `build --results-table`) against the moto server
//! started by tests/run: the same content rules as with the embedded store, on the production store's code path.

mod common;

use std::process::{Command, Output};

use cchc_functions::store::DynamoStore;

fn endpoint() -> String {
    std::env::var("CCHC_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "CCHC_TEST_DYNAMODB_ENDPOINT is not set. These tests run against the moto server: run tests/run, or start \
             `python3 tests/moto_server.py 5123` and export CCHC_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:5123 \
             AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test"
        )
    })
}

/// `cchc ARGS` against `table` on the moto server, in a region given by the flag (not the environment).
fn cchc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cchc"))
        .args(args)
        .args(["--region", "ap-southeast-1", "--endpoint-url", &endpoint()])
        .env_remove("AWS_REGION")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run cchc")
}

#[tokio::test]
async fn sync_codes_and_results_work_on_dynamodb() {
    let table = format!("cchc-cmd-{}", ulid::Ulid::new().to_string().to_lowercase());
    let config = cchc_functions::aws::config_loader()
        .region(aws_config::Region::new("ap-southeast-1"))
        .endpoint_url(endpoint())
        .load()
        .await;
    DynamoStore::create_table(&aws_sdk_dynamodb::Client::new(&config), &table).await.expect("table on moto");
    // The access-code key, as the IT team creates it (infra/README.md): a SecureString the functions read too.
    let parameter = format!("/cchc-test/{table}/access-code-key");
    aws_sdk_ssm::Client::new(&config)
        .put_parameter()
        .name(&parameter)
        .value("khoa-bi-mat-thu")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("parameter on moto");
    let site = common::real_site_copy();
    let root = site.path().to_str().expect("utf-8 path");

    let sync = cchc(&["sync", "--root", root, "--dynamodb-table", &table]);
    let stderr = String::from_utf8_lossy(&sync.stderr);
    assert!(sync.status.success(), "{stderr}");
    assert!(stderr.contains("khảo sát: 9 phiên bản mới"), "{stderr}");

    let codes = cchc(&[
        "codes",
        "generate",
        "par-bo-nganh",
        "--count",
        "2",
        "--unit",
        "bo-noi-vu",
        "--root",
        root,
        "--dynamodb-table",
        &table,
        "--code-key-parameter",
        &parameter,
    ]);
    assert!(codes.status.success(), "{}", String::from_utf8_lossy(&codes.stderr));
    assert_eq!(String::from_utf8_lossy(&codes.stdout).lines().count(), 3, "header and two codes");
    assert!(String::from_utf8_lossy(&codes.stderr).contains("đơn vị `bo-noi-vu`"));

    let out = site.path().join("public");
    let out_arg = out.to_str().expect("utf-8 path");
    let build = cchc(&["build", "--root", root, "--out", out_arg, "--results-table", &table]);
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    assert!(out.join("index.html").is_file());

    // A published version changed in the content: the build reading the table refuses it, naming file and line.
    let file = site.path().join("content/khao-sat/par-ca-nuoc.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, text.replace("Ông/Bà trả lời với tư cách nào?", "Ông/Bà là ai?")).expect("write");
    std::fs::remove_dir_all(&out).expect("clean");
    let build = cchc(&["build", "--root", root, "--out", out_arg, "--results-table", &table]);
    assert_eq!(build.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(stderr.contains("content/khao-sat/par-ca-nuoc.yaml:3: trường `version`"), "{stderr}");
    assert!(!out.exists(), "nothing written");
}
