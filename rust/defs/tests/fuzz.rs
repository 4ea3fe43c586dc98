//! A mutation fuzzer for the whole front end, seeded with the corpus and with hand-written
//! hostile inputs (include loops, deep nesting, absurd sizes, invalid UTF-8).
//!
//! Under `cargo test` it runs a fixed number of inputs from a fresh seed each run, printed
//! as `fuzz seed 0x...`; `MIGZ_FUZZ_SEED=0x...` replays a run. For a long run:
//! `MIGZ_FUZZ_SECONDS=1800 cargo test --release -p migz-defs --test fuzz -- --nocapture`.
//! Every input must finish without a panic, within a time bound, within 256 MiB of peak memory, and
//! every layout it produces must be self-consistent. A failing input is saved to
//! `target/fuzz-failures/` before the test fails.

mod common;

use common::fuzz_seed;

use migz_defs::{Options, diag, pp::MacroArg};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: small, fast and reproducible.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const DICTIONARY: &[&str] = &[
    "routine",
    "simpleroutine",
    "subsystem",
    "type",
    "skip",
    "import",
    "array",
    "of",
    "struct",
    "c_string",
    "^",
    "[",
    "]",
    "[*:",
    "(",
    ")",
    ";",
    ":",
    ",",
    "=",
    "|",
    "in",
    "out",
    "inout",
    "RequestPort",
    "ReplyPort",
    "MsgSeqno",
    "ServerAuditToken",
    "SameCount",
    "CountInOut",
    "Dealloc[]",
    "Dealloc",
    "RetCode",
    "polymorphic",
    "MACH_MSG_TYPE_COPY_SEND",
    "MACH_MSG_TYPE_INTEGER_64",
    "MACH_MSG_TYPE_UNSTRUCTURED",
    "4294967296",
    "99999999999999999999",
    "0x7fffffff",
    "1e5",
    "#if 1\n",
    "#if 0\n",
    "#else\n",
    "#endif\n",
    "#elif defined(X)\n",
    "#define X X\n",
    "#define F(a) F(a) a ## a #a\n",
    "#undef X\n",
    "#include \"loop.defs\"\n",
    "#include <mach/std_types.defs>\n",
    "#line 99999999999 \"x\"\n",
    "#error boom\n",
    "/*",
    "*/",
    "//",
    "\\\n",
    "\"",
    "'",
    "\u{0}",
    "\u{ffff}",
    "##",
    "#",
    "__LINE__",
    "defined",
    "PointerTo(int)",
    "ValueOf(int)",
    "intran: a b(c)",
    "ctype: int",
    "KernelServer",
    "UserPrefix",
    "WaitTime",
];

