//! Golden tests: the exact bytes of every template in every printer language and
//! resolution, and of the SVG preview, compared byte for byte with files under
//! `tests/golden/`. A change in any byte fails; when the change is intended, rewrite the
//! files with `UPDATE_GOLDEN=1 cargo test -p aliquot-labels --test golden` and review the
//! diff like code.

mod common;

use aliquot_labels::{preview, tspl, zpl, Dpi, LabelTemplate};
use std::path::PathBuf;

fn check(name: &str, actual: &str) -> Result<(), String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(());
    }
    let expected = std::fs::read(&path).map_err(|e| {
        format!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    })?;
    if expected != actual.as_bytes() {
        return Err(format!(
            "{name} differs from its golden file {}\n--- expected\n{}\n--- actual\n{actual}",
            path.display(),
            String::from_utf8_lossy(&expected)
        ));
    }
    Ok(())
}

#[test]
fn every_template_in_every_language_matches_its_golden_bytes() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for template in LabelTemplate::ALL {
        let label = common::bound(template);
        for dpi in Dpi::ALL {
            let z = zpl::render(&label, dpi, 1).expect("zpl");
            let t = tspl::render(&label, dpi, 1).expect("tspl");
            for (name, bytes) in [
                (format!("{}.{}dpi.zpl", template.name(), dpi.dpi()), z),
                (format!("{}.{}dpi.tspl", template.name(), dpi.dpi()), t),
            ] {
                checked += 1;
                if let Err(e) = check(&name, &bytes) {
                    failures.push(e);
                }
            }
        }
        let svg = preview::svg(&label).expect("svg");
        checked += 1;
        if let Err(e) = check(&format!("{}.svg", template.name()), &svg) {
            failures.push(e);
        }
    }
    assert_eq!(checked, 4 * 7);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn copies_go_into_the_print_quantity() {
    let label = common::bound(LabelTemplate::Tube2x1);
    let z = zpl::render(&label, Dpi::D203, 3).expect("zpl");
    assert!(z.ends_with("^PQ3\n^XZ\n"), "{z}");
    let t = tspl::render(&label, Dpi::D203, 3).expect("tspl");
    assert!(t.ends_with("PRINT 1,3\r\n"), "{t}");
    assert!(zpl::render(&label, Dpi::D203, 0).is_err());
}
