//! The portal states facts taken from its source documents (`../shared/seeds/`, named here by file number and line):
//! the legal basis, the contacts, the dates and numbers of documents, the figures of the news and reports. Each fact
//! is checked against the built pages, so an edit that changes one fails here instead of reaching citizens; and the
//! wrong statements the content once made are checked to be gone for good. A summary or meta description showing raw
//! Markdown is refused too.
//!
//! The site is built once, with the `cchc` command as the publish workflow runs it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{read, repo_root};

/// The real site, built once for every test of this file.
fn built() -> &'static Path {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("seed-facts-site");
        if out.exists() {
            std::fs::remove_dir_all(&out).expect("remove the previous build");
        }
        let status = Command::new(env!("CARGO_BIN_EXE_cchc"))
            .args(["build", "--today", "2025-11-23", "--root"])
            .arg(repo_root())
            .arg("--out")
            .arg(&out)
            .status()
            .expect("run cchc build");
        assert!(status.success(), "cchc build failed: {status}");
        out
    })
}

/// The text a reader sees: tags removed, the common entities decoded, every run of white space one space (the
/// Markdown source wraps its lines wherever it likes).
fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&nbsp;", " ")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    squash(&text)
}

fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The visible text of the page at a site path (`/gioi-thieu/lien-he/`).
fn page_text(path: &str) -> String {
    let file = built().join(path.trim_start_matches('/')).join("index.html");
    visible_text(&read(file))
}

/// Every HTML page of the build: (site path, file content).
fn every_page() -> Vec<(String, String)> {
    walkdir::WalkDir::new(built())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "html"))
        .map(|e| {
            let rel = e.path().strip_prefix(built()).unwrap_or(e.path()).to_string_lossy().into_owned();
            (format!("/{rel}"), read(e.path()))
        })
        .collect()
}

