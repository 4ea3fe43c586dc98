//! Compares the preprocessor with the system `cpp -P` on every `.defs` file of the xnu
//! corpus, token by token. It needs the corpus (`../shared/corpus` beside the workspace)
//! and `cpp`; without either it fails, unless `MIGZ_SKIP` says to skip.

use migz_defs::pp::{self, MacroArg, Options, TokenKind};
use migz_defs::source::SourceMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;

use common::{corpus, missing};

/// Whether the system `cpp` runs; when it does not, the test fails unless `MIGZ_SKIP`
/// lists `cpp`.
fn have_cpp() -> bool {
    let found = Command::new("cpp")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        missing("cpp", "the system C preprocessor `cpp` is not on PATH");
    }
    found
}

fn defs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus directory is readable")
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            defs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "defs") {
            out.push(path);
        }
    }
}

/// The user-view flags of the corpus README, plus `-DIOKIT` for `device.defs`.
fn defines(file: &Path) -> Vec<String> {
    let mut d = vec!["__MACH30__".to_string(), "LIBSYSCALL_INTERFACE".to_string()];
    if file.ends_with("device/device.defs") {
        d.push("IOKIT".to_string());
    }
    d
}

fn options(corpus: &Path, file: &Path) -> Options {
    let mut macros: Vec<MacroArg> = defines(file)
        .into_iter()
        .map(|d| MacroArg::Define(d, None))
        .collect();
    // GCC predefines `__LP64__` on every 64-bit target, as Apple's clang does.
    macros.push(MacroArg::Define("__LP64__".into(), Some("1".into())));
    Options {
        include_dirs: vec![corpus.join("xnu/osfmk"), corpus.join("include")],
        macros,
        max_include_depth: 0,
        // `cpp` has no built-in MIG includes: both must read the corpus's own.
        no_builtin_includes: true,
    }
}

/// The spellings of the tokens in a text, lexed by our own preprocessor with no macros.
fn spellings(text: String) -> Vec<String> {
    let mut map = SourceMap::new();
    let id = map.add("cpp-output", text);
    let out = pp::preprocess(&mut map, id, &Options::default());
    assert!(
        out.diagnostics.is_empty(),
        "cpp output lexes cleanly: {:?}",
        out.diagnostics
    );
    out.tokens.into_iter().map(|t| t.text).collect()
}

#[test]
fn corpus_matches_cpp() {
    let Some(corpus) = corpus() else {
        return;
    };
    if !have_cpp() {
        return;
    }
    let mut files = Vec::new();
    defs_files(&corpus.join("xnu"), &mut files);
    assert!(files.len() > 50, "the corpus has its .defs files");
    let mut compared = 0;
    let (mut cpp_time, mut migz_time) = (Duration::ZERO, Duration::ZERO);
    for file in &files {
        if file.ends_with("tests/rnserver.defs") {
            continue;
        }
        let mut cmd = Command::new("cpp");
        cmd.arg("-P");
        for d in defines(file) {
            cmd.arg(format!("-D{d}"));
        }
        cmd.arg("-I")
            .arg(corpus.join("xnu/osfmk"))
            .arg("-I")
            .arg(corpus.join("include"))
            .arg(file);
        let started = Instant::now();
        let cpp = cmd.output().expect("cpp runs");
        cpp_time += started.elapsed();
        assert!(cpp.status.success(), "cpp failed on {}", file.display());
        let expected = spellings(String::from_utf8_lossy(&cpp.stdout).into_owned());

        let started = Instant::now();
        let mut map = SourceMap::new();
        let id = map.load(file).expect("corpus file loads");
        let out = pp::preprocess(&mut map, id, &options(&corpus, file));
        migz_time += started.elapsed();
        let errors: Vec<_> = out.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        assert!(
            out.tokens
                .iter()
                .all(|t| t.kind != TokenKind::Other || t.text == "@")
        );
        let actual: Vec<String> = out.tokens.iter().map(|t| t.text.clone()).collect();
        if let Some(at) =
            (0..expected.len().max(actual.len())).find(|&i| expected.get(i) != actual.get(i))
        {
            let from = at.saturating_sub(8);
            panic!(
                "{}: token {at} differs\n  cpp:  {:?}\n  migz: {:?}",
                file.display(),
                &expected[from..(at + 8).min(expected.len())],
                &actual[from..(at + 8).min(actual.len())],
            );
        }
        compared += 1;
    }
    assert!(compared >= 70, "compared {compared} files");
    // Informational only (the benchmarks own timing): cpp's time includes starting a process.
    eprintln!(
        "compared {compared} files; migz {migz_time:?}, cpp {cpp_time:?}, ratio {:.3}",
        migz_time.as_secs_f64() / cpp_time.as_secs_f64()
    );
}

#[test]
fn rnserver_reports_file_not_found_at_its_include() {
    let Some(corpus) = corpus() else {
        return;
    };
    let file = corpus.join("xnu/tests/rnserver.defs");
    let mut map = SourceMap::new();
    let id = map.load(&file).expect("corpus file loads");
    let out = pp::preprocess(&mut map, id, &options(&corpus, &file));
    let d = out
        .diagnostics
        .iter()
        .find(|d| d.code == "file-not-found")
        .expect("a file-not-found diagnostic");
    assert_eq!(
        d.message,
        "file not found: `System/mach/resource_notify.defs`"
    );
    let span = d.primary_span().expect("located");
    assert_eq!(span.file, id);
    let line = map.file(id).line_col(span.start as usize).0;
    let text = map
        .file(id)
        .line_range(line - 1)
        .map(|r| &map.file(id).text[r]);
    assert_eq!(text, Some("#include <System/mach/resource_notify.defs>"));
    assert_eq!(map.snippet(span), "<System/mach/resource_notify.defs>");
    assert!(d.notes[0].contains("osfmk"), "{:?}", d.notes);
}

