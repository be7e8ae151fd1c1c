//! `baton params`: the local parameter store that buildspecs' `env.parameter-store` and
//! `env.secrets-manager` read.

use std::io::Read;
use std::path::Path;

use baton_local::db::Db;
use baton_local::params;

use crate::cli::ParamsCommand;
use crate::out::println;

pub(crate) fn run(command: ParamsCommand, pipeline: &Path, state_dir: Option<&Path>) -> anyhow::Result<u8> {
    let dir = crate::locate::state_dir(&crate::locate::pipeline_file(pipeline)?, state_dir);
    std::fs::create_dir_all(&dir)?;
    let db = Db::open(&dir.join("baton.db"))?;
    match command {
        ParamsCommand::Set { name, value, secret } => {
            let value = match value {
                Some(v) => v,
                None => {
                    let mut v = String::new();
                    std::io::stdin().read_to_string(&mut v)?;
                    v.strip_suffix('\n').map(str::to_string).unwrap_or(v)
                }
            };
            params::set(&db, &name, &value, secret)?;
            println!("set {name}{}", if secret { " (secret)" } else { "" });
        }
        ParamsCommand::List { json } => {
            let all = params::list(&db)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else if all.is_empty() {
                println!("no parameters in {}; add one with `baton params set NAME VALUE`", dir.display());
            } else {
                for p in all {
                    println!("{:<40} {:<7} {}", p.name, if p.secret { "secret" } else { "plain" }, p.updated_at);
                }
            }
        }
        ParamsCommand::Rm { name } => {
            if !params::remove(&db, &name)? {
                anyhow::bail!(crate::Usage(format!(
                    "no parameter `{name}` in {}; `baton params list` shows them",
                    dir.display()
                )));
            }
            println!("removed {name}");
        }
    }
    Ok(0)
}
