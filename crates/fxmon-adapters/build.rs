//! Rebuilds when a migration is added: `sqlx::migrate!` only tracks files it already saw.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
