//! `tilicheck completions SHELL` and `tilicheck man [DIR]`: generated from the same command-line
//! definition that parses the arguments, so they can never describe options that do not exist.

use std::path::Path;

use clap::CommandFactory;

use super::{CommandError, write_output};
use crate::cli::{Cli, CompletionsArgs, ManArgs, RunOptions};

pub fn completions(args: &CompletionsArgs, g: &RunOptions) -> Result<u8, CommandError> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "tilicheck", &mut script);
    let script = String::from_utf8(script).map_err(|e| {
        CommandError::Input(format!(
            "the {} completion script is not UTF-8: {e}",
            args.shell
        ))
    })?;
    write_output(g.output.as_deref(), &script)?;
    Ok(0)
}

pub fn man(args: &ManArgs) -> Result<u8, CommandError> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    // Building fills in the display names ("tilicheck-message-sign") the page names come from.
    cmd.build();
    let pages = pages(&cmd)?;
    let Some(dir) = &args.dir else {
        let (_, main_page) = pages
            .iter()
            .find(|(name, _)| name == "tilicheck.1")
            .ok_or_else(|| CommandError::Input("no main manual page was generated".into()))?;
        write_output(None, main_page)?;
        return Ok(0);
    };
    write_pages(dir, &pages)?;
    eprintln!("wrote {} manual pages to {}", pages.len(), dir.display());
    Ok(0)
}

/// Every page, the command's own first, then its subcommands' depth first.
fn pages(cmd: &clap::Command) -> Result<Vec<(String, String)>, CommandError> {
    let mut out = Vec::new();
    let mut pending = vec![cmd.clone()];
    while let Some(cmd) = pending.pop() {
        pending.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        let man = clap_mangen::Man::new(cmd);
        let mut page = Vec::new();
        man.render(&mut page)
            .map_err(|e| CommandError::Input(format!("cannot render a manual page: {e}")))?;
        let page = String::from_utf8(page)
            .map_err(|e| CommandError::Input(format!("a manual page is not UTF-8: {e}")))?;
        out.push((man.get_filename(), page));
    }
    Ok(out)
}

fn write_pages(dir: &Path, pages: &[(String, String)]) -> Result<(), CommandError> {
    std::fs::create_dir_all(dir).map_err(|e| {
        CommandError::Input(format!(
            "{}: cannot create the directory: {e}",
            dir.display()
        ))
    })?;
    for (name, page) in pages {
        let path = dir.join(name);
        crate::atomic_file::replace(&path, page.as_bytes()).map_err(|e| {
            CommandError::Input(format!(
                "{}: cannot write the manual page: {e}",
                path.display()
            ))
        })?;
    }
    Ok(())
}
