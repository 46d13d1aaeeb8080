//! The `cchc` command's arguments and what each command runs.
//!
//! In the library rather than in `main.rs`: `serve`'s server is generic over its start callback, so whichever
//! crate calls it compiles the whole server (axum, hyper, the functions' handlers). A binary crate that only calls
//! [`run`] compiles in a second instead of half a minute, at the end of a cold build where nothing runs beside it.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::commands::codes::{self, AddCodes};
use crate::commands::new_page::new_page;
use crate::commands::sync::{self, Publish};
use crate::commands::{StoreTarget, aws};
use crate::content::date::ContentDate;
use crate::serve::{ServeOptions, serve};
use crate::{BuildError, BuildOptions, build, error_lines, load_site};
use cchc_functions::domain::CodeBatch;

/// Exit code for content or theme errors (usage errors exit with 2, as clap does).
const EXIT_CONTENT: u8 = 1;

#[derive(Debug, Parser)]
#[command(name = "cchc", version, about = "Dựng và xem trước Trang thông tin điện tử Cải cách hành chính")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum CodesAction {
    /// Tạo mã, ghi mã (đã băm) vào kho dữ liệu và in mã ra một lần dưới dạng CSV.
    Generate {
        /// Mã khảo sát (id trong content/khao-sat/<id>.yaml).
        survey: String,
        /// Số mã cần tạo.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        count: u32,
        /// Đơn vị (bộ, ngành hoặc tỉnh, thành phố) được cấp mã: id trong danh sách đơn vị của khảo sát, ví dụ
        /// tinh-thanh-hoa. Mỗi mã chỉ dùng được cho đơn vị này.
        #[arg(long)]
        unit: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
enum ExportWhat {
    /// Một dự thảo lấy ý kiến: góp ý, kết quả kiểm duyệt, ý kiến tiếp thu, giải trình.
    Consultation {
        /// Mã dự thảo (tên thư mục trong content/xin-y-kien/).
        id: String,
        #[command(flatten)]
        export: ExportArgs,
    },
    /// Một khảo sát: các phiếu trả lời và số liệu tổng hợp của một phiên bản.
    Survey {
        /// Mã khảo sát.
        id: String,
        /// Phiên bản; mặc định là phiên bản cao nhất đã công bố.
        #[arg(long = "survey-version")]
        survey_version: Option<u32>,
        #[command(flatten)]
        export: ExportArgs,
    },
}

/// Where an export goes and whether it holds personal data.
#[derive(Debug, Args)]
struct ExportArgs {
    /// Thư mục mới để ghi bản xuất (không được là thư mục đã có tệp).
    #[arg(long)]
    out: PathBuf,
    /// Xuất cả dữ liệu cá nhân (họ tên, thư điện tử, câu trả lời tự do). Không có cờ này thì bỏ các trường đó.
    #[arg(long)]
    personal_data: bool,
    /// Khoá KMS của dữ liệu cá nhân (ARN hoặc alias/<tên ngăn xếp>-personal-data), khi xuất từ DynamoDB với
    /// --personal-data; người chạy lệnh cần quyền kms:Decrypt trên khoá.
    #[arg(long, requires_all = ["personal_data", "dynamodb_table"])]
    kms_key: Option<String>,
    #[command(flatten)]
    store: StoreArgs,
}

/// Which store `sync` and `codes` write to.
#[derive(Debug, Args)]
struct StoreArgs {
    /// Thư mục gốc của trang.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Bảng DynamoDB; không có thì ghi vào SQLite .cchc/cchc.sqlite3 như `cchc serve`.
    #[arg(long)]
    dynamodb_table: Option<String>,
    /// Vùng AWS của bảng (ví dụ ap-southeast-1); không có thì lấy AWS_REGION hoặc hồ sơ AWS_PROFILE.
    #[arg(long, requires = "dynamodb_table")]
    region: Option<String>,
    /// Địa chỉ máy chủ DynamoDB khác AWS (ví dụ máy chủ thử nghiệm cục bộ).
    #[arg(long, requires = "dynamodb_table")]
    endpoint_url: Option<String>,
    /// Tham số SSM (SecureString) chứa khóa băm mã truy cập, như các hàm trên AWS đọc (chỉ dùng với --dynamodb-table).
    #[arg(long, default_value = "/cchc/access-code-key")]
    code_key_parameter: String,
}

impl StoreArgs {
    fn target(&self) -> StoreTarget {
        match &self.dynamodb_table {
            Some(table) => StoreTarget::DynamoDb {
                table: table.clone(),
                region: self.region.clone(),
                endpoint_url: self.endpoint_url.clone(),
            },
            None => StoreTarget::Sqlite(crate::local_store_path(&self.root)),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Dựng toàn bộ trang vào thư mục đầu ra (mặc định: public/).
    Build {
        /// Thư mục gốc của trang (chứa site.yaml, content/, themes/).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Thư mục đầu ra.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Địa chỉ gốc thay cho base_url trong site.yaml.
        #[arg(long)]
        base_url: Option<String>,
        /// Dựng cả các bản nháp (draft: true).
        #[arg(long)]
        drafts: bool,
        /// Ngày dựng trang (YYYY-MM-DD), để xét thời hạn lấy ý kiến; mặc định là hôm nay.
        #[arg(long, value_parser = parse_day)]
        today: Option<ContentDate>,
        /// Tệp SQLite (như .cchc/cchc.sqlite3) để lấy kết quả khảo sát cho các trang kết quả.
        #[arg(long, conflicts_with = "results_table")]
        results_from: Option<PathBuf>,
        /// Bảng DynamoDB để lấy kết quả khảo sát cho các trang kết quả (bản xuất bản trên AWS).
        #[arg(long)]
        results_table: Option<String>,
        /// Vùng AWS của bảng kết quả; không có thì lấy AWS_REGION hoặc hồ sơ AWS_PROFILE.
        #[arg(long, requires = "results_table")]
        region: Option<String>,
        /// Địa chỉ máy chủ DynamoDB khác AWS (thử nghiệm cục bộ).
        #[arg(long, requires = "results_table")]
        endpoint_url: Option<String>,
        /// Ghi vào tệp này ngày (YYYY-MM-DD, giờ Việt Nam) có trang đổi trạng thái tiếp theo (khảo sát, lấy ý
        /// kiến mở hoặc kết thúc), để CI dựng lại đúng ngày; tệp rỗng nếu không còn thời hạn nào phía trước.
        #[arg(long, value_name = "TỆP")]
        next_change_file: Option<PathBuf>,
        /// Bản xuất bản chính thức: báo lỗi nếu còn nội dung minh hoạ (sample: true).
        #[arg(long)]
        production: bool,
    },
    /// In cấu hình trang biên tập nội dung (Decap CMS) tạo từ mô hình nội dung; mỗi lần dựng cũng ghi tệp này
    /// vào quan-tri/noi-dung/tai-nguyen/config.yml.
    CmsConfig {
        /// Thư mục gốc của trang.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// Kiểm tra mọi thứ như khi dựng, cả các bản nháp, nhưng không ghi gì.
    Check {
        /// Thư mục gốc của trang.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Ngày dựng trang (YYYY-MM-DD); mặc định là hôm nay.
        #[arg(long, value_parser = parse_day)]
        today: Option<ContentDate>,
    },
    /// Dựng, phục vụ tại máy và tự tải lại trình duyệt khi nội dung thay đổi.
    Serve {
        /// Thư mục gốc của trang.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Địa chỉ lắng nghe.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Cổng.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Ẩn các bản nháp (mặc định bản xem trước hiện cả bản nháp).
        #[arg(long)]
        no_drafts: bool,
    },
    /// Ghi những gì các hàm API phải thực thi (thời hạn lấy ý kiến) từ content/ vào kho dữ liệu.
    Sync {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Xuất dữ liệu một dự thảo hoặc một khảo sát ra một thư mục để lưu trữ (định dạng: docs/EXPORT.md).
    Export {
        #[command(subcommand)]
        what: ExportWhat,
    },
    /// Mã truy cập một lần cho các khảo sát hạn chế (access: code).
    Codes {
        #[command(subcommand)]
        action: CodesAction,
    },
    /// Xuất bản trang đã dựng lên S3, chỉ tải các tệp thay đổi, và làm mới CloudFront.
    Deploy {
        /// Thư mục trang đã dựng.
        #[arg(long, default_value = "public")]
        out: PathBuf,
        /// Bucket S3 của trang.
        #[arg(long)]
        bucket: String,
        /// Mã phân phối CloudFront cần làm mới.
        #[arg(long)]
        distribution: Option<String>,
        /// Vùng AWS của bucket (ví dụ ap-southeast-1); không có thì lấy AWS_REGION hoặc hồ sơ AWS_PROFILE.
        #[arg(long)]
        region: Option<String>,
        /// Địa chỉ máy chủ tương thích S3 khác AWS (thử nghiệm cục bộ).
        #[arg(long)]
        endpoint_url: Option<String>,
        /// Chỉ in kế hoạch, không thay đổi gì.
        #[arg(long)]
        dry_run: bool,
    },
    /// Tạo một trang mới trong một chuyên mục, ví dụ: cchc new tin-tuc "Hội nghị trực tuyến".
    New {
        /// Chuyên mục (thư mục trong content/), ví dụ tin-tuc, van-ban (văn bản) hoặc xin-y-kien (dự thảo, tạo thành thư mục).
        section: String,
        /// Tiêu đề của trang.
        title: String,
        /// Thư mục gốc của trang.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

fn parse_day(text: &str) -> Result<ContentDate, String> {
    ContentDate::parse(text).ok_or_else(|| format!("ngày không hợp lệ `{text}`: cần dạng YYYY-MM-DD"))
}

/// The async runtime for the commands that talk to servers.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Runtime::new().map_err(|e| {
        eprintln!("lỗi: không khởi động được: {e}");
        ExitCode::from(EXIT_CONTENT)
    })
}

fn report_failure(error: &BuildError) -> ExitCode {
    eprintln!("{}", error_lines(error));
    ExitCode::from(EXIT_CONTENT)
}

/// The key codes are hashed under: `.cchc/code-key` for the local store, the SSM parameter the functions read for
/// a DynamoDB table.
async fn code_key(store: &StoreArgs) -> anyhow::Result<String> {
    if store.dynamodb_table.is_none() {
        return Ok(crate::local_code_key(&store.root)?);
    }
    #[cfg(feature = "aws")]
    {
        let config = aws::sdk_config(store.region.as_deref(), store.endpoint_url.as_deref()).await?;
        cchc_functions::config::access_code_key(&config, &store.code_key_parameter).await
    }
    #[cfg(not(feature = "aws"))]
    Err(aws::AwsSetupError::NotBuilt.into())
}

/// `cchc codes generate`: the codes go to the store as hashes, in a new batch for `unit`, and to standard output
/// once, as CSV.
fn generate_codes(survey: &str, unit: &str, count: u32, store: &StoreArgs) -> ExitCode {
    let site = match load_site(&BuildOptions::content_only(store.root.clone())) {
        Ok(site) => site,
        Err(e) => return report_failure(&e),
    };
    let codes = match codes::generate(&site, survey, unit, count as usize) {
        Ok(codes) => codes,
        Err(message) => {
            eprintln!("lỗi: {message}");
            return ExitCode::from(EXIT_CONTENT);
        }
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let key = match runtime.block_on(code_key(store)) {
        Ok(key) => key,
        Err(e) => {
            eprintln!("lỗi: không có khóa băm mã truy cập: {e:#}");
            return ExitCode::from(EXIT_CONTENT);
        }
    };
    let batch = CodeBatch::new(unit, codes::CREATED_BY);
    match runtime.block_on(store.target().run(AddCodes { survey, batch: &batch, codes: &codes, key: &key })) {
        Ok(added) if added == codes.len() => {
            println!("ma_truy_cap");
            for code in &codes {
                println!("{code}");
            }
            eprintln!(
                "Đã ghi {added} mã cho khảo sát `{survey}`, đơn vị `{unit}` (lô {}). Mã chỉ in ra lần này; kho dữ liệu \
                 giữ bản băm.",
                batch.id
            );
            ExitCode::SUCCESS
        }
        // A code equal to one of another batch (50 random bits: not expected in practice) is not this batch's:
        // printing it would hand out a code for another unit.
        Ok(added) => {
            eprintln!(
                "lỗi: chỉ ghi được {added}/{} mã (trùng mã đã cấp); chưa in mã nào, hãy chạy lại lệnh",
                codes.len()
            );
            ExitCode::from(EXIT_CONTENT)
        }
        Err(e) => {
            eprintln!("lỗi: {e}");
            ExitCode::from(EXIT_CONTENT)
        }
    }
}

/// `cchc export`: the folder, or why not.
fn run_export(what: ExportWhat) -> ExitCode {
    use crate::commands::export::{self, PersonalData, Subject};
    let (subject, args) = match what {
        ExportWhat::Consultation { id, export } => (Subject::Consultation(id), export),
        ExportWhat::Survey { id, survey_version, export } => (Subject::Survey { id, version: survey_version }, export),
    };
    let personal = match (args.personal_data, &args.kms_key, &args.store.dynamodb_table) {
        (false, _, _) => PersonalData::Omitted,
        (true, Some(key), _) => PersonalData::Kms(key.clone()),
        (true, None, None) => PersonalData::LocalKey(crate::local_personal_data_key(&args.store.root)),
        (true, None, Some(_)) => {
            eprintln!("lỗi: xuất dữ liệu cá nhân từ DynamoDB cần --kms-key (khoá KMS của dữ liệu cá nhân)");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let actor = std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| "khong-ro".into());
    match runtime.block_on(export::export(&args.store.target(), &subject, &args.out, &personal, &actor)) {
        Ok(done) => {
            let records: usize =
                done.files.iter().filter(|f| f.name.ends_with(".json")).filter_map(|f| f.records).sum();
            eprintln!(
                "Đã xuất {} tệp ({} bản ghi{}) vào {}; manifest.json ghi mã SHA-256 của từng tệp.",
                done.files.len(),
                records,
                if args.personal_data { ", có dữ liệu cá nhân" } else { ", không có dữ liệu cá nhân" },
                done.dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lỗi: {e:#}");
            ExitCode::from(EXIT_CONTENT)
        }
    }
}

/// `cchc deploy`: uploads what changed and invalidates its paths.
#[cfg(feature = "aws")]
fn run_deploy(
    out: &std::path::Path,
    bucket: &str,
    distribution: Option<&str>,
    region: Option<&str>,
    endpoint_url: Option<&str>,
    dry_run: bool,
) -> ExitCode {
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let result =
        runtime.block_on(crate::commands::deploy::deploy(out, bucket, distribution, region, endpoint_url, dry_run));
    match result {
        Ok(outcome) => {
            if !dry_run {
                eprintln!(
                    "Đã tải lên {} tệp, giữ nguyên {}, xoá {}, làm mới {} đường dẫn.",
                    outcome.uploaded,
                    outcome.unchanged,
                    outcome.deleted,
                    outcome.invalidated.len()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lỗi: {e:#}");
            ExitCode::from(EXIT_CONTENT)
        }
    }
}

/// Logs (the API that `serve` mounts, the stores, the build's stages) on standard error as `RUST_LOG` asks;
/// warnings only by default, so the terminal shows the build's own lines.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Fails only if a subscriber is already set, which nothing else here does.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// Parses the command line and runs the command; `main.rs` returns its exit code.
pub fn run() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    match cli.command {
        Command::Build {
            root,
            out,
            base_url,
            drafts,
            today,
            results_from,
            results_table,
            region,
            endpoint_url,
            next_change_file,
            production,
        } => {
            let results_from = match (results_from, results_table) {
                (Some(path), _) => Some(StoreTarget::Sqlite(path)),
                (None, Some(table)) => Some(StoreTarget::DynamoDb { table, region, endpoint_url }),
                (None, None) => None,
            };
            let out = out.unwrap_or_else(|| root.join("public"));
            let today = today.unwrap_or_else(ContentDate::now);
            let options =
                BuildOptions { root, out: Some(out.clone()), base_url, drafts, today, results_from, production };
            match build(&options) {
                Ok(report) => {
                    eprintln!("Đã dựng vào {}: {}", out.display(), report.summary());
                    let next = report.next_change(today.at().date_naive());
                    match next {
                        Some(day) => eprintln!(
                            "Trang đổi trạng thái tiếp theo (khảo sát, lấy ý kiến mở hoặc kết thúc): ngày {}; dựng lại \
                             sau 00:00 giờ Việt Nam ngày đó (17:00 UTC hôm trước).",
                            day.format("%d-%m-%Y")
                        ),
                        None => eprintln!("Không còn thời hạn khảo sát, lấy ý kiến nào phía trước."),
                    }
                    if let Some(file) = next_change_file {
                        let text = next.map(|d| format!("{d}\n")).unwrap_or_default();
                        if let Err(e) = std::fs::write(&file, text) {
                            eprintln!("lỗi: không ghi được {}: {e}", file.display());
                            return ExitCode::FAILURE;
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => report_failure(&e),
            }
        }
        // Drafts too: an editor checks what they are writing before it is published.
        Command::CmsConfig { root } => match crate::load_site(&BuildOptions {
            root,
            out: None,
            base_url: None,
            drafts: true,
            today: ContentDate::now(),
            results_from: None,
            production: false,
        }) {
            Ok(site) => {
                print!("{}", crate::cms::config::config_yaml(&site));
                ExitCode::SUCCESS
            }
            Err(e) => report_failure(&e),
        },
        Command::Check { root, today } => match build(&BuildOptions {
            root,
            out: None,
            base_url: None,
            drafts: true,
            today: today.unwrap_or_else(ContentDate::now),
            results_from: None,
            production: false,
        }) {
            Ok(report) => {
                eprintln!("Không có lỗi: {}", report.summary());
                ExitCode::SUCCESS
            }
            Err(e) => report_failure(&e),
        },
        Command::Serve { root, bind, port, no_drafts } => {
            let runtime = match runtime() {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            let options = ServeOptions { root, bind, port, drafts: !no_drafts };
            let result = runtime.block_on(serve(options, |addr| {
                eprintln!(
                    "Đang phục vụ tại http://{addr}/ — trình duyệt tự tải lại khi nội dung thay đổi (Ctrl+C để dừng)."
                );
            }));
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("lỗi: {e:#}");
                    ExitCode::from(EXIT_CONTENT)
                }
            }
        }
        Command::Sync { store } => {
            let site = match load_site(&BuildOptions::content_only(store.root.clone())) {
                Ok(site) => site,
                Err(e) => return report_failure(&e),
            };
            let consultations = sync::consultations(&site);
            let surveys: Vec<_> = site.surveys.values().map(|f| f.survey.clone()).collect();
            let runtime = match runtime() {
                Ok(rt) => rt,
                Err(code) => return code,
            };
            let written =
                runtime.block_on(store.target().run(Publish { consultations: &consultations, surveys: &surveys }));
            match written {
                Ok(p) => {
                    eprintln!(
                        "Đã ghi {} dự thảo lấy ý kiến; khảo sát: {} phiên bản mới, {} phiên bản không đổi.",
                        p.consultations, p.new_surveys, p.unchanged_surveys
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("lỗi: {e}");
                    ExitCode::from(EXIT_CONTENT)
                }
            }
        }
        Command::Export { what } => run_export(what),
        Command::Codes { action: CodesAction::Generate { survey, count, unit, store } } => {
            generate_codes(&survey, &unit, count, &store)
        }
        #[cfg(feature = "aws")]
        Command::Deploy { out, bucket, distribution, region, endpoint_url, dry_run } => {
            run_deploy(&out, &bucket, distribution.as_deref(), region.as_deref(), endpoint_url.as_deref(), dry_run)
        }
        #[cfg(not(feature = "aws"))]
        Command::Deploy { .. } => {
            eprintln!("lỗi: {}", aws::AwsSetupError::NotBuilt);
            ExitCode::from(2)
        }
        Command::New { section, title, root } => match new_page(&root, &section, &title, ContentDate::now()) {
            Ok(path) => {
                println!("{}", path.display());
                ExitCode::SUCCESS
            }
            Err(e) => report_failure(&e),
        },
    }
}
