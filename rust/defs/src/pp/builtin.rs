//! The standard MIG includes migz carries itself (`mach/std_types.defs`,
//! `mach/mach_types.defs` and the few others Apple's `.defs` include), so an Apple-style
//! `.defs` checks and generates on a system without the macOS SDK. They are searched
//! after every `-I` directory, the place a C compiler gives its own headers, so a user
//! who passes `-I $(xcrun --show-sdk-path)/usr/include` gets the SDK's files instead.
//!
//! The texts live in `rust/defs/include` and were written for migz from the type facts
//! (sizes and dispositions on LP64 macOS); they are not copies of Apple's files.

use std::path::PathBuf;

/// The directory name built-in files are shown under in diagnostics. It cannot name a
/// real directory, so nothing on disk is ever read in its place.
pub const DIR: &str = "<migz built-in>";

/// Every built-in file: its name as an `#include` spells it, and its text.
pub const FILES: &[(&str, &str)] = &[
    (
        "mach/std_types.defs",
        include_str!("../../include/mach/std_types.defs"),
    ),
    (
        "mach/machine/machine_types.defs",
        include_str!("../../include/mach/machine/machine_types.defs"),
    ),
    (
        "mach/mach_types.defs",
        include_str!("../../include/mach/mach_types.defs"),
    ),
    (
        "mach/clock_types.defs",
        include_str!("../../include/mach/clock_types.defs"),
    ),
    (
        "mach_debug/mach_debug_types.defs",
        include_str!("../../include/mach_debug/mach_debug_types.defs"),
    ),
];

/// The built-in file an `#include` names, as its display path and text.
pub fn find(header: &str) -> Option<(PathBuf, &'static str)> {
    let name = header.strip_prefix("./").unwrap_or(header);
    FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| (PathBuf::from(DIR).join(n), *text))
}

/// Whether a header lies in a directory that holds built-in files (`mach/`,
/// `mach_debug/`), so a search that failed should say the built-ins were tried too.
pub fn covers_directory_of(header: &str) -> bool {
    let Some((dir, _)) = header.rsplit_once('/') else {
        return false;
    };
    FILES
        .iter()
        .any(|(n, _)| n.rsplit_once('/').is_some_and(|(d, _)| d == dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pp::{Options, preprocess};
    use crate::source::SourceMap;

    #[test]
    fn every_built_in_file_preprocesses_cleanly_on_its_own() {
        for (name, _) in FILES {
            let mut map = SourceMap::new();
            let main = map.add("main.defs", format!("#include <{name}>\n"));
            let out = preprocess(&mut map, main, &Options::default());
            assert!(out.diagnostics.is_empty(), "{name}: {:?}", out.diagnostics);
            assert!(!out.tokens.is_empty(), "{name} produced no tokens");
        }
    }

    /// A fresh directory holding `files` (name, text) under the system temp directory.
    fn dir_with(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("migz-builtin-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (file, text) in files {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
            std::fs::write(&path, text).expect("write");
        }
        dir
    }

    /// The diagnostics of a run as codes and notes.
    type Diags = Vec<(&'static str, Vec<String>)>;

    /// Preprocesses `src` with `options`; the spellings of the output tokens, the files
    /// read and the diagnostics' codes and notes.
    fn run(src: &str, options: &Options) -> (String, Vec<PathBuf>, Diags) {
        let mut map = SourceMap::new();
        let main = map.add("main.defs", src.to_string());
        let out = preprocess(&mut map, main, options);
        let text = out
            .tokens
            .iter()
            .map(|t| t.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let diags = out
            .diagnostics
            .iter()
            .map(|d| (d.code, d.notes.clone()))
            .collect();
        (text, out.files_read, diags)
    }

    #[test]
    fn built_ins_come_after_every_include_directory() {
        let dir = dir_with(
            "order",
            &[
                ("sdk/mach/std_types.defs", "sdk_std\n"),
                (
                    "other/mach/mach_types.defs",
                    "other_mach\n#include_next <mach/mach_types.defs>\n",
                ),
            ],
        );
        // The SDK's std_types wins over the built-in one.
        let options = Options {
            include_dirs: vec![dir.join("sdk")],
            ..Options::default()
        };
        let (text, read, diags) = run("#include <mach/std_types.defs>\n", &options);
        assert_eq!(diags, []);
        assert_eq!(text, "sdk_std");
        assert_eq!(
            read,
            [
                PathBuf::from("main.defs"),
                dir.join("sdk/mach/std_types.defs")
            ]
        );

        // `#include_next` from the last -I directory reaches the built-in file, whose
        // own includes are found among the built-ins too; none of them is reported
        // as read, since a build script cannot watch a file that is not on disk.
        let options = Options {
            include_dirs: vec![dir.join("other")],
            ..Options::default()
        };
        let (text, read, diags) = run("#include <mach/mach_types.defs>\n", &options);
        assert_eq!(diags, []);
        assert!(
            text.starts_with("other_mach type int8_t = MACH_MSG_TYPE_INTEGER_8 ;"),
            "{text}"
        );
        assert!(text.contains("type task_t = mach_port_t ;"), "{text}");
        assert_eq!(
            read,
            [
                PathBuf::from("main.defs"),
                dir.join("other/mach/mach_types.defs")
            ]
        );
    }

    #[test]
    fn quoted_includes_reach_the_built_ins_and_guards_hold() {
        let (text, _, diags) = run(
            "#include \"mach/std_types.defs\"\n#include <mach/std_types.defs>\n#include <mach/clock_types.defs>\n",
            &Options::default(),
        );
        assert_eq!(diags, []);
        assert_eq!(text.matches("type int8_t =").count(), 1, "{text}");
        assert_eq!(text.matches("type natural_t =").count(), 1, "{text}");
        assert!(
            text.contains("type clock_serv_t = mach_port_t cusertype : clock_serv_t ;"),
            "{text}"
        );
    }

    #[test]
    fn no_builtin_includes_finds_only_files_on_disk() {
        let options = Options {
            no_builtin_includes: true,
            ..Options::default()
        };
        let (_, _, diags) = run("#include <mach/std_types.defs>\n", &options);
        assert_eq!(
            diags,
            [(
                "file-not-found",
                vec!["no directories were searched; add one with `-I`".to_string()]
            )]
        );
    }

    #[test]
    fn a_missing_mach_header_says_the_built_ins_were_searched() {
        let options = Options {
            include_dirs: vec![PathBuf::from("/nonexistent/sdk")],
            ..Options::default()
        };
        let (_, _, diags) = run(
            "#include <mach/task.defs>\n#include <sys/x.defs>\n",
            &options,
        );
        assert_eq!(
            diags,
            [
                (
                    "file-not-found",
                    vec!["searched: /nonexistent/sdk, <migz built-in>".to_string()]
                ),
                (
                    "file-not-found",
                    vec!["searched: /nonexistent/sdk".to_string()]
                ),
            ]
        );
    }

    #[test]
    fn names_match_and_directories_are_known() {
        assert_eq!(
            find("./mach/std_types.defs").map(|(p, _)| p),
            Some(PathBuf::from("<migz built-in>/mach/std_types.defs"))
        );
        assert!(find("mach/nothing.defs").is_none());
        assert!(find("std_types.defs").is_none());
        assert!(covers_directory_of("mach/nothing.defs"));
        assert!(covers_directory_of("mach_debug/x.defs"));
        assert!(!covers_directory_of("sys/x.defs"));
        assert!(!covers_directory_of("x.defs"));
    }
}
