//! Which release a binary is: its version and its build, shown by `--version`, on the
//! sign-in screen and in support calls ("which Aliquot is on the bench PC?").

use std::sync::LazyLock;

/// The workspace's version (Cargo.toml).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The build: `scripts/package` sets `ALIQUOT_BUILD` to the commit and date it built from;
/// anything else built from a checkout says so rather than pretend to be a release.
pub const BUILD: &str = match option_env!("ALIQUOT_BUILD") {
    Some(build) => build,
    None => "development build",
};

/// `0.1.0 (build 1a2b3c4 2026-12-03)`: what `--version` prints after the program's name.
pub static VERSION_LINE: LazyLock<String> = LazyLock::new(|| format!("{VERSION} ({BUILD})"));