/// Facts from the seeds: (page, text that must appear on it). The comment after each names the seed line
/// (`001:1500` is line 1500 of `001_657e6592007cb677.txt`) and what it says.
const FACTS: &[(&str, &str)] = &[
    // --- Legal basis: what the two decisions of the Minister of Home Affairs did.
    // 001:1500 "Quyết định số 979/QĐ-BNV ngày 18 tháng 11 năm 2020 của Bộ trưởng Bộ Nội vụ phê duyệt Đề án …"
    (
        "/gioi-thieu/co-so-phap-ly/",
        "Quyết định số 979/QĐ-BNV ngày 18 tháng 11 năm 2020 của Bộ trưởng Bộ Nội vụ phê duyệt Đề án",
    ),
    // 001:1500 the Đề án's name
    (
        "/gioi-thieu/co-so-phap-ly/",
        "“Hệ thống ứng dụng công nghệ thông tin đánh giá cải cách hành chính và đo lường sự hài lòng của người dân đối \
         với sự phục vụ của cơ quan hành chính nhà nước giai đoạn 2021 - 2030”",
    ),
    // 001:1504 first aim of the Đề án
    (
        "/gioi-thieu/co-so-phap-ly/",
        "Huy động người dân tham gia vào quá trình xây dựng và thực thi chính sách, pháp luật",
    ),
    // 001:1531 "Quyết định số 592/QĐ-BNV ngày 01 tháng 8 năm 2022 … ban hành Quy chế hoạt động của Trang …"
    (
        "/gioi-thieu/co-so-phap-ly/",
        "Quyết định số 592/QĐ-BNV ngày 01 tháng 8 năm 2022 của Bộ trưởng Bộ Nội vụ về việc ban hành Quy chế hoạt động \
         của Trang Thông tin điện tử Cải cách hành chính nhà nước của Bộ Nội vụ - cơ quan Thường trực Cải cách hành \
         chính của Chính phủ",
    ),
    // 001:1537 the portal as a channel to listen to citizens
    (
        "/gioi-thieu/co-so-phap-ly/",
        "giao tiếp, lắng nghe ý kiến đánh giá, góp ý của người dân, xã hội về cải cách hành chính nhà nước",
    ),
    // 001:1500 the decision's own page: number, date, what it approved
    ("/van-ban/quyet-dinh-979-qd-bnv/", "Quyết định số 979/QĐ-BNV phê duyệt Đề án"),
    ("/van-ban/quyet-dinh-979-qd-bnv/", "18-11-2020"),
    // 001:1526 the portal is one of the system's subsystems
    ("/van-ban/quyet-dinh-979-qd-bnv/", "trang thông tin điện tử về khảo sát trực tuyến, hỏi - đáp, xin ý kiến"),
    // 001:1531 signed on 01/8/2022, issued the Quy chế hoạt động
    ("/van-ban/quyet-dinh-592-qd-bnv/", "01-08-2022"),
    (
        "/van-ban/quyet-dinh-592-qd-bnv/",
        "Quyết định số 592/QĐ-BNV ban hành Quy chế hoạt động của Trang Thông tin điện tử",
    ),
    // 001:1531 the news of the editors' training cites the Quy chế hoạt động (592), not 979
    (
        "/tin-tuc/tap-huan-bien-tap-vien-cong-tac-vien/",
        "Quy chế hoạt động của Trang ban hành kèm theo Quyết định số 592/QĐ-BNV",
    ),
    // --- Contacts, exactly as the portal's footer gives them.
    // 001:1955 "Bộ Nội vụ - Cơ quan Thường trực cải cách hành chính của Chính phủ"
    ("/", "Bộ Nội vụ - Cơ quan Thường trực cải cách hành chính của Chính phủ"),
    // 001:1956 "Địa chỉ: Số 8, Tôn Thất Thuyết, Mỹ Đình, Nam Từ Liêm, Hà Nội"
    ("/", "Địa chỉ: Số 8, Tôn Thất Thuyết, Mỹ Đình, Nam Từ Liêm, Hà Nội"),
    // 001:1957 "Điện thoại: (844) 62821016 - Fax: (844) 39740617 - Email: websitecchc@moha.gov.vn"
    ("/", "Điện thoại: (844) 62821016"),
    ("/", "Fax: (844) 39740617"),
    ("/", "Email: websitecchc@moha.gov.vn"),
    // 001:1958 the editorial board's standing unit, its phone, fax and email
    (
        "/",
        "Bộ phận Thường trực Ban Biên tập: Vụ Cải cách hành chính - Bộ Nội vụ. Điện thoại: (8424) 062820327 - Fax: \
         (844) 39740617 - Email: vucaicachhanhchinh@moha.gov.vn",
    ),
    ("/gioi-thieu/lien-he/", "Điện thoại: (844) 62821016"),
    ("/gioi-thieu/lien-he/", "Fax: (844) 39740617"),
    ("/gioi-thieu/lien-he/", "websitecchc@moha.gov.vn"),
    ("/gioi-thieu/lien-he/", "Điện thoại: (8424) 062820327"),
    ("/gioi-thieu/lien-he/", "vucaicachhanhchinh@moha.gov.vn"),
    // 001:1872-1874 the two links the real portal has
    ("/", "Danh bạ điện thoại"),
    ("/", "Phản ánh, kiến nghị với Chính phủ"),
    // --- Editorial board.
    // 001:2006 the head of the board
    ("/gioi-thieu/ban-bien-tap/", "Thứ trưởng Bộ Nội vụ, Phó Trưởng Ban Chỉ đạo cải cách hành chính của Chính phủ"),
    // 001:2007 the deputy head
    (
        "/gioi-thieu/ban-bien-tap/",
        "Vụ trưởng Vụ Cải cách hành chính, Chánh Văn phòng Ban Chỉ đạo cải cách hành chính của Chính phủ",
    ),
    // 001:2012 "Đơn vị thực hiện việc viết, đặt hàng tin, bài; thanh toán nhuận bút, thù lao: Tạp chí Tổ chức Nhà nước"
    ("/gioi-thieu/ban-bien-tap/", "Tạp chí Tổ chức Nhà nước, Bộ Nội vụ"),
    // --- Documents the portal lists, with their dates (001:1714-1733 and 001:258-267).
    // 001:1715 "Nghị quyết số 27-NQ/TW ngày 09 tháng 11 năm 2022"
    ("/van-ban/nghi-quyet-27-nq-tw/", "09-11-2022"),
    // 001:1717 "Nghị quyết số 17-NQ/TW ngày 01 tháng 08 năm 2007"
    ("/van-ban/nghi-quyet-17-nq-tw/", "01-08-2007"),
    // 001:1718 its subject
    (
        "/van-ban/nghi-quyet-17-nq-tw/",
        "đẩy mạnh cải cách hành chính, nâng cao hiệu lực, hiệu quả quản lý của bộ máy nhà nước",
    ),
    // 001:1721-1722 "Chỉ thị số 23/CT-TTg ngày 02 tháng 09 năm 2021 … Về việc đẩy mạnh thực hiện Chương trình tổng thể …"
    ("/van-ban/chi-thi-23-ct-ttg/", "02-09-2021"),
    (
        "/van-ban/chi-thi-23-ct-ttg/",
        "Về việc đẩy mạnh thực hiện Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021 - 2030",
    ),
    // 001:1723-1724 "Nghị quyết số 76/NQ-CP ngày 15 tháng 07 năm 2021 … Ban hành Chương trình tổng thể …"
    ("/van-ban/nghi-quyet-76-nq-cp/", "15-07-2021"),
    (
        "/van-ban/nghi-quyet-76-nq-cp/",
        "Ban hành Chương trình tổng thể cải cách hành chính nhà nước giai đoạn 2021 - 2030",
    ),
    // 001:1727-1728 "Quyết định số 798/QĐ-BNV ngày 08 tháng 07 năm 2021 Phê duyệt danh mục thủ tục hành chính …"
    ("/van-ban/quyet-dinh-798-qd-bnv/", "08-07-2021"),
    (
        "/van-ban/quyet-dinh-798-qd-bnv/",
        "Phê duyệt danh mục thủ tục hành chính tiếp nhận tại Bộ phận Một cửa, một cửa liên thông của Bộ Nội vụ",
    ),
    // 001:1731-1732 "Kế hoạch số 6029/KH-UBND ngày 12 tháng 7 năm 2023 … Cuộc thi trực tuyến "Tìm hiểu … tỉnh Lâm Đồng""
    ("/van-ban/ke-hoach-6029-kh-ubnd/", "12-07-2023"),
    (
        "/van-ban/ke-hoach-6029-kh-ubnd/",
        "“Tìm hiểu về Cải cách hành chính và Chuyển đổi số trên địa bàn tỉnh Lâm Đồng”",
    ),
    // 001:1733 "Quyết định số 451/QĐ-BCĐCCHC ngày 07 tháng 4 năm 2023"
    ("/van-ban/quyet-dinh-451-qd-bcdcchc/", "07-04-2023"),
    // 001:258 "Nghị quyết số 52-NQ/TW ngày 27/9/2019"
    ("/van-ban/nghi-quyet-52-nq-tw/", "27-09-2019"),
    // 001:260 "Quyết định số 749/QĐ-TTg ngày 03/6/2020"
    ("/van-ban/quyet-dinh-749-qd-ttg/", "03-06-2020"),
    // 001:814 one of 749's aims for 2025 ("Việt Nam thuộc nhóm 50/193 quốc gia dẫn đầu về chính phủ điện tử EGDI")
    ("/van-ban/quyet-dinh-749-qd-ttg/", "Việt Nam thuộc nhóm 50/193 quốc gia dẫn đầu về chính phủ điện tử (EGDI)"),
    // 001:265 "Quyết định số 942/QĐ-TTg ngày 15/6/2021"
    ("/van-ban/quyet-dinh-942-qd-ttg/", "15-06-2021"),
    // 001:902 942's vision for 2030
    ("/van-ban/quyet-dinh-942-qd-ttg/", "thuộc nhóm 30 nước dẫn đầu theo xếp hạng của Liên Hợp Quốc"),
    // 001:267 "Quyết định số 06/QĐ-TTg ngày 06/01/2022"
    ("/van-ban/quyet-dinh-06-qd-ttg/", "06-01-2022"),
    // 001:455 "Nghị định 43/2011/NĐ-CP ngày 13/6/2011"
    ("/van-ban/nghi-dinh-43-2011-nd-cp/", "13-06-2011"),
    // 001:457 "Nghị định 42/2022/NĐ-CP ngày 24/6/2022"
    ("/van-ban/nghi-dinh-42-2022-nd-cp/", "24-06-2022"),
    // 000:22-23 "Nghị quyết số 57-NQ/TW ngày 22/12/2024 của Bộ Chính trị"
    ("/van-ban/nghi-quyet-57-nq-tw/", "22-12-2024"),
    // 000:473 "Nghị định số 137/2024/NĐ-CP ngày 23/10/2024"
    ("/van-ban/nghi-dinh-137-2024-nd-cp/", "23-10-2024"),
    // --- Consultations and surveys.
    // 001:1823 "Thời hạn: Từ 21-09-2023 đến 21-11-2023"
    ("/xin-y-kien/du-thao-thong-tu-thi-dua-khen-thuong/", "Từ 21-09-2023 đến 21-11-2023"),
    // 001:1832 "Thời hạn: Từ 31-08-2023 đến 30-10-2023"
    ("/xin-y-kien/du-thao-thong-tu-thon-to-dan-pho/", "Từ 31-08-2023 đến 30-10-2023"),
    // 001:1650 online surveys: anyone may answer; for reference only, not counted in PAR Index / SIPAS
    ("/khao-sat/", "không tính vào Chỉ số PAR Index, Chỉ số SIPAS hằng năm"),
    (
        "/khao-sat/su-hai-long/chinh-sach/",
        "thông tin để tham khảo, không tính vào Chỉ số PAR Index, Chỉ số SIPAS hằng năm",
    ),
    ("/ket-qua-khao-sat/su-hai-long/chinh-sach/", "Kết quả khảo sát trực tuyến là thông tin để tham khảo"),
    // 001:1920 "Hàng năm khảo sát khoảng 55.000 phiếu đối với cán bộ, công chức …"
    ("/tin-tuc/cong-bo-par-index-sipas-2022/", "khoảng 55.000 phiếu khảo sát cán bộ, công chức"),
    // 001:1748 the criteria of the "Báo cáo cải cách hành chính" chart
    (
        "/bao-cao/cai-cach-hanh-chinh/chinh-phu/ty-le-diem-tieu-chi-cchc-minh-hoa/",
        "Tỷ lệ điểm số đạt được tiêu chí Chế độ báo cáo CCHC định kỳ",
    ),
    (
        "/bao-cao/cai-cach-hanh-chinh/chinh-phu/ty-le-diem-tieu-chi-cchc-minh-hoa/",
        "Tỷ lệ điểm số đạt được tiêu chí thực hiện nhiệm vụ được Chính phủ, Thủ tướng Chính phủ giao",
    ),
    // 001:1750 the ministries' list: a name filter and a "Báo cáo" button per ministry, leading to its own page
    ("/bao-cao/cai-cach-hanh-chinh/bo-nganh/", "Gõ tên Bộ, ngành"),
    ("/bao-cao/cai-cach-hanh-chinh/bo-nganh/", "Bộ Tư pháp Báo cáo của Bộ Tư pháp"),
    ("/bao-cao/cai-cach-hanh-chinh/bo-nganh/bo-tu-phap/", "Báo cáo cải cách hành chính: Bộ Tư pháp"),
    // 001:1748 the five criteria, per ministry and per province too
    (
        "/bao-cao/cai-cach-hanh-chinh/bo-nganh/bo-tu-phap/",
        "Thực hiện nhiệm vụ được Chính phủ, Thủ tướng Chính phủ giao",
    ),
    ("/bao-cao/cai-cach-hanh-chinh/tinh-thanh/thanh-hoa/", "Chế độ báo cáo CCHC định kỳ"),
    // 001:1798 "THƯ VIỆN VIDEO" beside the models and experience
    ("/", "Thư viện video"),
    // --- The models and experience the real portal lists, with their posting times.
    // 001:1768-1772 "Tăng cường kỷ luật, kỷ cương hành chính …" posted "08:12 11-06-2023"
    ("/mo-hinh-kinh-nghiem/trong-nuoc/tang-cuong-ky-luat-ky-cuong-hanh-chinh/", "08:12 11-06-2023"),
    // 001:1770 "Nghị quyết số 76/NQ-CP ngày 15/7/2021 của Chính phủ … nhấn mạnh"
    (
        "/mo-hinh-kinh-nghiem/trong-nuoc/tang-cuong-ky-luat-ky-cuong-hanh-chinh/",
        "ngày 15/7/2021 của Chính phủ nhấn mạnh",
    ),
    // 001:1776-1778 good governance "từ thập niên 90 của thế kỷ XX", posted "17:50 04-05-2022"
    ("/mo-hinh-kinh-nghiem/trong-nuoc/quan-tri-nha-nuoc-tot/", "từ thập niên 90 của thế kỷ XX"),
    ("/mo-hinh-kinh-nghiem/trong-nuoc/quan-tri-nha-nuoc-tot/", "17:50 04-05-2022"),
    // 001:1782-1786 the Russian Federation's electronic records, posted "17:24 30-08-2023"
    ("/mo-hinh-kinh-nghiem/quoc-te/kinh-nghiem-lien-bang-nga-tai-lieu-dien-tu/", "17:24 30-08-2023"),
    // 001:1788-1792 communes in other countries, posted "17:05 05-07-2022"
    ("/mo-hinh-kinh-nghiem/quoc-te/to-chuc-don-vi-hanh-chinh-xa-mot-so-nuoc/", "17:05 05-07-2022"),
    // --- Figures of the news and reports.
    // 001:1193 "1 (0,8002) TP. Đà Nẵng"
    ("/tin-tuc/dti-2022-da-nang-dan-dau/", "0,8002"),
    // 001:1194-1195 Hồ Chí Minh 0,7163; Quảng Ninh 0,7024
    ("/tin-tuc/dti-2022-da-nang-dan-dau/", "TP. Hồ Chí Minh (0,7163) và Quảng Ninh (0,7024)"),
    // 001:1221 "2022 86 (-) 0,6787"
    ("/bao-cao/cai-cach-hanh-chinh/chinh-phu/xep-hang-chinh-phu-dien-tu-2022/", "86/193"),
    ("/bao-cao/cai-cach-hanh-chinh/chinh-phu/xep-hang-chinh-phu-dien-tu-2022/", "0,6787"),
    // 001:1237 Denmark 0,9717 first
    ("/mo-hinh-kinh-nghiem/quoc-te/dan-mach-chinh-phu-so/", "0,9717"),
    // 000:46-47 "vị trí thứ 71/193 quốc gia (tăng 15 bậc so với kỳ đánh giá năm 2022)"
    ("/tin-tuc/egdi-2024-viet-nam-tang-15-bac/", "71/193"),
    // 000:174-182 reporting system: 69/179 regimes; 15 bodies and 63 localities; 38 online indicators; 4 index sets
    ("/tin-tuc/bao-cao-dinh-ky-tren-he-thong-thong-tin/", "69/179 chế độ báo cáo"),
    ("/tin-tuc/bao-cao-dinh-ky-tren-he-thong-thong-tin/", "38 chỉ tiêu thông tin trực tuyến"),
    // 000:199-201 "20.298 nhiệm vụ (quá hạn chưa hoàn thành 1155 nhiệm vụ, 5,69%)"
    ("/tin-tuc/nhiem-vu-chinh-phu-giao-2024/", "20.298"),
    ("/tin-tuc/nhiem-vu-chinh-phu-giao-2024/", "5,69%"),
    // 000:215-221 e-Cabinet: 23 sessions, 657 ballots, 250,6 thousand; 111, 2.662, 953,7 thousand in all
    ("/tin-tuc/he-thong-hop-khong-giay-to-chinh-phu/", "2.662 phiếu lấy ý kiến"),
    // 000:312 "CSDL quốc gia về dân cư đã kết nối, chia sẻ dữ liệu với 18 bộ, ngành"
    ("/tin-tuc/de-an-06-ket-noi-du-lieu-dan-cu/", "18 bộ, ngành"),
    // 000:390-400 168 universities, 520 vocational schools, 561.000 IT workers, 1,1% of the labour force
    ("/tin-tuc/nhan-luc-so-168-truong-dai-hoc/", "168 trường đại học và 520 trường nghề"),
    ("/tin-tuc/nhan-luc-so-168-truong-dai-hoc/", "1,1%"),
    // 000:459-466 Thanh Hóa: 23 decisions, 580 internal procedures; 16 decisions simplifying 327, 56,38%
    ("/tin-tuc/thanh-hoa-don-gian-hoa-tthc-noi-bo/", "56,38%"),
    // 000:518-552 the national public-service portal
    ("/tin-tuc/cong-dich-vu-cong-quoc-gia-4447-dich-vu/", "4.447 dịch vụ công trực tuyến"),
    ("/tin-tuc/cong-dich-vu-cong-quoc-gia-4447-dich-vu/", "6.317 thủ tục hành chính"),
    // 000:699-704 digitisation: 64,2% ministries, 68,5% localities; reusable results 66,3% and 69,7%
    ("/tin-tuc/so-hoa-ho-so-ket-qua-giai-quyet-tthc-2024/", "64,2%"),
    ("/tin-tuc/so-hoa-ho-so-ket-qua-giai-quyet-tthc-2024/", "69,7%"),
    // 000:711-718 Thanh Hóa 93,88% (country 68,5%), 96,36%, 59,56% (country 25,18%)
    ("/tin-tuc/thanh-hoa-so-hoa-ho-so/", "93,88%"),
    ("/tin-tuc/thanh-hoa-so-hoa-ho-so/", "25,18%"),
    // 000:740-742 one-level centres piloted in Hà Nội, Hồ Chí Minh, Quảng Ninh, Bình Dương, Bắc Ninh
    (
        "/tin-tuc/trung-tam-phuc-vu-hanh-chinh-cong-mot-cap/",
        "TP. Hà Nội, TP. Hồ Chí Minh, Quảng Ninh, Bình Dương và Bắc Ninh",
    ),
    // 000:16-20 the Government's steering committees merged, led by the Prime Minister
    ("/ban-chi-dao/hoat-dong/hop-nhat-ban-chi-dao-2025/", "do Thủ tướng Chính phủ đứng đầu"),
];