/// Tricky cases from the C standard and GCC's manual, compared with `cpp -P -undef`.
const SNIPPETS: &[&str] = &[
    "#define f(a) a*g\n#define g(a) f(a)\nf(2)(9)\n",
    "#define AA BB\n#define BB AA\nAA BB\n",
    "#define hash_hash # ## #\n#define mkstr(a) # a\n#define in_between(a) mkstr(a)\n\
     #define join(c, d) in_between(c hash_hash d)\nchar p[] = join(x, y);\n",
    "#define t(x,y,z) x ## y ## z\n\
     int j[] = { t(1,2,3), t(,4,5), t(6,,7), t(8,9,), t(10,,), t(,11,), t(,,12), t(,,) };\n",
    "#define str(x) #x\nstr( a   \"b\\n\"  'c' '\\\\' ) str(  ) str(a\n b)\n",
    "#define LPAREN (\n#define RPAREN )\n#define F(x, y) x + y\n\
     #define ELLIP_FUNC(...) __VA_ARGS__\nELLIP_FUNC(F, LPAREN, 'a', 'b', RPAREN);\n",
    "#define g f\n#define f(x) [x]\ng(1) g (2) g\n(3) f\n",
    "#define str(x) #x\n#define xstr(x) str(x)\nxstr(__LINE__) __LINE__\n\n__LINE__\n",
    "#define f(x) x\nf(\n#define X 1\nX)\n",
    "#define q(x) x\nq(q)(1)\n",
    "#define foo() bar\nfoo\n()\nfoo\n",
    "#define EMPTY\n#define f(x) (x)\nf(EMPTY) f() EMPTY f EMPTY (1)\n",
    "#define obj(x) x obj\n#define nest(x) obj(x)\nnest(nest(1))(2)\n",
    "#define AP(x) x ## _t\n#define TYPE(n) AP(n) n\nTYPE(mach_port) TYPE(TYPE(a))\n",
    "#define X defined(Y)\n#define Y\n#if X && (1 ? 2 : (1/0)) && -1 < 0u == 0\nok\n#endif\n",
    "#if 'z' - 'a' == 25 && '\\377' < 0 && (0x10 | 010) == 24 && ~0 == -1\nok\n#endif\n",
    "#if 1\n#elif 1/0\n#endif\n#if 0\n#elif 1\nb\n#elif 1/0\n#endif\n",
    "#line 100\n__LINE__\n# 7 \"x.h\"\n__LINE__\n",
    "#define CAT(a, b) a ## b\n#define XCAT(a, b) CAT(a, b)\nXCAT(XCAT(1, 2), 3) CAT(C, AT)(1, 2)\n",
    "#define e(fmt, args...) f(fmt, ## args)\ne(1) e(1, 2)\n",
    "a = b+++c; x ->y; p ... q <<= r >>= %: %:%: <: :> <% %>\n",
    "#define m() M\n#define n(x) N x\nn(m)() n(m())\n",
    "#define f(x, y) x ## y\nf(a, ) f(, b) f(+, +) f(-, =) f(., 5) f(L, 'a') f(u8, \"s\")\n",
    "#define v(...) __VA_ARGS__ | #__VA_ARGS__\nv() v( a , b ) v(,)\n",
    "#define m1(x) x\n#define m2 m1(m2\nm2)) m2)\n",
    "#define i(x) x\n#define j i(j)\nj i(j) i(i)(1)\n",
    "#define lparen (\n#define f(x) <x>\n#define g f lparen 1)\ng f lparen 2)\n",
    "#define f(x) g(x\n#define g(x) [x]\nf(1)) f(2)) f (3)\n)\n",
    "#define z z[0]\n#define h(x) x z\nh(z) h(h(z))\n",
    "#define NIL(x) x\n#define G_0(arg) NIL(G_1)(arg)\n#define G_1(arg) NIL(arg)\nG_0(42)\n",
    "#define a a b\n#define b a\na b\n",
    "#define F(a, ...) f(a __VA_OPT__(,) __VA_ARGS__)\n#define E\nF(1) F(1, 2, 3) F(1, E) F(1,)\n",
    "#define G(x, ...) x ## __VA_OPT__(_y) z\nG(a) G(a, 1)\n",
    "#define s(x) L ## #x\n#define w(x) x ## #x\ns(hi) w(u8)\n",
    "#define F(X, ...) f(10 X __VA_ARGS__)\n#define G(X, ...) f(10 X, ## __VA_ARGS__)\nF(1) F(1,2) G(1) G(1,2)\n",
];

#[test]
fn snippets_match_cpp() {
    if !have_cpp() {
        return;
    }
    for (i, src) in SNIPPETS.iter().enumerate() {
        let dir = std::env::temp_dir().join(format!("migz-pp-snippet-{}-{i}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("s.defs");
        std::fs::write(&path, src).expect("write snippet");
        let cpp = Command::new("cpp")
            .args(["-P", "-undef", "-w"])
            .arg(&path)
            .output()
            .expect("cpp runs");
        assert!(cpp.status.success(), "cpp failed on snippet {i}: {src}");
        let expected = spellings(String::from_utf8_lossy(&cpp.stdout).into_owned());
        let mut map = SourceMap::new();
        let id = map.load(&path).expect("snippet loads");
        let out = pp::preprocess(&mut map, id, &Options::default());
        assert!(
            out.diagnostics.iter().all(|d| !d.is_error()),
            "snippet {i}: {:?}",
            out.diagnostics
        );
        let actual: Vec<String> = out.tokens.iter().map(|t| t.text.clone()).collect();
        assert_eq!(actual, expected, "snippet {i}:\n{src}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
