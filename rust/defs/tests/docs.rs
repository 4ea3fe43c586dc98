//! Which comment becomes a routine's documentation in the generated code: the comment that
//! ends right before it and starts its own line, not one trailing the statement before.

use migz_defs::Options;
use std::path::Path;

/// Each routine's doc, in order, of `text`.
fn docs(text: &str) -> Vec<Option<String>> {
    let out = migz_defs::run_text(
        Path::new("docs.defs"),
        text.to_string(),
        &Options::default(),
    );
    assert_eq!(out.subsystems.len(), 1, "the text must check: {text}");
    let routines = &out.subsystems[0].routines;
    assert_eq!(routines.len(), 4, "the text must check: {text}");
    routines.iter().map(|r| r.doc.clone()).collect()
}

#[test]
fn a_comment_trailing_a_skip_is_not_the_next_routines_doc() {
    let text = "subsystem s 100;\ntype int32_t = MACH_MSG_TYPE_INTEGER_32;\n\
                type port_t = MACH_MSG_TYPE_COPY_SEND;\n\
                skip;\t/* old_routine */\n\
                simpleroutine a(p : port_t; x : int32_t);\n\
                /*\n * Sets b.\n */\n\
                simpleroutine b(p : port_t; x : int32_t);\n\
                skip; // gone\n\
                simpleroutine c(p : port_t; x : int32_t);\n\
                // Line one.\n// Line two.\n\
                simpleroutine d(p : port_t; x : int32_t);\n";
    assert_eq!(
        docs(text),
        vec![
            None,
            Some("Sets b.".to_string()),
            None,
            Some("Line one.\nLine two.".to_string())
        ]
    );
}