/// Statements the content once made that the seeds contradict: (page, or `*` for every page; the statement).
const WRONG: &[(&str, &str)] = &[
    // 979 approved the Đề án; it did not issue the portal's rules.
    ("*", "979/QĐ-BNV ban hành Quy chế"),
    ("*", "ngày 18/11/2020 của Bộ trưởng Bộ Nội vụ ban hành Quy chế"),
    // 592 issued the Quy chế hoạt động; it amended nothing, and the rules are not "tổ chức và hoạt động".
    ("*", "sửa đổi, bổ sung Quy chế tổ chức và hoạt động"),
    ("*", "Quy chế tổ chức và hoạt động của Trang"),
    ("*", "Được sửa đổi, bổ sung bởi Quyết định số 592/QĐ-BNV"),
    // 592 was signed on 01/8/2022, not 20/7/2022.
    ("/van-ban/quyet-dinh-592-qd-bnv/", "20-07-2022"),
    // The phone as the seed gives it, not reformatted.
    ("*", "024 6282 1016"),
    // The 38 indicators are online information indicators (000:179-180).
    ("*", "38 chỉ tiêu kinh tế - xã hội"),
    // Every online survey, not only the topical one, is for reference only (001:1650).
    ("*", "Khảo sát chuyên đề là thông tin tham khảo"),
    ("*", "(Chỉ số PAR Index). Phiếu không hỏi họ tên"),
    // The top-50 EGDI aim for 2025 is 749's (001:814); 942 aims at the top 30 by 2030 (001:902).
    ("/van-ban/quyet-dinh-942-qd-ttg/", "nhóm 50 nước dẫn đầu"),
    // The attached PDFs are illustrative: no label may call one the full text.
    ("*", "Toàn văn Nghị quyết số 76/NQ-CP"),
    ("*", "Toàn văn Nghị định số 42/2022/NĐ-CP"),
    ("*", "Toàn văn Quyết định số 979/QĐ-BNV"),
    // The contest's name ends with the province (001:1732).
    ("*", "Chuyển đổi số” trên địa bàn tỉnh Lâm Đồng"),
    // One spelling.
    ("*", "Từ khoá"),
];

