//! The `frontend` suite.

/// Runs the suite.
pub fn run(quick: bool) {
    let _ = quick;
    eprintln!("the frontend suite is not written yet");
    std::process::exit(2);
}
