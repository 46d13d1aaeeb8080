#!/usr/bin/env bash
# Copies Decap CMS (npm `decap-cms`, pinned below with its registry checksum) into the theme's static files, so the
# content editor at /quan-tri/noi-dung/ loads no script from a CDN and the build needs nothing but Rust.
# Run it to upgrade: change VERSION and INTEGRITY (`npm view decap-cms@X dist.integrity`), run, commit the folder.
set -euo pipefail

VERSION=3.16.3
INTEGRITY="sha512-hf+dPlCh7TJmWl8+6VRzHYOWhri5xgUknrZbDewaWe4s9B7xJ8PQugp2QHeSldMUKzav6+z0oIpwUYhUJDYtYw=="

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/themes/default/static/quan-tri/noi-dung/tai-nguyen/decap-cms-$VERSION"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "decap-cms@$VERSION" > /dev/null
tarball="decap-cms-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "decap-cms@$VERSION: checksum $actual, expected $INTEGRITY" >&2
  exit 1
fi
tar xzf "$tarball"
rm -rf "$ROOT"/themes/default/static/quan-tri/noi-dung/tai-nguyen/decap-cms-*
mkdir -p "$DEST"
# The "decap-cms" build (React included) and its chunks; not the source maps, not the duplicate "cms" build.
cp package/dist/decap-cms.js package/dist/[0-9]*.decap-cms.js package/dist/*.wasm "$DEST/"
cp package/dist/decap-cms.js.LICENSE.txt package/LICENSE "$DEST/" 2>/dev/null || cp package/dist/decap-cms.js.LICENSE.txt "$DEST/"
# The bundle points at its source map; the map is not shipped.
sed -i 's|//# sourceMappingURL=.*$||' "$DEST"/*.js
echo "decap-cms $VERSION: $(ls "$DEST" | wc -l) files, $(du -sh "$DEST" | cut -f1), $(cat "$DEST"/*.js | gzip -9 | wc -c) bytes of script gzipped"
