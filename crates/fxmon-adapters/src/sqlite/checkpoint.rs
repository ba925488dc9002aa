//! WAL checkpoints beside the writer rather than inside it.
//!
//! SQLite's automatic checkpoint runs in the connection whose commit fills the WAL: it
//! copies the WAL's pages into the database and `fsync`s both files while every write
//! queued behind that connection waits (~300 ms for a 40 MiB WAL on the project's
//! machine, which was the embedded pipeline's p99 alert latency). Here a connection of its
//! own copies the pages with `PASSIVE` checkpoints, which never block the writer, pass
//! after pass until few frames are left. Only that rest is checkpointed on the writer's
//! connection, between two of its transactions, so that the WAL is fully copied and the
//! next write starts it again from the beginning instead of growing it. (A reader still
//! on an older snapshot keeps its frames from being copied; the next round tries again.)
//!
//! The writer keeps SQLite's automatic checkpoint with a far higher threshold
//! ([`WRITER_AUTOCHECKPOINT`]), a safety net should this task fall behind or fail.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqlitePool};
use sqlx::{Connection, SqliteExecutor};
use tokio_util::sync::CancellationToken;

/// How often the checkpointer looks at the WAL.
const INTERVAL: Duration = Duration::from_millis(100);
/// WAL frames (pages) from which the WAL is copied and started again: 16 MiB.
const RESTART_FRAMES: i64 = 4096;
/// Frames left uncopied that are few enough to copy on the writer's connection.
const CATCH_UP_FRAMES: i64 = 64;
/// Background passes before catching up on the writer regardless.
const MAX_PASSES: usize = 4;
/// The writer's own automatic checkpoint (pages): 256 MiB, reached only if this task
/// cannot keep up.
pub(super) const WRITER_AUTOCHECKPOINT: &str = "65536";

/// What one `PRAGMA wal_checkpoint(PASSIVE)` reported.
#[derive(Debug, Clone, Copy)]
struct Pass {
    /// Frames in the WAL.
    frames: i64,
    /// Frames copied into the database (by this pass or earlier ones).
    copied: i64,
}

impl Pass {
    fn left(self) -> i64 {
        self.frames - self.copied
    }
}

async fn passive(executor: impl SqliteExecutor<'_>) -> Result<Pass, sqlx::Error> {
    let (_busy, frames, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(executor)
        .await?;
    Ok(Pass { frames, copied })
}

/// The running checkpointer; dropping it stops it.
#[derive(Debug)]
pub(super) struct Checkpointer(CancellationToken);

impl Checkpointer {
    /// Starts checkpointing the database `options` opens, whose writer is `writer`.
    pub(super) async fn start(
        options: SqliteConnectOptions,
        writer: SqlitePool,
    ) -> Result<Self, sqlx::Error> {
        let database = options.get_filename().to_owned();
        let mut wal = database.clone().into_os_string();
        wal.push("-wal");
        let files = [database, PathBuf::from(wal)];
        let connection = SqliteConnection::connect_with(&options).await?;
        let stop = CancellationToken::new();
        tokio::spawn(run(connection, writer, files, stop.clone()));
        Ok(Self(stop))
    }

    pub(super) fn stop(&self) {
        self.0.cancel();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

async fn run(
    mut connection: SqliteConnection,
    writer: SqlitePool,
    files: [PathBuf; 2],
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(INTERVAL) => {}
            () = stop.cancelled() => break,
        }
        match checkpoint(&mut connection, &writer, &files).await {
            Ok(()) => {}
            // Closing the store closes the writer's pool under a pass.
            Err(_) if stop.is_cancelled() => break,
            // The writer's own automatic checkpoint still bounds the WAL.
            Err(error) => tracing::warn!("A WAL checkpoint failed: {error}"),
        }
    }
    let _ = connection.close().await;
}

/// Copies what the WAL holds; once it holds [`RESTART_FRAMES`], copies it all, the last
/// few frames on the writer's connection.
async fn checkpoint(
    connection: &mut SqliteConnection,
    writer: &SqlitePool,
    files: &[PathBuf; 2],
) -> sqlx::Result<()> {
    let mut pass = passive(&mut *connection).await?;
    if pass.frames < RESTART_FRAMES {
        return Ok(());
    }
    for _ in 1..MAX_PASSES {
        if pass.left() <= CATCH_UP_FRAMES {
            break;
        }
        pass = passive(&mut *connection).await?;
    }
    // The last pass `fsync`s both files on the writer's connection: flush them here first,
    // so that it finds little left to write.
    presync(files).await;
    // No write can start on the writer's one connection while this runs, so the WAL is
    // copied entirely (unless a reader still holds an older snapshot: then a later round
    // tries again) and the writer's next transaction starts it again.
    let pass = passive(writer).await?;
    tracing::trace!(
        frames = pass.frames,
        copied = pass.copied,
        "Checkpointed the WAL."
    );
    Ok(())
}

/// Flushes `files` to disk from a thread of their own. Only a head start: a file that
/// cannot be synced here is synced by SQLite all the same.
async fn presync(files: &[PathBuf; 2]) {
    let files = files.clone();
    let synced = tokio::task::spawn_blocking(move || {
        for file in &files {
            std::fs::File::open(file)?.sync_data()?;
        }
        Ok::<_, std::io::Error>(())
    });
    if let Ok(Err(error)) = synced.await {
        tracing::debug!("Flushing the database ahead of a checkpoint failed: {error}");
    }
}