#[test]
fn the_built_pages_state_the_seed_facts() {
    let mut missing = Vec::new();
    for (path, fact) in FACTS {
        let text = page_text(path);
        let fact = squash(fact);
        if !text.contains(&fact) {
            missing.push(format!("{path}: «{fact}»"));
        }
    }
    assert!(missing.is_empty(), "facts from the seeds missing from the built pages:\n{}", missing.join("\n"));
}

#[test]
fn no_page_makes_a_statement_the_seeds_contradict() {
    let pages: Vec<(String, String)> =
        every_page().into_iter().map(|(path, html)| (path, visible_text(&html))).collect();
    let mut found = Vec::new();
    for (where_, wrong) in WRONG {
        let wrong = squash(wrong);
        for (path, text) in &pages {
            let page = path.trim_end_matches("index.html");
            if (*where_ == "*" || *where_ == page) && text.contains(&wrong) {
                found.push(format!("{path}: «{wrong}»"));
            }
        }
    }
    assert!(found.is_empty(), "statements the seeds contradict:\n{}", found.join("\n"));
}

/// Markdown a reader must never see in a summary or a meta description: a link, emphasis, a heading, code.
fn raw_markdown(text: &str) -> Option<&'static str> {
    let link = text.find("](").is_some() || text.contains("[http");
    [
        (link, "a Markdown link"),
        (text.contains("**") || text.contains("__"), "Markdown emphasis"),
        (text.trim_start().starts_with('#'), "a Markdown heading"),
        (text.contains('`'), "Markdown code"),
    ]
    .into_iter()
    .find_map(|(found, what)| found.then_some(what))
}

