//! Layout agreement between the two compilers: every C-layout struct of the generated Rust
//! (messages, and the `In`/`Out` structs the Zig exports read and write through a pointer)
//! has, as rustc lays it out, the size and field offsets the Zig compiler gives the struct
//! of the same name in the generated Zig. Both sides assert the layout engine's numbers at
//! compile time; this checks the compilers against each other, for the whole corpus and
//! both examples.

#![cfg(migz_corpus)]

use migz_rust_corpus::LAYOUTS;
use std::collections::HashMap;
use std::process::Command;

#[test]
fn rust_and_zig_lay_out_every_struct_alike() {
    // `build.rs` wrote `abi_dump.zig` beside the generated files and found the Zig.
    let mut zig = env!("MIGZ_CORPUS_ZIG").split('\u{1f}');
    let out = Command::new(zig.next().unwrap())
        .args(zig)
        .current_dir(env!("OUT_DIR"))
        .args(["run", "--dep", "migz", "-Mroot=abi_dump.zig"])
        .arg("-Mmigz=migz-zig/migz.zig")
        .output()
        .expect("zig runs");
    // The program prints to stderr, as `std.debug.print` does.
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "zig run abi_dump.zig failed:\n{text}");
    let mut zig_layouts: HashMap<(&str, &str), (usize, Vec<usize>)> = HashMap::new();
    for line in text.lines() {
        let mut words = line.split(' ');
        let (Some(sub), Some(name), Some(size)) = (words.next(), words.next(), words.next()) else {
            panic!("unexpected line from abi_dump.zig: {line}");
        };
        let size = size.parse().expect("a size");
        let offsets = words.map(|w| w.parse().expect("an offset")).collect();
        zig_layouts.insert((sub, name), (size, offsets));
    }
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for l in LAYOUTS {
        let Some((size, offsets)) = zig_layouts.get(&(l.subsystem, l.name)) else {
            mismatches.push(format!("{}.{}: not in the Zig", l.subsystem, l.name));
            continue;
        };
        compared += 1;
        let rust: Vec<usize> = l.fields.iter().map(|(_, o)| *o).collect();
        if *size != l.size || *offsets != rust {
            mismatches.push(format!(
                "{}.{}: Zig size {size} offsets {offsets:?}, Rust size {} fields {:?}",
                l.subsystem, l.name, l.size, l.fields
            ));
        }
    }
    println!("{compared} structs laid out alike by rustc and zig");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Both examples are there, with their In/Out structs.
    for (sub, name) in [
        ("array_test", "SumArrayRequest"),
        ("array_test", "SumArrayIn"),
        ("ports_ool", "ReverseOut"),
        ("ports_ool", "CountPortsRequest"),
    ] {
        assert!(
            LAYOUTS.iter().any(|l| l.subsystem == sub && l.name == name),
            "{sub}.{name} is not in the table"
        );
    }
    assert!(compared >= 1000, "only {compared} structs compared");
}
