//! Passwords and other secrets. They never come from a bare argv value, are never printed
//! (`Debug` is redacted) and are wiped from memory when dropped.

use std::fmt;
use std::io::IsTerminal;
use std::path::PathBuf;

use zeroize::Zeroizing;

/// A password for an encrypted key or a PKCS#12 file.
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(value: String) -> Self {
        Password(Zeroizing::new(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// Where a password comes from, when one is needed. Only asked for at that point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PasswordSource {
    /// No password was configured: encrypted input is an error that says how to give one.
    #[default]
    None,
    /// The named environment variable.
    Env(String),
    /// The first line of a file.
    File(PathBuf),
    /// Ask on the terminal (only when standard input is a TTY).
    Prompt,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error(
        "a password is needed; give it with --password-env VAR or --password-file FILE (or run on a terminal to be asked)"
    )]
    NotConfigured,
    #[error("environment variable {0} is not set or is not valid UTF-8")]
    EnvMissing(String),
    #[error("cannot read password file {path}: {reason}")]
    FileUnreadable { path: String, reason: String },
    #[error("cannot prompt for a password: standard input is not a terminal")]
    NoTerminal,
    #[error("reading the password from the terminal failed: {0}")]
    Prompt(String),
}

impl PasswordSource {
    /// Resolve the password; `for_what` names the file that needs it, for the prompt.
    pub fn resolve(&self, for_what: &str) -> Result<Password, SecretError> {
        match self {
            PasswordSource::None => {
                if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
                    PasswordSource::Prompt.resolve(for_what)
                } else {
                    Err(SecretError::NotConfigured)
                }
            }
            PasswordSource::Env(var) => std::env::var(var)
                .map(Password::new)
                .map_err(|_| SecretError::EnvMissing(var.clone())),
            PasswordSource::File(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| SecretError::FileUnreadable {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })?;
                // An empty file (or first line) is an empty password: PKCS#12 files exported
                // with `-passout pass:` need exactly that.
                let first = text.lines().next().unwrap_or("");
                let password = Password::new(first.to_owned());
                drop(Password::new(text));
                Ok(password)
            }
            PasswordSource::Prompt => {
                if !std::io::stdin().is_terminal() {
                    return Err(SecretError::NoTerminal);
                }
                rpassword::prompt_password(format!("Password for {for_what}: "))
                    .map(Password::new)
                    .map_err(|e| SecretError::Prompt(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let p = Password::new("hunter2".into());
        assert_eq!(format!("{p:?}"), "Password(<redacted>)");
    }

    #[test]
    fn file_source_reads_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        std::fs::write(&path, "s3cret\nignored\n").unwrap();
        let p = PasswordSource::File(path).resolve("x").unwrap();
        assert_eq!(p.expose(), "s3cret");
    }

    #[test]
    fn missing_env_names_the_variable() {
        let err = PasswordSource::Env("TILICHECK_TEST_UNSET_VAR".into())
            .resolve("x")
            .unwrap_err();
        assert!(err.to_string().contains("TILICHECK_TEST_UNSET_VAR"));
    }

    #[test]
    fn an_empty_file_is_an_empty_password() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        for content in ["", "\n"] {
            std::fs::write(&path, content).unwrap();
            let p = PasswordSource::File(path.clone()).resolve("x").unwrap();
            assert_eq!(p.expose(), "");
        }
    }
}
