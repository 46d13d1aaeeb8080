//! `cchc deploy` against a real S3-compatible server (moto, started by tests/run, which also serves CloudFront):
//! a first deploy uploads everything, a second nothing, a changed page one file and its invalidation, a removed
//! page is deleted.

mod common;

use aws_sdk_cloudfront::types::{
    DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig, ViewerProtocolPolicy,
};
use cchc_generator::commands::deploy::{apply, local_files, plan, remote_objects};
use cchc_generator::{BuildOptions, build};
use common::fixture;
use std::collections::HashMap;

fn endpoint() -> String {
    std::env::var("CCHC_TEST_DYNAMODB_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "CCHC_TEST_DYNAMODB_ENDPOINT is not set. The deploy tests run against the moto server (S3 and CloudFront): \
             run tests/run, or start `python3 tests/moto_server.py 5123` and export CCHC_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:5123"
        )
    })
}

async fn clients() -> (aws_sdk_s3::Client, aws_sdk_cloudfront::Client) {
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
    let credentials = Credentials::new("test", "test", None, None, "tests");
    let s3 = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(cchc_functions::aws::http_client())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials.clone())
        .endpoint_url(endpoint())
        .force_path_style(true)
        .build();
    let cf = aws_sdk_cloudfront::Config::builder()
        .behavior_version(aws_sdk_cloudfront::config::BehaviorVersion::latest())
        .http_client(cchc_functions::aws::http_client())
        .region(aws_sdk_cloudfront::config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .endpoint_url(endpoint())
        .build();
    (aws_sdk_s3::Client::from_conf(s3), aws_sdk_cloudfront::Client::from_conf(cf))
}

async fn distribution(cf: &aws_sdk_cloudfront::Client, bucket: &str) -> String {
    let origin = Origin::builder()
        .id("site")
        .domain_name(format!("{bucket}.s3.amazonaws.com"))
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .expect("origin");
    let behavior = DefaultCacheBehavior::builder()
        .target_origin_id("site")
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        // Managed CachingOptimized, as infra/template.yaml uses.
        .cache_policy_id("658327ea-f89d-4fab-a63d-7e88639e58f6")
        .build()
        .expect("behavior");
    let config = DistributionConfig::builder()
        .caller_reference(ulid::Ulid::new().to_string())
        .comment("thử nghiệm")
        .enabled(true)
        .origins(Origins::builder().quantity(1).items(origin).build().expect("origins"))
        .default_cache_behavior(behavior)
        .build()
        .expect("config");
    let created =
        cf.create_distribution().distribution_config(config).send().await.expect("distribution on the moto server");
    created.distribution().expect("distribution").id().to_string()
}

fn build_site(root: &std::path::Path, out: &std::path::Path) {
    build(&BuildOptions {
        root: root.to_path_buf(),
        out: Some(out.to_path_buf()),
        base_url: None,
        drafts: false,
        today: common::today(),
        results_from: None,
        production: false,
    })
    .unwrap_or_else(|e| panic!("{}", cchc_generator::error_lines(&e)));
}

