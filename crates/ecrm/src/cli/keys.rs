//! `ecrm keys create|list`

use clap::Subcommand;

use super::GlobalOptions;
use crate::app::keys::{KeyRole, create_key};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; its secret is printed once.
    Create {
        #[arg(long, value_enum)]
        role: KeyRole,
        /// The source a write key sends from (e.g. `web-shop`).
        #[arg(long)]
        source: Option<String>,
        /// A label for the key.
        #[arg(long, default_value = "cli")]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List keys (never their secrets).
    List,
}

pub fn run(global: &GlobalOptions, command: KeysCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    match command {
        KeysCommand::Create {
            role,
            source,
            name,
            json,
        } => {
            let created = create_key(&*store, role, source.as_deref(), &name, "cli")?;
            if json {
                println!("{}", serde_json::to_string_pretty(&created)?);
            } else {
                println!("{}", created.key);
                eprintln!(
                    "created {} key {} — store it now, it is not shown again",
                    role.as_str(),
                    created.id
                );
            }
        }
        KeysCommand::List => {
            for key in store.list_api_keys()? {
                let revoked = if key.revoked_at.is_some() {
                    " (revoked)"
                } else {
                    ""
                };
                println!(
                    "{}\t{}\t{}\t{}…\t{}{revoked}",
                    key.id,
                    key.role,
                    key.source.unwrap_or_default(),
                    key.prefix,
                    key.name
                );
            }
        }
    }
    Ok(())
}
