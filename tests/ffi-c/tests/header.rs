//! `bridge/migz.h` and the library agree: every function the header declares is exported
//! by the runtime's `src/ffi/capi.rs` or `src/ffi/capi/stream.rs` and every exported
//! function is declared, so the Zig and C sides never link against a symbol that is not
//! there. The header `migz-ffi` ships (`include/migz.h`) is the same file.

use std::collections::BTreeSet;

fn names_after(text: &str, marker: &str) -> BTreeSet<String> {
    text.match_indices(marker)
        .map(|(i, _)| {
            text[i + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|n| !n.is_empty())
        .collect()
}

#[test]
fn header_declares_exactly_the_exported_functions() {
    let root = env!("CARGO_MANIFEST_DIR");
    let header = std::fs::read_to_string(format!("{root}/../../bridge/migz.h")).unwrap();
    let shipped = std::fs::read_to_string(format!("{root}/../../rust/ffi/include/migz.h")).unwrap();
    assert!(
        header == shipped,
        "rust/ffi/include/migz.h is not bridge/migz.h"
    );
    let source = ["capi.rs", "capi/stream.rs"]
        .map(|f| std::fs::read_to_string(format!("{root}/../../rust/runtime/src/ffi/{f}")).unwrap())
        .concat();
    // Declarations are `<type> migz1_name(` or `<type> *migz1_name(`; types themselves end
    // in `_t`.
    let declared: BTreeSet<String> = names_after(&header, " migz1_")
        .into_iter()
        .chain(names_after(&header, "*migz1_"))
        .filter(|n| {
            header.contains(&format!(" migz1_{n}(")) || header.contains(&format!("*migz1_{n}("))
        })
        .map(|n| format!("migz1_{n}"))
        .collect();
    let exported: BTreeSet<String> = names_after(&source, "extern \"C\" fn migz1_")
        .into_iter()
        .map(|n| format!("migz1_{n}"))
        .collect();
    assert_eq!(declared, exported);
    assert!(exported.len() >= 30, "{exported:?}");
}
