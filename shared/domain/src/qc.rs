//! Quality control of a run: its control wells judged by the Westgard rules against each
//! control lot's target mean and SD.
//!
//! A control result is taken as its distance from the target in SDs, `z = (value − mean) / SD`.
//! **Boundaries are inclusive**: a result at exactly 2 SD counts as beyond 2 SD, one at exactly
//! 1 SD as beyond 1 SD, one at exactly 3 SD as beyond 3 SD. The 10x rule counts results on one
//! side of the mean; a result exactly at the mean is on neither side and ends a streak.
//!
//! Within the run (all of the run's control results, in the order the run gives them):
//! - **1-2s** (warning): one result beyond 2 SD.
//! - **1-3s** (reject): one result beyond 3 SD.
//! - **2-2s** (reject): two consecutive results beyond 2 SD on the same side.
//! - **R-4s** (reject): one result beyond +2 SD and another beyond −2 SD.
//!
//! Across runs (each control lot's own results, oldest first, the run's last):
//! - **4-1s** (reject): four consecutive results beyond 1 SD on the same side.
//! - **10x** (reject): ten consecutive results on the same side of the mean.
//!
//! A rule across runs is broken only by a streak that reaches into this run: an old streak
//! judged an earlier run already.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A Westgard rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[ts(export)]
pub enum Rule {
    #[serde(rename = "1-2s")]
    OneTwoS,
    #[serde(rename = "1-3s")]
    OneThreeS,
    #[serde(rename = "2-2s")]
    TwoTwoS,
    #[serde(rename = "R-4s")]
    RangeFourS,
    #[serde(rename = "4-1s")]
    FourOneS,
    #[serde(rename = "10x")]
    TenX,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::OneTwoS => "1-2s",
            Rule::OneThreeS => "1-3s",
            Rule::TwoTwoS => "2-2s",
            Rule::RangeFourS => "R-4s",
            Rule::FourOneS => "4-1s",
            Rule::TenX => "10x",
        }
    }

    /// Whether breaking the rule rejects the run (all but 1-2s, which warns).
    pub fn rejects(self) -> bool {
        self != Rule::OneTwoS
    }
}

/// What QC says of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Verdict {
    Accepted,
    /// Accepted with a 1-2s warning: look at the controls before the next run.
    Warning,
    /// Its patient results are held until a lab manager releases or repeats the run.
    Rejected,
}

/// One control lot's results as distances from its target in SDs, oldest first: those of
/// earlier runs, then this run's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ControlSeries<'a> {
    pub earlier: &'a [f64],
    pub this_run: &'a [f64],
}

/// The rules a run broke, each once, in the order of [`Rule`], and the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub broken: Vec<Rule>,
    pub verdict: Verdict,
}

/// A result's distance from the target in SDs; `None` for an SD that is not above 0 or a
/// value that is not a number.
pub fn z_score(value: f64, mean: f64, sd: f64) -> Option<f64> {
    let z = (value - mean) / sd;
    (sd > 0.0 && z.is_finite()).then_some(z)
}

fn beyond(z: f64, k: f64) -> bool {
    z.abs() >= k
}

/// The sign of a result beyond `k` SD: 1 above, −1 below, 0 within.
fn side_beyond(z: f64, k: f64) -> i8 {
    if z >= k {
        1
    } else if z <= -k {
        -1
    } else {
        0
    }
}

/// Whether the last `n` of `earlier ++ this_run` are all on one side (`side` gives a
/// result's side, 0 for none) and at least one of them is this run's.
fn streak(series: &ControlSeries<'_>, n: usize, side: impl Fn(f64) -> i8) -> bool {
    if series.this_run.is_empty() {
        return false;
    }
    let all: Vec<f64> = series
        .earlier
        .iter()
        .chain(series.this_run)
        .copied()
        .collect();
    // Each window of `n` that ends in this run.
    let first_of_run = series.earlier.len();
    (first_of_run..all.len()).any(|end| {
        end + 1 >= n && {
            let window = &all[end + 1 - n..=end];
            let s = side(window[0]);
            s != 0 && window.iter().all(|z| side(*z) == s)
        }
    })
}

