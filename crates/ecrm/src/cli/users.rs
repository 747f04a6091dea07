//! `ecrm users create|list|password|delete`: console users.

use std::io::BufRead;

use clap::Subcommand;

use super::GlobalOptions;
use crate::app::console::users::{
    ConsoleRole, create_user, delete_user, random_password, set_password,
};
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
    /// Set a console user's password and sign them out everywhere (audited). Without
    /// `--password-stdin` a random password is made and printed once.
    Password {
        /// Login name.
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Delete a console user and end their sessions (audited).
    Delete {
        /// Login name.
        username: String,
    },
}

/// The password from stdin's first line, or a random one (to print).
fn password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    } else {
        Ok(random_password()?)
    }
}

pub fn run(global: &GlobalOptions, command: UsersCommand) -> anyhow::Result<()> {
    let store = global.open_store()?;
    let shown_once = |from_stdin: bool| {
        if from_stdin {
            ""
        } else {
            " — the password above is not shown again"
        }
    };
    match command {
        UsersCommand::Create {
            username,
            role,
            password_stdin,
        } => {
            let password = password(password_stdin)?;
            let id = create_user(&*store, &username, role, &password, "cli", now_millis())?;
            if !password_stdin {
                println!("{password}");
            }
            eprintln!(
                "created console user {username} ({}, id {id}){}",
                role.as_str(),
                shown_once(password_stdin)
            );
        }
        UsersCommand::List => {
            for user in store.list_console_users()? {
                println!("{}\t{}\t{}", user.id, user.username, user.role);
            }
        }
        UsersCommand::Password {
            username,
            password_stdin,
        } => {
            let password = password(password_stdin)?;
            set_password(&*store, &username, &password, "cli", now_millis())?;
            if !password_stdin {
                println!("{password}");
            }
            eprintln!(
                "set the password of console user {username} and ended their sessions{}",
                shown_once(password_stdin)
            );
        }
        UsersCommand::Delete { username } => {
            delete_user(&*store, &username, "cli", now_millis())?;
            eprintln!("deleted console user {username} and ended their sessions");
        }
    }
    Ok(())
}
