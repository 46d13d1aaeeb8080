//! The `cchc` binary as editors use it: exit codes, messages, `new`, and `serve` with live reload.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::fixture;
use rustix::process::{Pid, Signal, kill_process};

fn cchc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cchc"))
}

#[test]
fn content_errors_exit_with_1_and_name_file_line_and_field() {
    let site = fixture("bad-date");
    let out = site.path().join("public");
    let output = cchc().args(["build", "--root"]).arg(site.path()).arg("--out").arg(&out).output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("content/tin-tuc/a.md:3: trường `date`: ngày không hợp lệ `2023-13-45`"), "{stderr}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn usage_errors_exit_with_2() {
    let output = cchc().arg("buidl").output().expect("run");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn build_then_check_succeed_on_a_valid_site() {
    let site = fixture("site");
    let status = cchc().args(["build", "--root"]).arg(site.path()).status().expect("run");
    assert!(status.success());
    assert!(site.path().join("public/index.html").is_file(), "default output folder is public/ under the root");
    let output = cchc().args(["check", "--root"]).arg(site.path()).output().expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn cms_config_describes_every_section_and_the_build_writes_it() {
    let site = fixture("site");
    let output = cchc().args(["cms-config", "--root"]).arg(site.path()).output().expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let printed = String::from_utf8_lossy(&output.stdout).to_string();
    let config: serde_yaml::Value = serde_yaml::from_str(&printed).expect("YAML");
    assert_eq!(config["locale"].as_str(), Some("vi"));
    let folders: Vec<&str> =
        config["collections"].as_sequence().into_iter().flatten().filter_map(|c| c["folder"].as_str()).collect();
    assert!(folders.contains(&"content/tin-tuc"), "{folders:?}");
    let status = cchc().args(["build", "--root"]).arg(site.path()).status().expect("run");
    assert!(status.success());
    let written = std::fs::read_to_string(site.path().join("public/quan-tri/noi-dung/tai-nguyen/config.yml"))
        .expect("the build writes the CMS's configuration");
    assert_eq!(written, printed, "one configuration, printed or built");
}

#[test]
fn new_writes_a_draft_in_the_section() {
    let site = fixture("site");
    let output = cchc()
        .args(["new", "tin-tuc", "Hội nghị trực tuyến toàn quốc", "--root"])
        .arg(site.path())
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let path = site.path().join("content/tin-tuc/hoi-nghi-truc-tuyen-toan-quoc.md");
    assert!(common::read(&path).contains("title: \"Hội nghị trực tuyến toàn quốc\""));
    let again = cchc()
        .args(["new", "tin-tuc", "Hội nghị trực tuyến toàn quốc", "--root"])
        .arg(site.path())
        .output()
        .expect("run");
    assert_eq!(again.status.code(), Some(1), "never overwrites");
}

/// A running `cchc serve`, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    /// Sends `signal` and waits for the server to exit, at most `within`.
    fn stop(&mut self, signal: Signal, within: Duration) -> Option<std::process::ExitStatus> {
        let _ = kill_process(Pid::from_child(&self.child), signal);
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    /// Stopped as `tests/run` stops it (SIGTERM), so that it removes its temporary folder; killed if it does not stop.
    fn drop(&mut self) {
        if self.stop(Signal::TERM, Duration::from_secs(10)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn start_server(root: &std::path::Path) -> Server {
    start_server_with(root, |_| {})
}

fn start_server_with(root: &std::path::Path, setup: impl FnOnce(&mut Command)) -> Server {
    let mut command = cchc();
    setup(&mut command);
    let mut child = command
        .args(["serve", "--port", "0", "--root"])
        .arg(root)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn cchc serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let port = loop {
        let line = lines.next().expect("server said where it listens").expect("line");
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest.split('/').next().expect("port").parse().expect("number");
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, port }
}

fn get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status");
    (status, response)
}

/// Reads server-sent events until one contains `needle`.
fn wait_for_event(stream: &mut TcpStream, seen: &mut String, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buffer = [0u8; 4096];
    while !seen.contains(needle) {
        assert!(Instant::now() < deadline, "no event with {needle} in: {seen}");
        match stream.read(&mut buffer) {
            Ok(0) => panic!("event stream closed: {seen}"),
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buffer[..n])),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(e) => panic!("read: {e}"),
        }
    }
}

#[test]
fn serve_rebuilds_on_save_and_tells_the_browser() {
    let site = fixture("site");
    let server = start_server(site.path());

    let (status, page) = get(server.port, "/tin-tuc/tin-1/");
    assert_eq!(status, 200);
    assert!(page.contains("Đoạn đầu của tin 1") && page.contains("/__cchc/events"), "live-reload script injected");
    assert!(page.to_lowercase().contains("cache-control: no-store"));
    let (status, missing) = get(server.port, "/khong-co/");
    assert_eq!(status, 404);
    assert!(missing.contains("Không tìm thấy trang"));
    let (_, draft) = get(server.port, "/tin-tuc/ban-nhap/");
    assert!(draft.contains("Chưa đăng"), "the preview shows drafts");

    let mut events = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    events.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
    write!(events, "GET /__cchc/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").expect("send");
    let mut seen = String::new();
    wait_for_event(&mut events, &mut seen, "\"generation\":1");

    let file = site.path().join("content/tin-tuc/tin-1.md");
    let text = common::read(&file).replace("Đoạn đầu của tin 1.", "Đoạn đầu đã sửa.");
    std::fs::write(&file, text).expect("edit");
    wait_for_event(&mut events, &mut seen, "\"generation\":2,\"ok\":true");
    let (_, page) = get(server.port, "/tin-tuc/tin-1/");
    assert!(page.contains("Đoạn đầu đã sửa."), "the rebuilt page is served");

    std::fs::write(&file, "---\ntitle: Tin 1\ntittle: x\n---\n").expect("break");
    wait_for_event(&mut events, &mut seen, "\"ok\":false");
    assert!(seen.contains("content/tin-tuc/tin-1.md:3: trường `tittle`"), "{seen}");
    let (_, page) = get(server.port, "/tin-tuc/tin-1/");
    assert!(page.contains("Đoạn đầu đã sửa."), "a failed build keeps serving the previous output");
}

#[test]
fn serve_stops_on_sigterm_or_ctrl_c_with_a_tab_open_and_removes_its_temporary_folder() {
    let site = fixture("site");
    for signal in [Signal::TERM, Signal::INT] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let folders = || std::fs::read_dir(tmp.path()).expect("read tmp").count();
        let mut server = start_server_with(site.path(), |c| {
            c.env("TMPDIR", tmp.path());
        });
        assert_eq!(folders(), 1, "the preview builds into a temporary folder");

        // An open tab listens for builds; it must not hold the server up.
        let mut events = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
        events.set_read_timeout(Some(Duration::from_millis(200))).expect("timeout");
        write!(events, "GET /__cchc/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").expect("send");
        let mut seen = String::new();
        wait_for_event(&mut events, &mut seen, "\"generation\":1");

        let status = server.stop(signal, Duration::from_secs(20)).expect("the server stops");
        assert!(status.success(), "{signal:?}: {status}");
        assert_eq!(folders(), 0, "{signal:?}: the temporary folder is removed");
        // The tab's stream was ended by the server (its last chunk sent), not cut when the process went.
        let mut rest = Vec::new();
        let _ = events.read_to_end(&mut rest);
        seen.push_str(&String::from_utf8_lossy(&rest));
        assert!(seen.ends_with("0\r\n\r\n"), "{signal:?}: {seen:?}");
    }
}

#[test]
fn access_codes_are_printed_once_and_stored_hashed_and_a_changed_survey_version_is_refused() {
    let site = common::real_site_copy();
    let output = cchc()
        .args(["codes", "generate", "par-bo-nganh", "--count", "3", "--unit", "bo-noi-vu", "--root"])
        .arg(site.path())
        .output()
        .expect("run");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "ma_truy_cap");
    assert_eq!(lines.len(), 4);
    assert!(lines[1..].iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'), "{lines:?}");
    let mut db = std::fs::read(site.path().join(".cchc/cchc.sqlite3")).expect("store written");
    db.extend(std::fs::read(site.path().join(".cchc/cchc.sqlite3-wal")).unwrap_or_default());
    let key = std::fs::read_to_string(site.path().join(".cchc/code-key")).expect("the local code key was made");
    let hash = cchc_functions::secrets::access_code_hash(key.trim().as_bytes(), "par-bo-nganh", lines[1]);
    assert!(db.windows(hash.len()).any(|w| w == hash.as_bytes()), "the hash is stored");
    assert!(!db.windows(11).any(|w| w == lines[1].as_bytes()), "the code itself is not");
    let public = cchc()
        .args(["codes", "generate", "sipas-dich-vu-cong", "--count", "1", "--unit", "tinh-thanh-hoa", "--root"])
        .arg(site.path())
        .output()
        .expect("run");
    assert_eq!(public.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&public.stderr).contains("không dùng mã truy cập"));
    // Codes are for one unit of the survey's list: another is refused, naming the ones there are, and nothing is
    // printed.
    let province = cchc()
        .args(["codes", "generate", "par-bo-nganh", "--count", "1", "--unit", "tinh-thanh-hoa", "--root"])
        .arg(site.path())
        .output()
        .expect("run");
    assert_eq!(province.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&province.stderr);
    assert!(stderr.contains("`tinh-thanh-hoa`") && stderr.contains("bo-noi-vu (Bộ Nội vụ)"), "{stderr}");
    assert!(province.stdout.is_empty());

    // Publish, then change the published version without bumping it: `sync` refuses and says how to fix it.
    let sync = cchc().args(["sync", "--root"]).arg(site.path()).output().expect("run");
    assert!(sync.status.success(), "{}", String::from_utf8_lossy(&sync.stderr));
    assert!(String::from_utf8_lossy(&sync.stderr).contains("khảo sát: 9 phiên bản mới"));
    let file = site.path().join("content/khao-sat/par-ca-nuoc.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, text.replace("Ông/Bà trả lời với tư cách nào?", "Ông/Bà là ai?")).expect("write");
    let sync = cchc().args(["sync", "--root"]).arg(site.path()).output().expect("run");
    assert_eq!(sync.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&sync.stderr);
    assert!(stderr.contains("khảo sát `par-ca-nuoc` phiên bản 1 đã được công bố với nội dung khác"), "{stderr}");
    assert!(stderr.contains("tăng `version` lên 2"), "{stderr}");
    // A build that reads the store refuses it too, naming the file, the line and the field.
    let out = site.path().join("public");
    let build = cchc()
        .args(["build", "--root"])
        .arg(site.path())
        .arg("--out")
        .arg(&out)
        .arg("--results-from")
        .arg(site.path().join(".cchc/cchc.sqlite3"))
        .output()
        .expect("run");
    assert_eq!(build.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(stderr.contains("content/khao-sat/par-ca-nuoc.yaml:3: trường `version`"), "{stderr}");
    assert!(!out.exists(), "nothing written");
}

/// `cchc` run with no AWS settings at all: no region, no credentials, no profile, no instance metadata (which
/// would otherwise be asked over the network).
fn cchc_without_aws(home: &std::path::Path) -> Command {
    let mut command = cchc();
    for name in [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        command.env_remove(name);
    }
    command.env("HOME", home).env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

#[cfg(feature = "aws")]
#[test]
fn aws_commands_say_in_vietnamese_what_is_missing() {
    let site = fixture("site");
    let home = tempfile::tempdir().expect("home");
    let sync = cchc_without_aws(home.path())
        .args(["sync", "--dynamodb-table", "cchc", "--endpoint-url", "http://127.0.0.1:9", "--root"])
        .arg(site.path())
        .output()
        .expect("run");
    assert_eq!(sync.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&sync.stderr);
    assert!(stderr.contains("chưa chọn vùng AWS: thêm --region"), "{stderr}");

    let out = site.path().join("public");
    assert!(cchc().args(["build", "--root"]).arg(site.path()).status().expect("build").success());
    let deploy = cchc_without_aws(home.path())
        .args(["deploy", "--dry-run", "--bucket", "b", "--region", "ap-southeast-1", "--out"])
        .arg(&out)
        .args(["--endpoint-url", "http://127.0.0.1:9"])
        .output()
        .expect("run");
    assert_eq!(deploy.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&deploy.stderr);
    assert!(stderr.contains("không tìm thấy thông tin đăng nhập AWS"), "{stderr}");
}

/// The README's `cargo run --release -- serve` builds `cchc` without its AWS commands: asked for one, it says how
/// to build it, and touches nothing.
#[cfg(not(feature = "aws"))]
#[test]
fn without_the_aws_feature_aws_commands_say_how_to_get_them() {
    let site = fixture("site");
    let home = tempfile::tempdir().expect("home");
    let out = site.path().join("public");
    assert!(cchc().args(["build", "--root"]).arg(site.path()).status().expect("build").success());
    let commands: [&[&str]; 3] = [
        &["sync", "--dynamodb-table", "cchc", "--root"],
        &["build", "--results-table", "cchc", "--out", "/nonexistent/khong-ghi", "--root"],
        &["deploy", "--bucket", "b", "--out"],
    ];
    for args in commands {
        let path = if args[0] == "deploy" { &out } else { site.path() };
        let output = cchc_without_aws(home.path()).args(args).arg(path).output().expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}: {stderr}");
        assert!(stderr.contains("không kèm phần AWS") && stderr.contains("--features aws"), "{args:?}: {stderr}");
    }
    assert!(!site.path().join(".cchc/cchc.sqlite3").exists(), "no local store was made instead");
}

#[test]
fn check_finds_the_errors_of_drafts_too() {
    let site = fixture("site");
    let draft = site.path().join("content/tin-tuc/ban-nhap.md");
    std::fs::write(&draft, format!("{}\n[Hỏng](khong-co.md)\n", common::read(&draft))).expect("edit");
    let output = cchc().args(["check", "--root"]).arg(site.path()).output().expect("run");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("content/tin-tuc/ban-nhap.md:") && stderr.contains("khong-co.md"), "{stderr}");
}

#[test]
fn a_build_from_the_store_writes_the_published_answers_into_the_qa_page() {
    use cchc_functions::domain::{
        Actor, AnswerText, AuditAction, AuditEntry, IdempotencyKey, Question, QuestionContact, StoredResponse,
    };
    use cchc_functions::store::{SqliteStore, Store};

    let site = common::real_site_copy();
    let db = site.path().join(".cchc/cchc.sqlite3");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let store = SqliteStore::open(&db).expect("store");
        let editor = Actor { id: "bt".into(), name: "Biên tập".into() };
        for (text, consent) in [("Hỏi có đồng ý công bố", true), ("Hỏi không đồng ý công bố", false)]
        {
            let q = Question {
                id: ulid::Ulid::new(),
                created_at: chrono::Utc::now(),
                text: text.into(),
                attachment: None,
                answer: None,
                answered: None,
                consent,
                published: false,
            };
            let who = QuestionContact {
                name: "Tên người hỏi riêng tư".into(),
                email: None,
                phone: Some("0912345678".into()),
            };
            let key = IdempotencyKey::parse(&format!("khoa-{}", q.id)).expect("key");
            store
                .save_question(&key, "f", &q, &who, &StoredResponse { status: 202, body: "{}".into() })
                .await
                .expect("save");
            let subject = AuditEntry::question_subject(q.id);
            let answered =
                AuditEntry::now(&editor, AuditAction::QuestionAnswered, subject.clone(), String::new(), "x".into());
            store
                .answer_question(q.id, &AnswerText::parse("Trả lời **đã công bố**.").expect("a"), &answered)
                .await
                .expect("answer");
            let published = AuditEntry::now(&editor, AuditAction::AnswerPublished, subject, String::new(), "x".into());
            let _ = store.publish_answer(q.id, true, &published).await; // refused without consent
        }
    });
    let out = site.path().join("public");
    let build = cchc()
        .args(["build", "--root"])
        .arg(site.path())
        .arg("--out")
        .arg(&out)
        .arg("--results-from")
        .arg(&db)
        .output()
        .expect("run");
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    let page = std::fs::read_to_string(out.join("hoi-dap/index.html")).expect("the Q&A page");
    assert!(page.contains("Hỏi có đồng ý công bố") && page.contains("<strong>đã công bố</strong>"), "snapshot written");
    assert!(!page.contains("Hỏi không đồng ý công bố"), "never an answer the asker did not agree to publish");
    assert!(!page.contains("Tên người hỏi riêng tư"), "never the asker");
}
