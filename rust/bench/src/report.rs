//! The output contract every suite shares: one `ratio NAME VALUE (goal OP N)` line per
//! figure, or with `--json` one JSON array of `{name, value, goal, met}` objects at the end,
//! so figures can be kept and compared between versions.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which way a ratio should go.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    /// The figure should be at most this.
    AtMost(f64),
    /// The figure should be at least this (the stream suite's throughput goals).
    AtLeast(f64),
}

impl Goal {
    fn op_and_bound(self) -> (&'static str, f64) {
        match self {
            Goal::AtMost(n) => ("<=", n),
            Goal::AtLeast(n) => (">=", n),
        }
    }

    /// Whether `value` meets the goal.
    pub fn met(self, value: f64) -> bool {
        match self {
            Goal::AtMost(n) => value <= n,
            Goal::AtLeast(n) => value >= n,
        }
    }
}

/// One printed figure, kept for `--json`.
#[derive(Clone, Debug)]
struct Figure {
    name: String,
    value: f64,
    goal: Goal,
}

/// The figures of this run, in the order they were printed.
static FIGURES: Mutex<Vec<Figure>> = Mutex::new(Vec::new());

/// Set by `--json`: the ratio lines go to standard error and the JSON alone to standard output.
static JSON: AtomicBool = AtomicBool::new(false);

/// Sends the ratio lines to standard error, leaving standard output to [`json`].
pub fn json_mode() {
    JSON.store(true, Ordering::Relaxed);
}

/// Prints `ratio NAME VALUE (goal OP N)` and keeps the figure for `--json`.
pub fn ratio(name: &str, value: f64, goal: Goal) {
    let (op, n) = goal.op_and_bound();
    let line = format!("ratio {name} {value:.3} (goal {op} {n})");
    if JSON.load(Ordering::Relaxed) {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
    FIGURES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(Figure {
            name: name.to_owned(),
            value,
            goal,
        });
}

/// The figures of this run as a JSON array:
/// `[{"name": "...", "value": 1.234, "goal": "<= 1.5", "met": true}, ...]`.
pub fn json() -> String {
    let figures = FIGURES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let rows: Vec<String> = figures
        .iter()
        .map(|f| {
            let (op, n) = f.goal.op_and_bound();
            // Names are ours (ASCII identifiers), so they need no escaping; a value that is
            // not finite is not a JSON number and is written as null.
            let value = if f.value.is_finite() {
                format!("{:.4}", f.value)
            } else {
                "null".to_owned()
            };
            format!(
                "{{\"name\": \"{}\", \"value\": {value}, \"goal\": \"{op} {n}\", \"met\": {}}}",
                f.name,
                f.goal.met(f.value)
            )
        })
        .collect();
    format!("[\n  {}\n]", rows.join(",\n  "))
}

/// The median of some samples (they are sorted in place).
pub fn median(samples: &mut [f64]) -> f64 {
    percentile(samples, 50)
}

/// The `p`th percentile of some samples, nearest rank (they are sorted in place).
pub fn percentile(samples: &mut [f64], p: usize) -> f64 {
    assert!(!samples.is_empty(), "a percentile needs samples");
    assert!(p <= 100, "a percentile is at most 100");
    samples.sort_by(f64::total_cmp);
    let rank = (samples.len() * p).div_ceil(100).max(1);
    samples[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).rev().collect();
        assert_eq!(percentile(&mut v, 50), 50.0);
        assert_eq!(percentile(&mut v, 99), 99.0);
        assert_eq!(percentile(&mut v, 100), 100.0);
        let mut odd = [3.0, 1.0, 2.0];
        assert_eq!(median(&mut odd), 2.0);
    }

    #[test]
    fn goals_say_whether_they_are_met() {
        assert!(Goal::AtMost(1.5).met(1.5));
        assert!(!Goal::AtMost(1.5).met(1.6));
        assert!(Goal::AtLeast(1.2).met(1.3));
        assert!(!Goal::AtLeast(1.2).met(1.1));
    }
}
