//! A database as an earlier release left it, for the tests of later migrations.

use std::path::Path;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::ConnectOptions;

/// `fxmon.db` in `dir`, migrated with the migrations numbered before `first_new` only.
pub async fn database_before(dir: &Path, first_new: &str) -> SqliteConnection {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let old = dir.join("migrations");
    std::fs::create_dir(&old).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let name = entry.unwrap().file_name();
        if name.to_str().unwrap() < first_new {
            std::fs::copy(source.join(&name), old.join(&name)).unwrap();
        }
    }
    let mut connection = SqliteConnectOptions::new()
        .filename(dir.join("fxmon.db"))
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    Migrator::new(old.as_path())
        .await
        .unwrap()
        .run(&mut connection)
        .await
        .unwrap();
    connection
}
