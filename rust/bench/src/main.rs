//! migz benchmarks. `migz-bench SUITE [--quick] [--json]` runs one suite (`all` runs every
//! one); each suite measures a reference and a candidate interleaved in the same process
//! and ends with one line per figure: `ratio NAME VALUE (goal <= N)` or `(goal >= N)`.
//! With `--json` those lines go to standard error and standard output gets one JSON array
//! of `{"name", "value", "goal", "met"}` objects, to keep and compare between versions.

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
    let json = args.iter().any(|a| a == "--json");
    if args
        .iter()
        .any(|a| a.starts_with("--") && a != "--quick" && a != "--json")
    {
        usage();
    }
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let [name] = names.as_slice() else {
        usage();
    };
    if json {
        report::json_mode();
    }
    if name.as_str() == "all" {
        for (_, run) in SUITES {
            run(quick);
        }
    } else {
        match SUITES.iter().find(|(n, _)| n == name) {
            Some((_, run)) => run(quick),
            None => usage(),
        }
    }
    if json {
        println!("{}", report::json());
    }
}

fn usage() -> ! {
    let names: Vec<&str> = SUITES.iter().map(|(n, _)| *n).collect();
    eprintln!(
        "usage: migz-bench SUITE [--quick] [--json]   (suites: {}, or all)",
        names.join(", ")
    );
    std::process::exit(2);
}