fn hostile_seeds() -> Vec<Vec<u8>> {
    let cat = |parts: &[&[u8]]| parts.concat();
    vec![
        cat(&[b"subsystem s 1; type t = ", "^".repeat(100_000).as_bytes(), b"int;"]),
        format!("subsystem s 1;\n{}", "#if 1\n".repeat(50_000)).into_bytes(),
        format!("#if {}1{}\n#endif\n", "(".repeat(100_000), ")".repeat(100_000)).into_bytes(),
        format!("type t = array[{}1{}] of int;", "(".repeat(100_000), ")".repeat(100_000)).into_bytes(),
        b"#define a b b\n#define b a a\na\n".to_vec(),
        b"#define a(x) a(x) a(x)\na(a(a(a(a(a(a(a(a(a(a(a(a(a(1))))))))))))))\n".to_vec(),
        (0..40)
            .map(|i| if i == 0 { "#define X0 1\n".to_string() } else { format!("#define X{i} X{} X{}\n", i - 1, i - 1) })
            .chain(["X39\n".to_string()])
            .collect::<String>()
            .into_bytes(),
        b"#include \"loop.defs\"\n".to_vec(),
        b"subsystem s 1; type int = MACH_MSG_TYPE_INTEGER_32; type a = array[*:4294967295] of int; type b = array[4294967295] of array[4294967295] of int; routine r(p : MACH_MSG_TYPE_COPY_SEND; x : a);".to_vec(),
        vec![0xff, 0xfe, b's', b'u', b'b', 0xc3, 0x28, b';', 0xe2, 0x82],
        cat(&[b"subsystem s 1;\nroutine r(", "p : int;".repeat(20_000).as_bytes(), b");"]),
        b"/* unterminated".to_vec(),
        b"\"unterminated\n".to_vec(),
        format!("subsystem s 1; type t = c_string[*:{}];", u64::MAX).into_bytes(),
        // Found by fuzzing: a long identifier multiplied by doubling macros took gigabytes
        // under the output's token limit; the output now has a byte limit too.
        (0..24)
            .map(|i| match i {
                0 => format!("#define X0 {}\n", "ef".repeat(600)),
                _ => format!("#define X{i} X{} X{}\n", i - 1, i - 1),
            })
            .chain(["X23\n".to_string()])
            .collect::<String>()
            .into_bytes(),
        // Found by fuzzing: thousands of nested invocations of a doubling macro took a
        // minute; the substitution budget is now small enough to stop them in seconds.
        format!("#define a(x) a(x) a(x)\n{}a{}\n", "a(".repeat(2000), ")".repeat(2000)).into_bytes(),
        // Found by fuzzing: an `#include "` with no closing quote panicked.
        b"#include \"\nsubsystem s 1;\n".to_vec(),
        "#define F(x) #x\nF(".repeat(10_000).into_bytes(),
        // Found by fuzzing: a file that includes itself twice went through an exponential
        // tree of includes up to the total limit (614 MB); the depth limit now stops it.
        b"subsystem s 100;\ntype int32_t = MACH_MSG_TYPE_INTEGER_32;\n#include \"input.defs\"\n#include \"input.defs\"\n".to_vec(),
        // Types times subsystem statements: every named type was copied into every
        // subsystem (1.9 GB for these 469 KB).
        (0..301)
            .map(|i| format!("type t{i} = MACH_MSG_TYPE_INTEGER_32;\n"))
            .chain((0..20_000).map(|i| format!("subsystem s{i} {i};\n")))
            .collect::<String>()
            .into_bytes(),
        // Found by fuzzing: an unclosed macro argument list over a file that includes
        // itself collected every level's tokens as arguments (600 MB below the include
        // depth limit); argument collection has its own limit now.
        format!(
            "{}#include \"input.defs\"\n#include \"input.defs\"\n",
            "#define F(x) #x\nF(".repeat(7600)
        )
        .into_bytes(),
        // Found by fuzzing: a long broken routine in a file that includes itself twice
        // reached the output token limit with 175 MB; the limit is half of that now.
        format!(
            "subsystem s 1;\nroutine r({}\n#include \"input.defs\"\n#include \"input.defs\"\n",
            "p : int;".repeat(2500)
        )
        .into_bytes(),
        // A chain of named array types: each held its whole element chain (8 GB).
        std::iter::once("type t0 = MACH_MSG_TYPE_INTEGER_32;\n".to_string())
            .chain((1..20_000).map(|i| format!("type t{i} = array[1] of t{};\n", i - 1)))
            .collect::<String>()
            .into_bytes(),
    ]
}

fn corpus_seeds(corpus: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![corpus.join("xnu")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "defs") {
                out.push(std::fs::read(&path).unwrap());
            }
        }
    }
    out.sort();
    out
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..1 + rng.below(8) {
        let len = data.len();
        match rng.below(6) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] = rng.next() as u8;
            }
            1 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(64)).min(len);
                data.drain(a..b);
            }
            2 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(256)).min(len);
                let chunk = data[a..b].to_vec();
                let at = rng.below(len);
                data.splice(at..at, chunk);
            }
            3 => {
                let word = DICTIONARY[rng.below(DICTIONARY.len())];
                let at = rng.below(len + 1);
                data.splice(at..at, word.bytes().chain([b' ']));
            }
            4 => {
                let other = &seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let a = rng.below(other.len());
                    let b = (a + rng.below(512)).min(other.len());
                    let at = rng.below(len + 1);
                    data.splice(at..at, other[a..b].iter().copied());
                }
            }
            _ if len > 0 => {
                // Repeat a small piece many times: deep nesting and long runs.
                let a = rng.below(len);
                let b = (a + 1 + rng.below(4)).min(len);
                let piece = data[a..b].to_vec();
                let times = 1 + rng.below(2000);
                let at = rng.below(len);
                let rep: Vec<u8> = piece
                    .iter()
                    .copied()
                    .cycle()
                    .take(piece.len() * times)
                    .collect();
                data.splice(at..at, rep);
            }
            _ => {}
        }
    }
    data
}

/// The peak resident memory of the process so far (`VmHWM`): a run that allocates much
/// and frees it again must still be caught.
fn peak_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// How far one input may raise the peak: the front end's limits keep every run well
/// below it.
const PEAK_GROWTH_MAX: u64 = 256 << 20;

