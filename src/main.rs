use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = tilicheck::cli::Cli::parse();
    match tilicheck::commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("tilicheck: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