#[tokio::test]
async fn deploys_upload_only_what_changed_and_invalidate_only_changed_pages() {
    let (s3, cf) = clients().await;
    let bucket = format!("cchc-site-{}", ulid::Ulid::new().to_string().to_lowercase());
    s3.create_bucket().bucket(&bucket).send().await.expect("bucket on the moto server");
    let distribution = distribution(&cf, &bucket).await;
    let site = fixture("site");
    let out = site.path().join("public");
    build_site(site.path(), &out);

    let deploy = || async {
        let planned = plan(local_files(&out).expect("local"), &remote_objects(&s3, &bucket).await.expect("remote"));
        apply(&s3, &cf, &bucket, Some(&distribution), &planned).await.expect("apply")
    };

    let files = local_files(&out).expect("local").len();
    let first = deploy().await;
    assert_eq!((first.uploaded, first.unchanged, first.deleted), (files, 0, 0), "first deploy uploads everything");
    assert!(first.invalidated.is_empty(), "new pages need no invalidation");
    let head = s3.head_object().bucket(&bucket).key("tin-tuc/tin-1/index.html").send().await.expect("head");
    assert_eq!(head.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(head.cache_control(), Some("public, max-age=0, s-maxage=300, must-revalidate"));
    let css = local_files(&out).expect("local").into_iter().find(|f| f.key.starts_with("style.")).expect("stylesheet");
    let head = s3.head_object().bucket(&bucket).key(&css.key).send().await.expect("head");
    assert_eq!(head.cache_control(), Some("public, max-age=31536000, immutable"));

    // The search index's word chunks are stored gzipped, to be sent so (CloudFront compresses text types only).
    let chunk = local_files(&out).expect("local").into_iter().find(|f| f.key.ends_with(".bin")).expect("a word chunk");
    let object = s3.get_object().bucket(&bucket).key(&chunk.key).send().await.expect("get");
    assert_eq!(object.content_encoding(), Some("gzip"));
    assert_eq!(object.content_type(), Some("application/octet-stream"));
    let stored = object.body.collect().await.expect("body").into_bytes();
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&stored[..]), &mut unzipped).expect("gunzip");
    assert_eq!(unzipped, std::fs::read(&chunk.path).expect("the chunk"), "the chunk's own bytes once unzipped");
    let positions = local_files(&out).expect("local").into_iter().find(|f| f.key.ends_with(".pos")).expect("positions");
    let head = s3.head_object().bucket(&bucket).key(&positions.key).send().await.expect("head");
    assert_eq!(head.content_encoding(), None, "positions are read by byte ranges: stored as they are");

    let second = deploy().await;
    assert_eq!((second.uploaded, second.unchanged, second.deleted), (0, files, 0), "nothing changed, nothing sent");
    assert_eq!(second.invalidation_requests, 0);

    // A change in a later paragraph shows on that page only (lists show the first paragraph), and in the search
    // index, whose entry file is invalidated with the page.
    let page = site.path().join("content/tin-tuc/tin-3.md");
    std::fs::write(&page, common::read(&page).replace("có liên kết tới", "đã sửa, có liên kết tới")).expect("edit");
    let before: HashMap<String, String> =
        local_files(&out).expect("local").into_iter().map(|f| (f.key, f.md5)).collect();
    build_site(site.path(), &out);
    let changed: Vec<String> = local_files(&out)
        .expect("local")
        .into_iter()
        .filter(|f| before.get(&f.key) != Some(&f.md5))
        .map(|f| f.key)
        .collect();
    let outside_search: Vec<&String> = changed.iter().filter(|k| !k.starts_with("search/")).collect();
    assert_eq!(outside_search, ["tin-tuc/tin-3/index.html"], "only the page changed, besides the search index");
    let third = deploy().await;
    assert_eq!(third.uploaded, changed.len());
    assert_eq!(third.invalidated, ["/search/index.json", "/tin-tuc/tin-3/", "/tin-tuc/tin-3/index.html"]);
    assert_eq!(third.invalidation_requests, 1);
    let invalidations = cf.list_invalidations().distribution_id(&distribution).send().await.expect("list");
    assert_eq!(invalidations.invalidation_list().map(|l| l.quantity()), Some(1));

    std::fs::remove_file(site.path().join("content/tin-tuc/tin-5.md")).expect("remove");
    build_site(site.path(), &out);
    let fourth = deploy().await;
    assert!(fourth.deleted >= 1);
    assert!(fourth.invalidated.contains(&"/tin-tuc/tin-5/".to_string()));
    let gone = s3.head_object().bucket(&bucket).key("tin-tuc/tin-5/index.html").send().await;
    assert!(gone.is_err(), "the removed page is deleted from the bucket");
    let remote = remote_objects(&s3, &bucket).await.expect("remote");
    assert_eq!(remote.len(), local_files(&out).expect("local").len(), "the bucket mirrors the site");
}

#[tokio::test]
async fn the_command_prints_the_plan_of_a_dry_run_in_the_region_it_is_given() {
    let (s3, _) = clients().await;
    let bucket = format!("cchc-dry-{}", ulid::Ulid::new().to_string().to_lowercase());
    s3.create_bucket().bucket(&bucket).send().await.expect("bucket on the moto server");
    let site = fixture("site");
    let out = site.path().join("public");
    build_site(site.path(), &out);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cchc"))
        .args(["deploy", "--dry-run", "--region", "ap-southeast-1", "--bucket", &bucket, "--endpoint-url"])
        .arg(endpoint())
        .arg("--out")
        .arg(&out)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .expect("run cchc deploy");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let files = local_files(&out).expect("local").len();
    assert!(stderr.contains(&format!("Kế hoạch: tải lên {files} tệp")), "{stderr}");
    assert!(stdout.lines().any(|l| l.starts_with("tải lên  index.html")), "{stdout}");
    let remote = remote_objects(&s3, &bucket).await.expect("remote");
    assert!(remote.is_empty(), "a dry run changes nothing");
}
