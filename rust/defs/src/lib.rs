//! The migz front end.
