//! migz benchmarks. `migz-bench SUITE [--quick]` runs one suite; each suite measures a
//! reference and a candidate interleaved in the same process and ends with one line per
//! figure: `ratio NAME VALUE (goal <= N)` or `(goal >= N)`.

mod ffi;
mod frontend;
mod pack;
mod report;
mod stream;
mod stubs;
mod transport;

/// A suite: its name and its entry point, which takes `--quick`.
type Suite = (&'static str, fn(bool));

/// The suites, by name.
const SUITES: &[Suite] = &[
    ("frontend", frontend::run),
    ("transport", transport::run),
    ("pack", pack::run),
    ("stubs", stubs::run),
    ("stream", stream::run),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [name] = names.as_slice() else {
        usage();
    };
    match SUITES.iter().find(|(n, _)| n == name) {
        Some((_, run)) => run(quick),
        None => usage(),
    }
}

fn usage() -> ! {
    let names: Vec<&str> = SUITES.iter().map(|(n, _)| *n).collect();
    eprintln!(
        "usage: migz-bench SUITE [--quick]   (suites: {})",
        names.join(", ")
    );
    std::process::exit(2);
}
