//! The `dollr` command.
fn main() {}
