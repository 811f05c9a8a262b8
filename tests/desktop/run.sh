#!/usr/bin/env bash
# Desktop smoke test: runs tests/desktop/smoke.mjs against the real Tauri window, on a private
# Xvfb display so no real display is needed. Exit status is the test result.
# `run.sh startup` runs the start-up and idle-memory benchmark (startup.mjs) instead.
#
#   ALIQUOT_DESKTOP_BIN  desktop binary (default: target/debug/aliquot-desktop; build it first)
#   TAURI_DRIVER         tauri-driver (default: ~/.cargo/bin/tauri-driver;
#                        install with `cargo install tauri-driver --version ^2 --locked`)
#   NATIVE_DRIVER        native WebDriver (default: /usr/bin/WebKitWebDriver)
#   USE_CURRENT_DISPLAY  set to 1 to use $DISPLAY instead of a private Xvfb
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export ALIQUOT_DESKTOP_BIN="$(realpath -m "${ALIQUOT_DESKTOP_BIN:-$repo/target/debug/aliquot-desktop}")"
export TAURI_DRIVER="${TAURI_DRIVER:-$HOME/.cargo/bin/tauri-driver}"
export NATIVE_DRIVER="${NATIVE_DRIVER:-/usr/bin/WebKitWebDriver}"

missing=0
for f in "$ALIQUOT_DESKTOP_BIN" "$TAURI_DRIVER" "$NATIVE_DRIVER"; do
  if [[ ! -x "$f" ]]; then echo "run.sh: not found or not executable: $f" >&2; missing=1; fi
done
((missing == 0)) || exit 2

# WebKitGTK under Xvfb: no GPU, and no accessibility bus to wait for.
export WEBKIT_DISABLE_COMPOSITING_MODE=1
export WEBKIT_DISABLE_DMABUF_RENDERER=1
export NO_AT_BRIDGE=1
export LIBGL_ALWAYS_SOFTWARE=1

cd "$repo"
test_cmd=(node --test --test-reporter=spec tests/desktop/smoke.mjs)
if [[ "${1:-}" == startup ]]; then
  test_cmd=(node tests/desktop/startup.mjs)
fi

if [[ "${USE_CURRENT_DISPLAY:-0}" == 1 && -n "${DISPLAY:-}" ]]; then
  exec "${test_cmd[@]}"
fi
if ! command -v xvfb-run >/dev/null; then
  echo "run.sh: xvfb-run not found (apt-get install xvfb), or set USE_CURRENT_DISPLAY=1" >&2
  exit 2
fi
# -a picks a free display number; the screen is a bit larger than the 1280x800 window.
exec xvfb-run -a -s "-screen 0 1440x900x24" "${test_cmd[@]}"