/// The values of `attr="…"` on the tags that carry `marker` (e.g. `name="description"`).
fn attribute_values(html: &str, marker: &str, attr: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(marker) {
        let tag_start = rest[..at].rfind('<').unwrap_or(0);
        let tag_end = rest[at..].find('>').map_or(rest.len(), |e| at + e);
        let tag = &rest[tag_start..tag_end];
        let key = format!("{attr}=\"");
        if let Some(v) = tag.find(&key) {
            let value = &tag[v + key.len()..];
            values.push(value[..value.find('"').unwrap_or(value.len())].to_string());
        }
        rest = &rest[tag_end..];
    }
    values
}

/// The text inside every element whose opening tag carries `marker` (e.g. `class="item-summary"`), up to its
/// first closing tag: summaries are one paragraph.
fn element_texts(html: &str, marker: &str) -> Vec<String> {
    let mut texts = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(marker) {
        let Some(open_end) = rest[at..].find('>').map(|e| at + e + 1) else { break };
        let close = rest[open_end..].find("</").map_or(rest.len(), |e| open_end + e);
        texts.push(visible_text(&rest[open_end..close]));
        rest = &rest[close..];
    }
    texts
}

#[test]
fn no_summary_or_meta_description_shows_raw_markdown() {
    let mut found = Vec::new();
    for (path, html) in every_page() {
        let shown = attribute_values(&html, "name=\"description\"", "content")
            .into_iter()
            .chain(element_texts(&html, "class=\"item-summary\""))
            .chain(element_texts(&html, "class=\"lead\""));
        for text in shown {
            if let Some(what) = raw_markdown(&text) {
                found.push(format!("{path}: {what} in «{text}»"));
            }
        }
    }
    let feed = read(built().join("atom.xml"));
    for summary in element_texts(&feed, "<summary") {
        if let Some(what) = raw_markdown(&summary) {
            found.push(format!("/atom.xml: {what} in «{summary}»"));
        }
    }
    assert!(found.is_empty(), "raw Markdown shown to readers:\n{}", found.join("\n"));
}

