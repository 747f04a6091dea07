//! `ecrm users create|list`: console users.

use std::io::BufRead;

use clap::Subcommand;

use super::GlobalOptions;
use crate::app::console::users::{ConsoleRole, create_user, random_password};
use crate::app::now_millis;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a console user. Without `--password-stdin` a random password is made and printed once.
    Create {
        /// Login name (letters, digits, '.', '_', '-', '@').
        username: String,
        #[arg(long, value_enum)]
        role: ConsoleRole,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List console users and their roles.
    List,
}

pub fn run(global: &GlobalOptions, command: UsersCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    match command {
        UsersCommand::Create {
            username,
            role,
            password_stdin,
        } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                random_password()?
            };
            let id = create_user(&*store, &username, role, &password, "cli", now_millis())?;
            if !password_stdin {
                println!("{password}");
            }
            eprintln!(
                "created console user {username} ({}, id {id}){}",
                role.as_str(),
                if password_stdin {
                    ""
                } else {
                    " — the password above is not shown again"
                }
            );
        }
        UsersCommand::List => {
            for user in store.list_console_users()? {
                println!("{}\t{}\t{}", user.id, user.username, user.role);
            }
        }
    }
    Ok(())
}