/// Judges a run by its controls' series (one per control lot on the plate).
pub fn evaluate(series: &[ControlSeries<'_>]) -> Evaluation {
    let run: Vec<f64> = series
        .iter()
        .flat_map(|s| s.this_run.iter().copied())
        .collect();
    let mut broken = Vec::new();
    if run.iter().any(|z| beyond(*z, 2.0)) {
        broken.push(Rule::OneTwoS);
    }
    if run.iter().any(|z| beyond(*z, 3.0)) {
        broken.push(Rule::OneThreeS);
    }
    if run
        .windows(2)
        .any(|w| side_beyond(w[0], 2.0) != 0 && side_beyond(w[0], 2.0) == side_beyond(w[1], 2.0))
    {
        broken.push(Rule::TwoTwoS);
    }
    if run.iter().any(|z| *z >= 2.0) && run.iter().any(|z| *z <= -2.0) {
        broken.push(Rule::RangeFourS);
    }
    if series.iter().any(|s| streak(s, 4, |z| side_beyond(z, 1.0))) {
        broken.push(Rule::FourOneS);
    }
    let of_mean = |z: f64| {
        if z > 0.0 {
            1
        } else if z < 0.0 {
            -1
        } else {
            0
        }
    };
    if series.iter().any(|s| streak(s, 10, of_mean)) {
        broken.push(Rule::TenX);
    }
    let verdict = if broken.iter().any(|r| r.rejects()) {
        Verdict::Rejected
    } else if broken.is_empty() {
        Verdict::Accepted
    } else {
        Verdict::Warning
    };
    Evaluation { broken, verdict }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Rule::*;

    fn run(this_run: &[f64]) -> Evaluation {
        evaluate(&[ControlSeries {
            earlier: &[],
            this_run,
        }])
    }

    fn across(earlier: &[f64], this_run: &[f64]) -> Evaluation {
        evaluate(&[ControlSeries { earlier, this_run }])
    }

    #[test]
    fn within_a_run_each_rule_at_its_boundary() {
        // (this run's z-scores, the rules broken)
        let cases: &[(&[f64], &[Rule])] = &[
            (&[0.0, 1.5], &[]),
            (&[1.999, -1.999], &[]),
            // 1-2s: exactly 2 SD is beyond 2 SD, on either side.
            (&[2.0, 0.0], &[OneTwoS]),
            (&[0.0, -2.0], &[OneTwoS]),
            // 1-3s: exactly 3 SD; 2.999 only warns.
            (&[2.999, 0.0], &[OneTwoS]),
            (&[3.0, 0.0], &[OneTwoS, OneThreeS]),
            (&[-3.5], &[OneTwoS, OneThreeS]),
            // 2-2s: two consecutive beyond 2 SD on the same side; not apart, not opposite.
            (&[2.0, 2.0], &[OneTwoS, TwoTwoS]),
            (&[-2.1, -2.5, 0.3], &[OneTwoS, TwoTwoS]),
            (&[2.1, 0.0, 2.1], &[OneTwoS]),
            (&[2.0, 1.999], &[OneTwoS]),
            // R-4s: one beyond +2 SD and another beyond −2 SD, anywhere in the run.
            (&[2.0, -2.0], &[OneTwoS, RangeFourS]),
            (&[2.5, 0.1, -2.0], &[OneTwoS, RangeFourS]),
            (&[2.0, -1.999], &[OneTwoS]),
        ];
        for (z, rules) in cases {
            assert_eq!(run(z).broken, *rules, "{z:?}");
        }
    }

    #[test]
    fn the_rules_within_a_run_pool_every_control_of_the_run() {
        let level_1 = ControlSeries {
            earlier: &[],
            this_run: &[2.2],
        };
        let level_2 = ControlSeries {
            earlier: &[],
            this_run: &[-2.4],
        };
        assert_eq!(evaluate(&[level_1, level_2]).broken, [OneTwoS, RangeFourS]);
    }

    #[test]
    fn four_1s_needs_four_in_a_row_beyond_1_sd_reaching_this_run() {
        let cases: &[(&[f64], &[f64], bool)] = &[
            (&[1.0, 1.2, 1.5], &[1.0], true),
            (&[-1.0, -1.2, -1.5], &[-1.9], true),
            (&[1.0, 1.2, 1.5], &[0.999], false),
            (&[1.0, -1.2, 1.5], &[1.0], false),
            (&[1.1, 1.2], &[1.0], false),
            // All four in this run.
            (&[], &[1.1, 1.2, 1.3, 1.4], true),
            // An old streak, already judged, does not reject this run.
            (&[1.1, 1.2, 1.3, 1.4], &[0.0], false),
            (&[1.1, 1.2, 1.3, 1.4], &[], false),
        ];
        for (earlier, this_run, rejects) in cases {
            let broken = across(earlier, this_run).broken.contains(&FourOneS);
            assert_eq!(broken, *rejects, "{earlier:?} then {this_run:?}");
        }
    }

    #[test]
    fn ten_x_needs_ten_on_one_side_and_the_mean_ends_a_streak() {
        let above = [0.1; 9];
        assert!(across(&above, &[0.2]).broken.contains(&TenX));
        assert!(!across(&above[..8], &[0.2]).broken.contains(&TenX));
        assert!(!across(&above, &[0.0]).broken.contains(&TenX));
        assert!(!across(&above, &[-0.1]).broken.contains(&TenX));
        let below = [-0.5; 9];
        assert!(across(&below, &[-0.01]).broken.contains(&TenX));
        let mut broken_streak = [0.1; 9];
        broken_streak[3] = 0.0;
        assert!(!across(&broken_streak, &[0.2]).broken.contains(&TenX));
    }

    #[test]
    fn the_verdict_is_rejected_by_any_rule_but_1_2s() {
        assert_eq!(run(&[0.5]).verdict, Verdict::Accepted);
        assert_eq!(run(&[2.5]).verdict, Verdict::Warning);
        assert_eq!(run(&[3.5]).verdict, Verdict::Rejected);
        assert_eq!(run(&[2.0, 2.0]).verdict, Verdict::Rejected);
        assert_eq!(across(&[0.1; 9], &[0.1]).verdict, Verdict::Rejected);
        for rule in [OneTwoS, OneThreeS, TwoTwoS, RangeFourS, FourOneS, TenX] {
            assert_eq!(rule.rejects(), rule != OneTwoS);
            assert_eq!(serde_json::to_value(rule).unwrap(), rule.name());
        }
    }

    #[test]
    fn z_scores_need_an_sd_above_zero() {
        assert_eq!(
            z_score(1.3, 1.0, 0.1).map(|z| (z * 1e9).round() / 1e9),
            Some(3.0)
        );
        assert_eq!(z_score(1.0, 1.0, 0.0), None);
        assert_eq!(z_score(1.0, 1.0, -0.1), None);
        assert_eq!(z_score(f64::NAN, 1.0, 0.1), None);
    }
}
