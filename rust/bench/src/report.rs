//! The output contract every suite shares.

/// Which way a ratio should go.
#[derive(Clone, Copy, Debug)]
pub enum Goal {
    /// The figure should be at most this.
    AtMost(f64),
    /// The figure should be at least this (the stream suite's throughput goals).
    AtLeast(f64),
}

/// Prints `ratio NAME VALUE (goal OP N)`.
pub fn ratio(name: &str, value: f64, goal: Goal) {
    let (op, n) = match goal {
        Goal::AtMost(n) => ("<=", n),
        Goal::AtLeast(n) => (">=", n),
    };
    println!("ratio {name} {value:.3} (goal {op} {n})");
}

/// The median of some samples (they are sorted in place).
pub fn median(samples: &mut [f64]) -> f64 {
    assert!(!samples.is_empty(), "a median needs samples");
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