/// The site paths listed in the built sitemap.
fn sitemap_paths() -> Vec<String> {
    let xml = read(built().join("sitemap.xml"));
    xml.split("<loc>")
        .skip(1)
        .filter_map(|l| l.split("</loc>").next())
        .map(|l| l.trim_start_matches("https://caicachhanhchinh.gov.vn").to_string())
        .collect()
}

#[test]
fn every_unit_of_a_report_list_has_its_own_page_with_charts() {
    let mut pages = 0;
    for kind in ["cai-cach-hanh-chinh", "par-index", "sipas"] {
        for level in ["bo-nganh", "tinh-thanh"] {
            let list = format!("/bao-cao/{kind}/{level}/");
            let html = read(built().join(list.trim_start_matches('/')).join("index.html"));
            let links = attribute_values(&html, "class=\"unit-report-link\"", "href");
            assert!(!links.is_empty(), "{list} lists its units");
            for link in links {
                assert!(
                    link.starts_with(&list) && !link.contains('#'),
                    "{list}: a page of its own, not an anchor: {link}"
                );
                let unit = read(built().join(link.trim_start_matches('/')).join("index.html"));
                assert!(unit.contains("class=\"data-table\""), "{link} shows the unit's figures");
                pages += 1;
            }
        }
    }
    assert!(pages > 60, "{pages} unit pages");
    let text = page_text("/bao-cao/cai-cach-hanh-chinh/bo-nganh/bo-tu-phap/");
    assert!(text.contains("Số liệu minh hoạ"), "illustrative figures are badged: {text}");
    let sitemap = sitemap_paths();
    assert!(
        sitemap.contains(&"/bao-cao/cai-cach-hanh-chinh/tinh-thanh/an-giang/".to_string()),
        "official figures are listed"
    );
    assert!(!sitemap.iter().any(|p| p == "/bao-cao/par-index/bo-nganh/bo-tu-phap/"), "illustrative ones are not");
}

