#!/usr/bin/env bash
# Package test: builds the .deb and the AppImage from the debug binaries `cargo test` built
# (scripts/package --debug), then
#   - installs the .deb into a scratch root (dpkg -x), checks what it carries (both binaries,
#     icons at every size, the desktop entry, the udev rule, the dialout note) and starts the
#     packaged desktop under Xvfb until the demo lab's sign-in screen shows its release;
#   - lists the AppImage's contents and starts its binary (extracted, as there is no FUSE).
# Exit status is the test result.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo"

fail() { echo "package test: $*" >&2; exit 1; }
mapfile -t made < <(scripts/package --debug | tail -2)
deb="${made[0]}"
appimage="${made[1]}"
[[ "$deb" == *.deb && -f "$deb" ]] || fail "no .deb was made (got '$deb')"
[[ "$appimage" == *.AppImage && -x "$appimage" ]] || fail "no AppImage was made (got '$appimage')"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)

echo "--- the .deb: control"
control=$(dpkg-deb -f "$deb")
echo "$control" | grep -qx "Package: aliquot" || fail "the package is not named aliquot"
echo "$control" | grep -qx "Version: $version" || fail "the package's version is not $version"
echo "$control" | grep -q "^Depends:.*libwebkit2gtk-4.1-0" || fail "the package does not depend on WebKitGTK 4.1"
root=$(mktemp -d /tmp/aliquot-deb-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
dpkg-deb -e "$deb" "$root/DEBIAN"
grep -q "usermod -aG dialout" "$root/DEBIAN/postinst" ||
  fail "the post-install script does not give the dialout note"
dpkg -x "$deb" "$root"
echo "--- the .deb: files"
for f in usr/bin/aliquot-desktop usr/bin/aliquot \
  usr/share/applications/Aliquot.desktop \
  usr/lib/udev/rules.d/70-aliquot-devices.rules \
  usr/share/doc/aliquot/README.Debian; do
  [[ -f "$root/$f" ]] || fail "the .deb lacks /$f"
  echo "  /$f"
done
for size in 16 24 32 48 64 128 256 512; do
  icon="$root/usr/share/icons/hicolor/${size}x${size}/apps/aliquot-desktop.png"
  [[ -f "$icon" ]] || fail "the .deb lacks the ${size}x${size} icon"
  file "$icon" | grep -q "PNG image data, $size x $size" || fail "the ${size}x${size} icon is $(file -b "$icon")"
done
echo "  icons at 16, 24, 32, 48, 64, 128, 256 and 512 px"
entry="$root/usr/share/applications/Aliquot.desktop"
grep -qx "Exec=aliquot-desktop" "$entry" || fail "the desktop entry does not start aliquot-desktop"
grep -qx "Icon=aliquot-desktop" "$entry" || fail "the desktop entry has no icon"
grep -q 'ATTR{idVendor}=="0a5f"' "$root/usr/lib/udev/rules.d/70-aliquot-devices.rules" ||
  fail "the udev rule does not cover Zebra printers"
grep -q "usermod -aG dialout" "$root/usr/share/doc/aliquot/README.Debian" ||
  fail "README.Debian does not give the dialout note"
[[ "$("$root/usr/bin/aliquot" --version)" == "aliquot $version ("*")" ]] ||
  fail "the packaged aliquot --version says '$("$root/usr/bin/aliquot" --version)'"

echo "--- the .deb: the packaged desktop under Xvfb"
ALIQUOT_SMOKE=package \
  ALIQUOT_DESKTOP_BIN="$root/usr/bin/aliquot-desktop" \
  ALIQUOT_BIN="$root/usr/bin/aliquot" \
  bash tests/desktop/run.sh

echo "--- the AppImage: contents"
offset=$("$appimage" --appimage-offset)
listing=$(unsquashfs -l -o "$offset" "$appimage")
for f in AppRun .DirIcon aliquot-desktop.desktop aliquot-desktop.png \
  usr/bin/aliquot-desktop usr/bin/aliquot usr/lib/udev/rules.d/70-aliquot-devices.rules; do
  grep -qx "squashfs-root/$f" <<<"$listing" || fail "the AppImage lacks $f"
  echo "  $f"
done
echo "--- the AppImage: its binaries start"
desktop_version=$(APPIMAGE_EXTRACT_AND_RUN=1 "$appimage" --version)
[[ "$desktop_version" == "aliquot-desktop $version ("*")" ]] || fail "the AppImage's desktop says '$desktop_version'"
cli_version=$(APPIMAGE_EXTRACT_AND_RUN=1 "$appimage" cli --version)
[[ "$cli_version" == "aliquot $version ("*")" ]] || fail "the AppImage's CLI says '$cli_version'"
echo "  $desktop_version"
echo "  $cli_version"
echo "package test passed"
