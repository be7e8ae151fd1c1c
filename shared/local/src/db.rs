//! The one SQLite database under the state directory: executions, history, artifact versions,
//! builds, deployments, instances, metrics, alarms and parked task tokens. Inspect it with any
//! SQLite client (`sqlite3 .baton/baton.db`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::LocalError;

/// The schema's migrations, in order: migration `i` takes a database from `user_version` `i` to
/// `i + 1`. Append, never edit: a state directory made by any earlier Baton is upgraded by the
/// ones it has not had, and one made by a later Baton (a higher `user_version`) is refused
/// rather than misread. The first is the schema as it stood before versioning; its `IF NOT
/// EXISTS` lets it adopt those databases as they are.
const MIGRATIONS: &[&str] = &[SCHEMA_1, SCHEMA_2, SCHEMA_3, SCHEMA_4, SCHEMA_5, SCHEMA_6];

/// What a state directory holds besides its database: with any of these present, an empty or
/// missing database is a lost one, not a new one.
const STATE_DATA: &[&str] = &["artifacts", "builds", "groups"];

const SCHEMA_1: &str = r#"
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, arn TEXT NOT NULL, status TEXT NOT NULL,
    started_at TEXT NOT NULL, ended_at TEXT, input TEXT NOT NULL, output TEXT, error TEXT, cause TEXT,
    commit_id TEXT
);
CREATE TABLE IF NOT EXISTS history (
    execution_id TEXT NOT NULL, id INTEGER NOT NULL, previous_event_id INTEGER NOT NULL,
    timestamp TEXT NOT NULL, type TEXT NOT NULL, event TEXT NOT NULL,
    PRIMARY KEY (execution_id, id)
);
CREATE TABLE IF NOT EXISTS artifacts (
    pipeline TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, digest TEXT NOT NULL,
    manifest TEXT NOT NULL, PRIMARY KEY (pipeline, name, version)
);
CREATE TABLE IF NOT EXISTS last_good (
    pipeline TEXT NOT NULL, grp TEXT NOT NULL, artifact TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (pipeline, grp)
);
CREATE TABLE IF NOT EXISTS builds (
    id TEXT PRIMARY KEY, correlation TEXT NOT NULL UNIQUE, pipeline TEXT NOT NULL, execution_id TEXT NOT NULL,
    action TEXT NOT NULL, number INTEGER NOT NULL, status TEXT NOT NULL, phases TEXT NOT NULL DEFAULT '[]',
    log_path TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT
);
CREATE TABLE IF NOT EXISTS deployments (
    id TEXT PRIMARY KEY, correlation TEXT NOT NULL UNIQUE, pipeline TEXT NOT NULL, grp TEXT NOT NULL,
    execution_id TEXT NOT NULL, artifact TEXT NOT NULL, rollback INTEGER NOT NULL, status TEXT NOT NULL,
    created_at TEXT NOT NULL, ended_at TEXT, reason TEXT
);
-- Stop requests (baton stop-deployment), read by the process running the deployment at its next
-- lifecycle event or traffic step; rollback_id links to the rollback the stop started.
CREATE TABLE IF NOT EXISTS deployment_stops (
    deployment_id TEXT PRIMARY KEY, requested_at TEXT NOT NULL, rollback INTEGER NOT NULL, cause TEXT NOT NULL,
    rollback_id TEXT
);
CREATE TABLE IF NOT EXISTS instance_events (
    deployment_id TEXT NOT NULL, instance INTEGER NOT NULL, event TEXT NOT NULL, status TEXT NOT NULL,
    started_at TEXT NOT NULL, ended_at TEXT NOT NULL, message TEXT
);
CREATE TABLE IF NOT EXISTS instances (
    pipeline TEXT NOT NULL, grp TEXT NOT NULL, idx INTEGER NOT NULL, port INTEGER NOT NULL,
    artifact TEXT, archive TEXT, process_group INTEGER, PRIMARY KEY (pipeline, grp, idx)
);
CREATE TABLE IF NOT EXISTS metrics (
    namespace TEXT NOT NULL, name TEXT NOT NULL, dimensions TEXT NOT NULL, timestamp_ms INTEGER NOT NULL,
    value REAL NOT NULL, unit TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_series ON metrics (namespace, name, dimensions, timestamp_ms);
-- What a repeated put looks up (the same action of the same execution), and the next build
-- number: without them both scan every earlier row, and a burst of runs goes quadratic.
CREATE INDEX IF NOT EXISTS artifacts_by_execution ON artifacts (pipeline, name, json_extract(manifest, '$.provenance.execution_id'));
CREATE INDEX IF NOT EXISTS builds_by_action ON builds (pipeline, action, number);
CREATE TABLE IF NOT EXISTS alarms (
    name TEXT PRIMARY KEY, state TEXT NOT NULL, reason TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alarm_history (
    name TEXT NOT NULL, timestamp TEXT NOT NULL, old_state TEXT NOT NULL, new_state TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stage_lanes (
    pipeline TEXT NOT NULL, stage TEXT NOT NULL, execution_id TEXT NOT NULL, seq INTEGER NOT NULL,
    holding INTEGER NOT NULL, since TEXT NOT NULL, PRIMARY KEY (pipeline, stage, execution_id)
);
CREATE TABLE IF NOT EXISTS stage_newest (
    pipeline TEXT NOT NULL, stage TEXT NOT NULL, execution_id TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (pipeline, stage)
);
CREATE TABLE IF NOT EXISTS file_hashes (
    dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (dev, ino)
);
CREATE TABLE IF NOT EXISTS packed_blobs (
    sha256 TEXT PRIMARY KEY, pack TEXT NOT NULL, frame INTEGER NOT NULL, frame_len INTEGER NOT NULL,
    offset INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS packed_blobs_by_pack ON packed_blobs (pack);
CREATE TABLE IF NOT EXISTS group_fronts (
    pipeline TEXT NOT NULL, grp TEXT NOT NULL, port INTEGER NOT NULL, live INTEGER NOT NULL,
    PRIMARY KEY (pipeline, grp)
);
CREATE TABLE IF NOT EXISTS pending_tasks (key TEXT PRIMARY KEY, token TEXT NOT NULL, context TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runners (execution_id TEXT PRIMARY KEY, runner TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS job_ends (correlation TEXT PRIMARY KEY, event TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS parameters (
    name TEXT PRIMARY KEY, value TEXT NOT NULL, secret INTEGER NOT NULL, updated_at TEXT NOT NULL
);
"#;

/// Brings the schema up to date, each migration in its own transaction with the version it
/// sets, so a crash between two leaves a database at one version or the next.
fn migrate(conn: &Connection) -> Result<(), Opening> {
    let known = MIGRATIONS.len();
    loop {
        let tx = conn.unchecked_transaction()?;
        // Read under the write lock (IMMEDIATE would be the same here: the next statement writes).
        let version: usize = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > known {
            return Err(Opening::Newer { found: version, known });
        }
        let Some(step) = MIGRATIONS.get(version) else {
            return Ok(());
        };
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
    }
}

/// Why one attempt to open the database failed.
enum Opening {
    Sql(rusqlite::Error),
    /// Written by a later Baton: its schema has migrations this one does not know.
    Newer {
        found: usize,
        known: usize,
    },
}

impl From<rusqlite::Error> for Opening {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e)
    }
}

fn state_dir_of(db_file: &Path) -> std::path::PathBuf {
    db_file.parent().unwrap_or(Path::new(".")).to_path_buf()
}

/// An empty or missing database beside artifacts, builds or deployment groups was lost (deleted,
/// truncated, a bad copy): taking it for a new one would number artifact versions from 1 again
/// and lose track of running instances. Refused, with the way back.
fn refuse_if_lost(db_file: &Path) -> Result<(), LocalError> {
    let empty = std::fs::metadata(db_file).map_or(true, |m| m.len() == 0);
    if !empty {
        return Ok(());
    }
    let dir = state_dir_of(db_file);
    let holds = |name: &&str| std::fs::read_dir(dir.join(name)).is_ok_and(|mut d| d.next().is_some());
    match STATE_DATA.iter().find(|name| holds(name)) {
        None => Ok(()),
        Some(found) => Err(LocalError::DamagedState {
            dir,
            why: format!(
                "its database {} is {} but it holds {found}/",
                db_file.display(),
                if db_file.exists() { "empty" } else { "missing" }
            ),
        }),
    }
}

/// What every process on a state directory must agree on, kept here rather than in one
/// process's memory: which instances a deployment took out of service (not probed), and the
/// last period each group's health was probed in (one probe, one datapoint, per period).
const SCHEMA_2: &str = r#"
ALTER TABLE instances ADD COLUMN out_of_service INTEGER NOT NULL DEFAULT 0;
CREATE TABLE health_probes (
    pipeline TEXT NOT NULL, grp TEXT NOT NULL, period INTEGER NOT NULL, PRIMARY KEY (pipeline, grp)
);
"#;

/// Each execution's state machine, kept once per definition by its digest: an old execution is
/// drawn with the machine it ran, not today's pipeline.
const SCHEMA_3: &str = r#"
CREATE TABLE IF NOT EXISTS definitions (digest TEXT PRIMARY KEY, definition TEXT NOT NULL);
ALTER TABLE executions ADD COLUMN definition TEXT;
"#;

/// What an execution's list says of its source, as CodePipeline's execution history does: the
/// commit's message (its first line) and the branch it came from.
const SCHEMA_4: &str = r#"
ALTER TABLE executions ADD COLUMN revision_summary TEXT;
ALTER TABLE executions ADD COLUMN branch TEXT;
"#;

/// Each interval a deployment's canary analysis judged (`baton_core::analysis::IntervalResult`
/// as JSON), for `baton status` and the console.
const SCHEMA_5: &str = r#"
CREATE TABLE canary_analysis (
    deployment_id TEXT NOT NULL, interval INTEGER NOT NULL, result TEXT NOT NULL, PRIMARY KEY (deployment_id, interval)
);
"#;

/// How many instances each fleet behind a front door has: a group with a fresh baseline for its
/// canary analysis has three fleets, so the count of its instances no longer tells.
const SCHEMA_6: &str = r#"
ALTER TABLE group_fronts ADD COLUMN fleet_size INTEGER;
"#;

/// A shared connection. Calls are short and local, so they run inline on the async threads.
#[derive(Debug)]
pub struct Db {
    conn: Mutex<Connection>,
}

impl Db {
    pub fn open(path: &Path) -> Result<Self, LocalError> {
        refuse_if_lost(path)?;
        // Processes that open a new database at the same moment (`baton run` started three
        // times at once) race to switch it to WAL and create the schema. SQLite answers one of
        // two lock upgrades that would deadlock with SQLITE_BUSY at once, without waiting on
        // the busy handler; opening again a moment later finds the work done.
        let mut attempt = 0;
        loop {
            let e = match Self::open_once(path) {
                Ok(conn) => return Ok(Self { conn: Mutex::new(conn) }),
                Err(Opening::Newer { found, known }) => {
                    return Err(LocalError::Conflict(format!(
                        "{} has schema version {found}, newer than this baton knows ({known}): use the baton that wrote it",
                        path.display()
                    )));
                }
                Err(Opening::Sql(e)) => e,
            };
            match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseBusy) if attempt < 50 => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10 * attempt.min(10)));
                }
                Some(rusqlite::ErrorCode::NotADatabase) => {
                    return Err(LocalError::DamagedState {
                        dir: state_dir_of(path),
                        why: format!("{} is not a SQLite database", path.display()),
                    });
                }
                _ => return Err(LocalError::db(path, e)),
            }
        }
    }

    fn open_once(path: &Path) -> Result<Connection, Opening> {
        let conn = Connection::open(path)?;
        // The timeout first: switching to WAL takes a lock too. WAL keeps readers (`baton
        // status` while a run is going) off the writer's back; NORMAL sync is durable across a
        // crash of this process, which is what runs need.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
        migrate(&conn)?;
        Ok(conn)
    }

    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` in an IMMEDIATE transaction: it holds the write lock from the start, so two
    /// processes allocating the next version number cannot both read the same maximum.
    pub fn immediate<T>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, LocalError>) -> Result<T, LocalError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(LocalError::sql)?;
        let out = f(&tx)?;
        tx.commit().map_err(LocalError::sql)?;
        Ok(out)
    }

    /// One JSON column of at most one row, decoded.
    pub fn json_row<T: serde::de::DeserializeOwned>(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<T>, LocalError> {
        let text: Option<String> = self
            .lock()
            .query_row(sql, params, |r| r.get(0))
            .optional()
            .map_err(LocalError::sql)?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| LocalError::Corrupt(format!("a JSON value in the database is corrupt: {e}"))))
            .transpose()
    }

    pub fn pending_put(&self, key: &str, token: &str, context: &str) -> Result<(), LocalError> {
        self.lock()
            .execute(
                "INSERT OR REPLACE INTO pending_tasks (key, token, context) VALUES (?1, ?2, ?3)",
                params![key, token, context],
            )
            .map_err(LocalError::sql)?;
        Ok(())
    }

    pub fn pending_take(&self, key: &str) -> Result<Option<(String, String)>, LocalError> {
        self.immediate(|tx| {
            let row = tx
                .query_row("SELECT token, context FROM pending_tasks WHERE key = ?1", [key], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
                .map_err(LocalError::sql)?;
            tx.execute("DELETE FROM pending_tasks WHERE key = ?1", [key])
                .map_err(LocalError::sql)?;
            Ok(row)
        })
    }

    /// Sets `context.job_id` on an entry that still exists; `false` when it is gone.
    pub fn pending_note_job(&self, key: &str, job_id: &str) -> Result<bool, LocalError> {
        let changed = self
            .lock()
            .execute(
                "UPDATE pending_tasks SET context = json_set(context, '$.job_id', ?2) WHERE key = ?1",
                params![key, job_id],
            )
            .map_err(LocalError::sql)?;
        Ok(changed > 0)
    }

    pub fn pending_list(&self, prefix: &str) -> Result<Vec<(String, String, String)>, LocalError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT key, token, context FROM pending_tasks WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key")
            .map_err(LocalError::sql)?;
        let rows = stmt
            .query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(Iterator::collect)
            .map_err(LocalError::sql)?;
        Ok(rows)
    }
}