/// Runs one input; returns whether it had errors, or what invariant it broke.
fn check_one(path: &Path, options: &migz_defs::Options) -> Result<bool, String> {
    let out = migz_defs::run(path, options);
    // Rendering must not panic either, whatever the spans.
    let _ = diag::render(&out.map, &out.diagnostics);
    for s in &out.subsystems {
        for r in &s.routines {
            for l in std::iter::once(&r.request).chain(r.reply.as_ref()) {
                let mut at = 0u32;
                for f in &l.fields {
                    if f.offset != at {
                        return Err(format!(
                            "{}: field {} at {} not {at}",
                            r.name, f.name, f.offset
                        ));
                    }
                    at += f.size;
                }
                if at != l.size || l.min_size > l.size {
                    return Err(format!("{}: sizes inconsistent", r.name));
                }
            }
        }
    }
    Ok(out.has_errors())
}

#[test]
fn fuzz_front_end() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut seeds = hostile_seeds();
    let mut options = Options::default();
    if let Some(corpus) = common::corpus() {
        seeds.extend(corpus_seeds(&corpus));
        options.include_dirs = vec![corpus.join("xnu/osfmk"), corpus.join("include")];
        options.macros = vec![MacroArg::Define("LIBSYSCALL_INTERFACE".into(), None)];
    }
    let seconds: Option<u64> = std::env::var("MIGZ_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok());
    let iterations = if seconds.is_some() { u64::MAX } else { 1500 };
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let work = std::env::temp_dir().join(format!("migz-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join("loop.defs"),
        "#include \"loop.defs\"\nsubsystem s 1;\n",
    )
    .unwrap();
    options.include_dirs.insert(0, work.clone());
    let failures = root.join("target/fuzz-failures");
    let input_path = work.join("input.defs");

    // A watchdog: an input that makes no progress for 60 s is a hang.
    let progress = Arc::new(AtomicU64::new(0));
    {
        let progress = progress.clone();
        let failures = failures.clone();
        let input_path = input_path.clone();
        std::thread::spawn(move || {
            let mut last = u64::MAX;
            loop {
                std::thread::sleep(Duration::from_secs(60));
                let now = progress.load(Ordering::Relaxed);
                if now == u64::MAX {
                    return;
                }
                if now == last {
                    let _ = std::fs::create_dir_all(&failures);
                    let _ = std::fs::copy(&input_path, failures.join("hang.defs"));
                    eprintln!(
                        "fuzz: an input took over 60 s; saved to target/fuzz-failures/hang.defs"
                    );
                    std::process::abort();
                }
                last = now;
            }
        });
    }

    // xorshift never leaves the all-zero state, so the low bit is set.
    let mut rng = Rng(fuzz_seed() | 1);
    let start = Instant::now();
    let baseline = peak_bytes();
    let mut executions = 0u64;
    let mut with_errors = 0u64;
    for i in 0..iterations {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let data = match seeds.get(i as usize) {
            Some(seed) => seed.clone(),
            None => mutate(&mut rng, &seeds),
        };
        std::fs::write(&input_path, &data).unwrap();
        let result = std::panic::catch_unwind(|| check_one(&input_path, &options));
        executions += 1;
        progress.store(executions, Ordering::Relaxed);
        let failure = match result {
            Ok(Ok(errors)) => {
                with_errors += errors as u64;
                None
            }
            Ok(Err(e)) => Some(e),
            Err(_) => Some("panic".to_string()),
        };
        let peak = peak_bytes();
        let failure = failure.or_else(|| {
            (peak > baseline + PEAK_GROWTH_MAX)
                .then(|| format!("peak resident memory grew to {} MiB", peak >> 20))
        });
        if let Some(why) = failure {
            std::fs::create_dir_all(&failures).unwrap();
            let saved = failures.join(format!("input-{executions}.defs"));
            std::fs::write(&saved, &data).unwrap();
            panic!(
                "fuzz input {executions} failed ({why}); saved to {}",
                saved.display()
            );
        }
    }
    progress.store(u64::MAX, Ordering::Relaxed);
    let _ = std::fs::remove_dir_all(&work);
    println!(
        "fuzz: {executions} executions in {:.1} s ({with_errors} with diagnosed errors), no panic, hang or runaway memory",
        start.elapsed().as_secs_f64()
    );
}
