//! The stability rule as a table of cases: pure, no IO, no clock.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aliquot_watch::{
    is_ignored, Decision, Entry, FileStat, Observation, Planner, PlannerConfig, Problem,
};

/// Modification time `secs` after the epoch: only equality matters to the planner.
fn mtime(secs: u64) -> Option<SystemTime> {
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

fn stat(name: &str, size: u64, secs: u64) -> FileStat {
    FileStat {
        path: PathBuf::from(name),
        size,
        modified: mtime(secs),
    }
}

/// A listing of regular files given as (name, size, mtime seconds).
fn ls(files: &[(&str, u64, u64)]) -> Observation {
    Observation::Listing(
        files
            .iter()
            .map(|&(name, size, secs)| Entry::File(stat(name, size, secs)))
            .collect(),
    )
}

fn take(name: &str, size: u64, secs: u64) -> Decision {
    Decision::Take {
        path: PathBuf::from(name),
        size,
        modified: mtime(secs),
    }
}

fn report(name: &str, problem: Problem) -> Decision {
    Decision::Report {
        path: PathBuf::from(name),
        problem,
    }
}

fn locked() -> Problem {
    Problem::Unreadable {
        reason: "used by another process".to_owned(),
    }
}

enum Step {
    /// Observe at this many milliseconds; expect exactly these decisions.
    See(u64, Observation, Vec<Decision>),
    /// Report a failed read at this many milliseconds; expect this answer.
    Failed(u64, &'static str, Problem, Option<Decision>),
    Succeeded(&'static str),
    /// Expect this next due time in milliseconds.
    Due(Option<u64>),
}
use Step::{Due, Failed, See, Succeeded};

struct Case {
    name: &'static str,
    settle_ms: u64,
    /// Versions seeded with `assume_taken` before the first step.
    already: Vec<FileStat>,
    steps: Vec<Step>,
}

fn case(name: &'static str, steps: Vec<Step>) -> Case {
    Case {
        name,
        settle_ms: 400,
        already: Vec::new(),
        steps,
    }
}

fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

fn run(case: &Case) {
    let mut planner = Planner::new(PlannerConfig {
        settle: ms(case.settle_ms),
        max_file_size: 1000,
        retry_after: ms(1000),
    });
    for stat in &case.already {
        planner.assume_taken(stat);
    }
    for (index, step) in case.steps.iter().enumerate() {
        let at = format!("case `{}`, step {}", case.name, index + 1);
        match step {
            See(t, observation, expected) => {
                assert_eq!(&planner.observe(observation, ms(*t)), expected, "{at}");
            }
            Failed(t, name, problem, expected) => {
                let got = planner.read_failed(Path::new(name), problem.clone(), ms(*t));
                assert_eq!(&got, expected, "{at}");
            }
            Succeeded(name) => planner.read_succeeded(Path::new(name)),
            Due(expected) => assert_eq!(planner.next_due(), expected.map(ms), "{at}"),
        }
    }
}

#[test]
fn stability_rule_cases() {
    let a = |size, secs| ls(&[("a.csv", size, secs)]);
    let cases = vec![
        case(
            "stable after settle, taken once",
            vec![
                See(0, a(10, 1), vec![]),
                Due(Some(400)),
                See(200, a(10, 1), vec![]),
                See(400, a(10, 1), vec![take("a.csv", 10, 1)]),
                Due(None),
                See(600, a(10, 1), vec![]),
                See(5000, a(10, 1), vec![]),
            ],
        ),
        case(
            "one observation is never enough, however long ago",
            vec![
                See(0, a(10, 1), vec![]),
                See(9000, a(10, 1), vec![take("a.csv", 10, 1)]),
            ],
        ),
        Case {
            settle_ms: 0,
            ..case(
                "zero settle still needs a second observation",
                vec![
                    See(0, a(10, 1), vec![]),
                    See(0, a(10, 1), vec![take("a.csv", 10, 1)]),
                ],
            )
        },
        case(
            "a size change restarts the clock",
            vec![
                See(0, a(10, 1), vec![]),
                See(300, a(20, 1), vec![]),
                See(500, a(20, 1), vec![]),
                Due(Some(700)),
                See(700, a(20, 1), vec![take("a.csv", 20, 1)]),
            ],
        ),
        case(
            "a modification-time change alone restarts the clock",
            vec![
                See(0, a(10, 1), vec![]),
                See(300, a(10, 2), vec![]),
                See(500, a(10, 2), vec![]),
                See(700, a(10, 2), vec![take("a.csv", 10, 2)]),
            ],
        ),
        case(
            "empty file reported once, taken when filled",
            vec![
                See(0, a(0, 1), vec![]),
                See(400, a(0, 1), vec![report("a.csv", Problem::Empty)]),
                See(800, a(0, 1), vec![]),
                See(900, a(5, 2), vec![]),
                See(1300, a(5, 2), vec![take("a.csv", 5, 2)]),
            ],
        ),
        case(
            "too large reported instead of taken",
            vec![
                See(0, a(5000, 1), vec![]),
                See(
                    400,
                    a(5000, 1),
                    vec![report(
                        "a.csv",
                        Problem::TooLarge {
                            size: 5000,
                            limit: 1000,
                        },
                    )],
                ),
                See(800, a(5000, 1), vec![]),
            ],
        ),
        case(
            "a taken file that changes is a new version, taken again",
            vec![
                See(0, a(10, 1), vec![]),
                See(400, a(10, 1), vec![take("a.csv", 10, 1)]),
                See(600, a(15, 3), vec![]),
                See(800, a(15, 3), vec![]),
                See(1000, a(15, 3), vec![take("a.csv", 15, 3)]),
            ],
        ),
        case(
            "a vanished file is forgotten and taken again when it reappears",
            vec![
                See(0, a(10, 1), vec![]),
                See(400, a(10, 1), vec![take("a.csv", 10, 1)]),
                See(500, ls(&[]), vec![]),
                See(600, a(10, 1), vec![]),
                See(1000, a(10, 1), vec![take("a.csv", 10, 1)]),
            ],
        ),
        case(
            "hidden, temporary and system files are ignored",
            vec![
                See(
                    0,
                    ls(&[
                        (".hidden.csv", 5, 1),
                        ("~$plate.xlsx", 5, 1),
                        ("run.TMP", 5, 1),
                        ("run.temp", 5, 1),
                        ("export.part", 5, 1),
                        ("export.partial", 5, 1),
                        ("export.crdownload", 5, 1),
                        ("Thumbs.db", 5, 1),
                        ("desktop.ini", 5, 1),
                        ("run.csv", 5, 1),
                    ]),
                    vec![],
                ),
                See(
                    400,
                    ls(&[
                        (".hidden.csv", 5, 1),
                        ("~$plate.xlsx", 5, 1),
                        ("run.TMP", 5, 1),
                        ("run.temp", 5, 1),
                        ("export.part", 5, 1),
                        ("export.partial", 5, 1),
                        ("export.crdownload", 5, 1),
                        ("Thumbs.db", 5, 1),
                        ("desktop.ini", 5, 1),
                        ("run.csv", 5, 1),
                    ]),
                    vec![take("run.csv", 5, 1)],
                ),
            ],
        ),
        case(
            "decisions come in path order whatever the listing order",
            vec![
                See(0, ls(&[("b.csv", 1, 1), ("a.csv", 1, 1)]), vec![]),
                See(
                    400,
                    ls(&[("b.csv", 1, 1), ("a.csv", 1, 1)]),
                    vec![take("a.csv", 1, 1), take("b.csv", 1, 1)],
                ),
            ],
        ),
        case(
            "folder missing and back reported once each, file state kept",
            vec![
                See(0, a(10, 1), vec![]),
                See(
                    100,
                    Observation::FolderMissing,
                    vec![Decision::FolderMissing],
                ),
                Due(None),
                See(200, Observation::FolderMissing, vec![]),
                See(300, a(10, 1), vec![Decision::FolderBack]),
                See(400, a(10, 1), vec![take("a.csv", 10, 1)]),
            ],
        ),
        case(
            "a taken file is not taken again after an outage",
            vec![
                See(0, a(10, 1), vec![]),
                See(400, a(10, 1), vec![take("a.csv", 10, 1)]),
                See(
                    500,
                    Observation::FolderMissing,
                    vec![Decision::FolderMissing],
                ),
                See(600, a(10, 1), vec![Decision::FolderBack]),
                See(2000, a(10, 1), vec![]),
            ],
        ),
        case(
            "missing at start is reported; unreadable and missing are distinct",
            vec![
                See(0, Observation::FolderMissing, vec![Decision::FolderMissing]),
                See(
                    100,
                    Observation::FolderUnreadable {
                        reason: "denied".to_owned(),
                    },
                    vec![Decision::FolderUnreadable {
                        reason: "denied".to_owned(),
                    }],
                ),
                See(
                    200,
                    Observation::FolderUnreadable {
                        reason: "denied".to_owned(),
                    },
                    vec![],
                ),
                See(300, ls(&[]), vec![Decision::FolderBack]),
                See(400, ls(&[]), vec![]),
            ],
        ),
        case(
            "an unusable entry is reported once, then taken when it becomes a file",
            vec![
                See(
                    0,
                    Observation::Listing(vec![Entry::Unusable {
                        path: "a.csv".into(),
                        problem: locked(),
                    }]),
                    vec![report("a.csv", locked())],
                ),
                See(
                    100,
                    Observation::Listing(vec![Entry::Unusable {
                        path: "a.csv".into(),
                        problem: locked(),
                    }]),
                    vec![],
                ),
                See(200, a(10, 1), vec![]),
                See(600, a(10, 1), vec![take("a.csv", 10, 1)]),
            ],
        ),
        case(
            "a hidden unusable entry is ignored too",
            vec![See(
                0,
                Observation::Listing(vec![Entry::Unusable {
                    path: ".link".into(),
                    problem: locked(),
                }]),
                vec![],
            )],
        ),
        case(
            "a read that saw the file change restarts the clock, silently",
            vec![
                See(0, a(10, 1), vec![]),
                See(400, a(10, 1), vec![take("a.csv", 10, 1)]),
                Failed(450, "a.csv", Problem::StillChanging, None),
                Due(Some(850)),
                See(500, a(10, 1), vec![]),
                See(850, a(10, 1), vec![take("a.csv", 10, 1)]),
            ],
        ),
        case(
            "after a restart one observation past the settle time is still not enough",
            vec![
                See(0, a(10, 1), vec![]),
                See(400, a(10, 1), vec![take("a.csv", 10, 1)]),
                Failed(400, "a.csv", Problem::StillChanging, None),
                See(5000, a(10, 1), vec![]),
                See(5000, a(10, 1), vec![take("a.csv", 10, 1)]),
            ],
        ),
        case(
            "a failed read is reported once and retried after the retry time",
            vec![
                See(0, a(10, 1), vec![]),
                See(400, a(10, 1), vec![take("a.csv", 10, 1)]),
                Failed(400, "a.csv", locked(), Some(report("a.csv", locked()))),
                Due(Some(1400)),
                See(500, a(10, 1), vec![]),
                See(1400, a(10, 1), vec![take("a.csv", 10, 1)]),
                Failed(1400, "a.csv", locked(), None),
                See(2400, a(10, 1), vec![take("a.csv", 10, 1)]),
                Succeeded("a.csv"),
                See(2500, a(11, 2), vec![]),
                See(2900, a(11, 2), vec![take("a.csv", 11, 2)]),
                Failed(2900, "a.csv", locked(), Some(report("a.csv", locked()))),
            ],
        ),
        case(
            "a read failure for a forgotten file is ignored",
            vec![Failed(0, "gone.csv", locked(), None)],
        ),
        Case {
            already: vec![stat("a.csv", 10, 1), stat("b.csv", 10, 1)],
            ..case(
                "versions seeded as taken are not taken again; changed ones are",
                vec![
                    See(
                        0,
                        ls(&[("a.csv", 10, 1), ("b.csv", 12, 2), ("c.csv", 3, 1)]),
                        vec![],
                    ),
                    See(
                        400,
                        ls(&[("a.csv", 10, 1), ("b.csv", 12, 2), ("c.csv", 3, 1)]),
                        vec![take("b.csv", 12, 2), take("c.csv", 3, 1)],
                    ),
                    See(
                        2000,
                        ls(&[("a.csv", 10, 1), ("b.csv", 12, 2), ("c.csv", 3, 1)]),
                        vec![],
                    ),
                ],
            )
        },
    ];
    for case in &cases {
        run(case);
    }
}

#[test]
fn ignore_rule_looks_at_the_final_name_only() {
    for name in [
        ".x",
        "~$a.docx",
        "a.TMP",
        "a.Part",
        "THUMBS.DB",
        "sub/.hidden",
        "..",
    ] {
        assert!(is_ignored(Path::new(name)), "{name} should be ignored");
    }
    for name in [
        "a.csv",
        "a.tmp.csv",
        "tmp",
        "part.xml",
        "~a.csv",
        ".dir/a.csv",
        "a.",
    ] {
        assert!(!is_ignored(Path::new(name)), "{name} should not be ignored");
    }
}
