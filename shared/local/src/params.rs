//! The local stand-in for Parameter Store and Secrets Manager: named values in the state
//! database (`baton params set`), resolved for a buildspec's `env.parameter-store` and
//! `env.secrets-manager`, and masked in build logs as CodeBuild masks them.
//!
//! Values are stored as given, in the state directory's SQLite file: protect it like any file
//! holding credentials. On AWS the same buildspec reads the real services.

use std::collections::BTreeMap;

use baton_core::spec::buildspec::Env;
use chrono::Utc;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::db::Db;
use crate::error::LocalError;

#[derive(Debug, Clone, Serialize)]
pub struct Parameter {
    pub name: String,
    pub secret: bool,
    pub updated_at: String,
}

pub fn set(db: &Db, name: &str, value: &str, secret: bool) -> Result<(), LocalError> {
    if name.is_empty() {
        return Err(LocalError::BadRequest("a parameter needs a name".into()));
    }
    db.lock()
        .execute(
            "INSERT OR REPLACE INTO parameters (name, value, secret, updated_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, value, secret, Utc::now().to_rfc3339()],
        )
        .map_err(LocalError::sql)?;
    Ok(())
}

/// Whether it existed.
pub fn remove(db: &Db, name: &str) -> Result<bool, LocalError> {
    let n = db
        .lock()
        .execute("DELETE FROM parameters WHERE name = ?1", [name])
        .map_err(LocalError::sql)?;
    Ok(n > 0)
}

/// Names and kinds, never values.
pub fn list(db: &Db) -> Result<Vec<Parameter>, LocalError> {
    let conn = db.lock();
    let mut stmt = conn
        .prepare("SELECT name, secret, updated_at FROM parameters ORDER BY name")
        .map_err(LocalError::sql)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(Parameter {
                name: r.get(0)?,
                secret: r.get(1)?,
                updated_at: r.get(2)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(LocalError::sql)?;
    Ok(rows)
}

fn value(db: &Db, name: &str) -> Result<Option<String>, LocalError> {
    db.lock()
        .query_row("SELECT value FROM parameters WHERE name = ?1", [name], |r| r.get(0))
        .optional()
        .map_err(LocalError::sql)
}

/// The environment a buildspec's `parameter-store` and `secrets-manager` entries give a build.
/// Every resolved value is a secret to mask in the log.
pub fn resolve(db: &Db, env: &Env) -> Result<BTreeMap<String, String>, LocalError> {
    let missing = |kind: &str, name: &str| {
        LocalError::NotFound(format!(
            "{kind}: no parameter `{name}` in the local store; set it with `baton params set {name} --secret` (the value is read from stdin)"
        ))
    };
    let mut out = BTreeMap::new();
    for (var, name) in &env.parameter_store {
        let v = value(db, name)?.ok_or_else(|| missing("parameter-store", name))?;
        out.insert(var.clone(), v);
    }
    for (var, reference) in &env.secrets_manager {
        // secret-id:json-key:version-stage:version-id; only the first two mean anything locally.
        let mut parts = reference.splitn(4, ':');
        let id = parts.next().unwrap_or_default();
        let key = parts.next().filter(|k| !k.is_empty());
        let secret = value(db, id)?.ok_or_else(|| missing("secrets-manager", id))?;
        let v = match key {
            None => secret,
            Some(key) => {
                let doc: serde_json::Value = serde_json::from_str(&secret)
                    .map_err(|_| LocalError::BadRequest(format!("secrets-manager: secret `{id}` is not JSON, so it has no key `{key}`")))?;
                match &doc[key] {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => {
                        return Err(LocalError::NotFound(format!("secrets-manager: secret `{id}` has no key `{key}`")));
                    }
                    other => other.to_string(),
                }
            }
        };
        out.insert(var.clone(), v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_parameters_and_secret_json_keys() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("baton.db")).unwrap();
        set(&db, "/app/db-host", "db.internal", false).unwrap();
        set(&db, "prod/db", r#"{"password": "hunter22", "port": 5432}"#, true).unwrap();
        let env: Env = serde_json::from_value(serde_json::json!({
            "parameter-store": { "DB_HOST": "/app/db-host" },
            "secrets-manager": { "DB_PASSWORD": "prod/db:password", "DB_PORT": "prod/db:port::", "WHOLE": "prod/db" }
        }))
        .unwrap();
        let vars = resolve(&db, &env).unwrap();
        assert_eq!(vars["DB_HOST"], "db.internal");
        assert_eq!(vars["DB_PASSWORD"], "hunter22");
        assert_eq!(vars["DB_PORT"], "5432");
        assert!(vars["WHOLE"].contains("hunter22"));

        let missing: Env = serde_json::from_value(serde_json::json!({ "secrets-manager": { "X": "prod/db:user" } })).unwrap();
        assert!(resolve(&db, &missing).unwrap_err().to_string().contains("has no key `user`"));
        assert!(remove(&db, "prod/db").unwrap());
        assert!(resolve(&db, &env).unwrap_err().to_string().contains("no parameter `prod/db`"));
        assert_eq!(list(&db).unwrap().len(), 1);
    }
}
