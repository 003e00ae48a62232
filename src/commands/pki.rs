//! `tilicheck pki demo DIR`: write the DEMO PKI.

use std::path::Path;

use time::OffsetDateTime;

use crate::cli::PkiCommand;
use crate::commands::CommandError;
use crate::pki::demo::{self, DemoOptions};

pub fn run(cmd: &PkiCommand) -> Result<u8, CommandError> {
    match cmd {
        PkiCommand::Demo {
            dir,
            fixtures,
            force,
        } => {
            refuse_to_clobber(dir, *force)?;
            let options = if *fixtures {
                DemoOptions::fixtures()
            } else {
                DemoOptions::starting(OffsetDateTime::now_utc())
            };
            let making = super::progress::step("generating the DEMO PKI's ten keys");
            let pki = demo::generate(&options).map_err(|e| CommandError::Input(e.to_string()))?;
            drop(making);
            pki.write_to(dir)
                .map_err(|e| CommandError::Input(e.to_string()))?;
            eprintln!(
                "wrote the DEMO PKI ({} files) to {}; see README.txt there. Never trust it in production.",
                pki.files.len(),
                dir.display()
            );
            Ok(0)
        }
    }
}

fn refuse_to_clobber(dir: &Path, force: bool) -> Result<(), CommandError> {
    if dir.is_file() {
        return Err(CommandError::Usage(format!(
            "{}: is a file, not a directory",
            dir.display()
        )));
    }
    let non_empty = std::fs::read_dir(dir)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if non_empty && !force {
        return Err(CommandError::Usage(format!(
            "{}: directory is not empty; use --force to overwrite the DEMO PKI files in it",
            dir.display()
        )));
    }
    Ok(())
}
