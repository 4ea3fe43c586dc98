//! migz benchmarks. Each suite prints one `ratio NAME VALUE (goal OP N)` line per figure.

fn main() {
    eprintln!("usage: migz-bench SUITE [--quick]");
    std::process::exit(2);
}
