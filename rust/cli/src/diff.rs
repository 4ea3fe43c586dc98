//! `migz diff`: what changed on the wire between two versions of a `.defs` file. A change
//! is *incompatible* when an old client and a new server (or the reverse) would no longer
//! understand each other: a routine removed, renumbered or turned into a simpleroutine, an
//! argument retyped, reordered, added or removed, a message layout that moved. A routine
//! added under a new id, or a renamed argument, is compatible.

use migz_defs::ir::{Arg, Layout, Routine, RoutineKind, Subsystem, Type};
use std::fmt::Write as _;

/// One difference between the old and the new version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Whether old and new peers can no longer talk.
    pub incompatible: bool,
    /// What changed, for people.
    pub what: String,
}

fn incompatible(what: String) -> Change {
    Change {
        incompatible: true,
        what,
    }
}

fn compatible(what: String) -> Change {
    Change {
        incompatible: false,
        what,
    }
}

/// The differences between the subsystems of two versions, matched by name.
pub fn diff(old: &[Subsystem], new: &[Subsystem]) -> Vec<Change> {
    let mut changes = Vec::new();
    for o in old {
        match new.iter().find(|n| n.name == o.name) {
            Some(n) => subsystem(o, n, &mut changes),
            None => changes.push(incompatible(format!("subsystem `{}` removed", o.name))),
        }
    }
    for n in new {
        if !old.iter().any(|o| o.name == n.name) {
            changes.push(compatible(format!("subsystem `{}` added", n.name)));
        }
    }
    changes
}

fn subsystem(old: &Subsystem, new: &Subsystem, changes: &mut Vec<Change>) {
    if old.base != new.base {
        changes.push(incompatible(format!(
            "subsystem `{}`: base {} is now {} (every routine is renumbered)",
            old.name, old.base, new.base
        )));
    }
    for o in &old.routines {
        let Some(n) = new.routines.iter().find(|n| n.name == o.name) else {
            changes.push(incompatible(format!(
                "routine `{}` (id {}) removed: old clients get MIG_BAD_ID",
                o.name, o.id
            )));
            continue;
        };
        routine(o, n, changes);
    }
    for n in &new.routines {
        if old.routines.iter().any(|o| o.name == n.name) {
            continue;
        }
        match old.routines.iter().find(|o| o.id == n.id) {
            // The removal is reported above; say what took its id.
            Some(o) => changes.push(incompatible(format!(
                "routine `{}` now has id {}, which was `{}`'s",
                n.name, n.id, o.name
            ))),
            None => changes.push(compatible(format!(
                "routine `{}` added (id {})",
                n.name, n.id
            ))),
        }
    }
}

fn kind_name(kind: RoutineKind) -> &'static str {
    match kind {
        RoutineKind::Routine => "routine",
        RoutineKind::SimpleRoutine => "simpleroutine",
    }
}

fn routine(old: &Routine, new: &Routine, changes: &mut Vec<Change>) {
    let name = &old.name;
    if old.id != new.id {
        changes.push(incompatible(format!(
            "routine `{name}` renumbered: id {} is now {}",
            old.id, new.id
        )));
    }
    if old.kind != new.kind {
        changes.push(incompatible(format!(
            "routine `{name}` was a {} and is now a {}",
            kind_name(old.kind),
            kind_name(new.kind)
        )));
    }
    let before = args(old);
    let after = args(new);
    if before != after {
        let mut sorted_before = before.clone();
        let mut sorted_after = after.clone();
        sorted_before.sort();
        sorted_after.sort();
        if sorted_before == sorted_after {
            changes.push(incompatible(format!(
                "routine `{name}`: arguments reordered ({} → {})",
                names(&old.args),
                names(&new.args)
            )));
        } else {
            argument_changes(old, new, changes);
        }
    }
    let messages = [
        ("request", Some(&old.request), Some(&new.request)),
        ("reply", old.reply.as_ref(), new.reply.as_ref()),
    ];
    for (which, o, n) in messages {
        if let (Some(o), Some(n)) = (o, n)
            && let Some(moved) = layout(o, n)
        {
            changes.push(incompatible(format!("routine `{name}`: {which} {moved}")));
        }
    }
}

/// Each argument's wire signature, without its name (a rename does not change the wire).
fn args(r: &Routine) -> Vec<String> {
    r.args.iter().map(signature).collect()
}

fn signature(a: &Arg) -> String {
    format!(
        "{:?} {} {} {:?} {} {} {}",
        a.kind,
        a.in_request,
        a.in_reply,
        a.count,
        a.count_in_out,
        a.poly,
        wire(&a.ty)
    )
}

/// What of a type reaches the wire: its message types, sizes, shape, element types.
fn wire(t: &Type) -> String {
    let mut s = format!(
        "{}/{} {}x{} inline={} var={} string={} struct={}",
        t.in_name,
        t.out_name,
        t.element_bits,
        t.number,
        t.inline,
        t.var_array,
        t.is_string,
        t.is_struct
    );
    if let Some(e) = &t.element {
        let _ = write!(s, " of ({})", wire(e));
    }
    s
}

fn names(args: &[Arg]) -> String {
    args.iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn argument_changes(old: &Routine, new: &Routine, changes: &mut Vec<Change>) {
    let name = &old.name;
    for (i, (o, n)) in old.args.iter().zip(&new.args).enumerate() {
        if signature(o) != signature(n) {
            changes.push(incompatible(format!(
                "routine `{name}`: argument {} `{}` retyped: `{}` is now `{}` (`{}`)",
                i + 1,
                o.name,
                o.ty.name,
                n.ty.name,
                n.name
            )));
        }
    }
    for a in old.args.iter().skip(new.args.len()) {
        changes.push(incompatible(format!(
            "routine `{name}`: argument `{}` removed",
            a.name
        )));
    }
    for a in new.args.iter().skip(old.args.len()) {
        changes.push(incompatible(format!(
            "routine `{name}`: argument `{}` added",
            a.name
        )));
    }
}

/// How a message layout moved, if it did: its size, its complex bit, or the first field
/// whose offset, size or C type changed.
fn layout(old: &Layout, new: &Layout) -> Option<String> {
    if old.complex != new.complex || old.descriptor_count != new.descriptor_count {
        return Some(format!(
            "went from {} descriptor(s) to {}",
            old.descriptor_count, new.descriptor_count
        ));
    }
    let first = old
        .fields
        .iter()
        .zip(&new.fields)
        .find(|(o, n)| o.offset != n.offset || o.size != n.size || o.c_type != n.c_type);
    if let Some((o, n)) = first {
        return Some(format!(
            "field `{}` ({} at offset {}, {} bytes) is now `{}` ({} at offset {}, {} bytes)",
            o.name, o.c_type, o.offset, o.size, n.name, n.c_type, n.offset, n.size
        ));
    }
    if old.size != new.size || old.min_size != new.min_size {
        return Some(format!(
            "size went from {} (at least {}) to {} (at least {})",
            old.size, old.min_size, new.size, new.min_size
        ));
    }
    None
}
