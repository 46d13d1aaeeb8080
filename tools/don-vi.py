#!/usr/bin/env python3
"""Writes Viet Nam's administrative units since 1 July 2025 under content/data/don-vi/ from PyPI
`vietnam-provinces` (the General Statistics Office list: 34 provinces, 3,321 communes, wards and special zones).

    python3 -m venv /tmp/don-vi && /tmp/don-vi/bin/pip install vietnam-provinces==2025.10.1
    /tmp/don-vi/bin/python tools/don-vi.py            # rewrites the files; commit them

Its output is committed, so the build needs nothing but Rust:
- tinh-thanh.yaml: the 34 provinces get their GSO `code` (two digits) and `kind` (`thanh-pho` for the six
  centrally-run cities, `tinh`), `from: 2025-07-01`; their `url` is kept from the file; the 63 provinces before
  the merger stay as they are (`to: 2025-06-30`), for the reports of earlier years.
- xa-phuong.csv: one row per commune: `code` (GSO, five digits), `name`, `kind` (`xa`, `phuong`, `dac-khu`),
  `parent` (its province's code), `from`, `to`. CSV, not YAML: the functions embed the same file at compile time
  and read it with the csv crate they already have (3,321 rows in well under a millisecond at a cold start).
"""

import csv
import re
import sys
from pathlib import Path

import vietnam_provinces
from vietnam_provinces import Province, VietNamDivisionType, Ward

EFFECTIVE = "2025-07-01"
OUT = Path(__file__).resolve().parent.parent / "content" / "data" / "don-vi"

PROVINCE_KIND = {VietNamDivisionType.THANH_PHO_TRUNG_UONG: "thanh-pho", VietNamDivisionType.TINH: "tinh"}
COMMUNE_KIND = {VietNamDivisionType.XA: "xa", VietNamDivisionType.PHUONG: "phuong", VietNamDivisionType.DAC_KHU: "dac-khu"}
LINE = re.compile(r'^\s*- \{ name: "(?P<name>[^"]+)"(?P<rest>.*)\}\s*$')


def full_name(p: Province) -> str:
    """The name as the portal writes it: "Tỉnh Thanh Hóa"; the package writes cities in full already."""
    return p.name if p.division_type == VietNamDivisionType.THANH_PHO_TRUNG_UONG else f"Tỉnh {p.name}"


def existing(path: Path) -> tuple[dict[str, str], list[str], list[str]]:
    """The url of each current province, their order, and the lines of the provinces before the merger, kept
    verbatim."""
    urls, order, old = {}, [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = LINE.match(line)
        if not m:
            continue
        if 'to: "2025-06-30"' in m["rest"]:
            old.append(line)
        else:
            order.append(m["name"])
            url = re.search(r'url: "([^"]+)"', m["rest"])
            if url:
                urls[m["name"]] = url[1]
    return urls, order, old


def main() -> int:
    provinces = list(Province.iter_all())
    communes = list(Ward.iter_all())
    if len(provinces) != 34 or len(communes) != 3321:
        print(f"expected 34 provinces and 3,321 communes, got {len(provinces)} and {len(communes)}", file=sys.stderr)
        return 1
    path = OUT / "tinh-thanh.yaml"
    urls, order, old = existing(path)
    lines = [
        "# Tỉnh, thành phố trực thuộc Trung ương",
        "# Từ 01/7/2025: 34 đơn vị hành chính cấp tỉnh (6 thành phố, 28 tỉnh), mã của Tổng cục Thống kê (`code`);",
        "# 63 đơn vị trước đó giữ lại để đọc các báo cáo cũ. Xã, phường, đặc khu: xa-phuong.csv (`parent` là mã tỉnh).",
        f"# 34 tỉnh mới do tools/don-vi.py viết từ gói vietnam-provinces {vietnam_provinces.__version__}.",
        "units:",
    ]
    # The file's order is kept (it is the order of the published surveys' unit lists: changing it would change
    # their content hash); a province new to the file goes last, by code.
    def rank(p: Province) -> tuple[int, int]:
        name = full_name(p)
        return (order.index(name) if name in order else len(order), p.code.value)

    ordered = sorted(provinces, key=rank)
    for p in ordered:
        name = full_name(p)
        url = f', url: "{urls[name]}"' if name in urls else ""
        lines.append(
            f'  - {{ name: "{name}", code: "{p.code.value:02d}"{url}, from: "{EFFECTIVE}", kind: {PROVINCE_KIND[p.division_type]} }}'
        )
    lines.extend(old)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (OUT / "xa-phuong.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["code", "name", "kind", "parent", "from", "to"])
        for w in sorted(communes, key=lambda w: w.code.value):
            out.writerow([f"{w.code.value:05d}", w.name, COMMUNE_KIND[w.division_type], f"{w.province_code.value:02d}", EFFECTIVE, ""])
    print(f"{path.relative_to(OUT.parent.parent.parent)}: {len(provinces)} tỉnh, thành phố (+{len(old)} trước 01/7/2025)")
    print(f"content/data/don-vi/xa-phuong.csv: {len(communes)} xã, phường, đặc khu")
    return 0


if __name__ == "__main__":
    sys.exit(main())
