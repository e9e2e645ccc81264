//! Rebuilds the store when a migration is added, removed or changed: `embed_migrations!`
//! reads the top-level `migrations/` at compile time, and a new file there is otherwise
//! not noticed by cargo.

fn main() {
    println!("cargo::rerun-if-changed=../../migrations");
}