#[test]
fn every_issuer_type_year_combination_is_a_page_and_an_empty_one_says_so() {
    let list = read(built().join("van-ban/index.html"));
    let options = |name: &str| {
        let select = &list[list.find(&format!("name=\"{name}\"")).expect("select")..];
        let select = &select[..select.find("</select>").expect("end of select")];
        attribute_values(select, "<option", "value")
            .into_iter()
            .map(|v| if v.is_empty() { "tat-ca".to_string() } else { v })
            .collect::<Vec<_>>()
    };
    let (issuers, types, years) = (options("co-quan"), options("loai"), options("nam"));
    assert_eq!(issuers.len(), 5, "all and the four issuers: {issuers:?}");
    let mut empty = 0;
    for issuer in &issuers {
        for doc_type in &types {
            for year in &years {
                let path = format!("van-ban/loc/{issuer}/{doc_type}/{year}/index.html");
                let html = read(built().join(&path));
                if html.contains("Không có văn bản nào khớp") {
                    assert!(html.contains("noindex"), "{path}: an empty list is not for search engines");
                    empty += 1;
                } else {
                    assert!(html.contains("class=\"item-title\""), "{path} lists documents or says it has none");
                }
            }
        }
    }
    assert!(empty > 0 && empty < issuers.len() * types.len() * years.len());
    assert!(page_text("/van-ban/loc/chinh-phu/nghi-quyet/2021/").contains("Nghị quyết số 76/NQ-CP"));
    assert!(!sitemap_paths().iter().any(|p| p.contains("/van-ban/loc/")), "filtered lists stay out of the sitemap");
}

#[test]
fn the_video_page_loads_nothing_of_the_video_before_play_and_has_captions_and_a_transcript() {
    let html = read(built().join("thu-vien-video/gioi-thieu-thu-vien-video/index.html"));
    assert!(html.contains("preload=\"none\"") && html.contains("poster=\""), "only the poster before play");
    assert!(html.contains("<track kind=\"captions\"") && html.contains("srclang=\"vi\""));
    let captions = read(built().join("thu-vien-video/gioi-thieu-thu-vien-video/phu-de.vi.vtt"));
    assert!(captions.starts_with("WEBVTT"));
    let text = page_text("/thu-vien-video/gioi-thieu-thu-vien-video/");
    assert!(text.contains("Lời thoại"), "a transcript on the page");
    for cue in captions.split("\n\n").filter(|b| b.contains("-->")).filter_map(|b| b.lines().last()) {
        assert!(text.contains(cue.trim()), "the transcript has the caption «{cue}»");
    }
    let video =
        std::fs::metadata(built().join("thu-vien-video/gioi-thieu-thu-vien-video/gioi-thieu-thu-vien-video.mp4"))
            .expect("the video is published");
    assert!(video.len() < 300 * 1024, "the test clip stays small: {} bytes", video.len());
}
