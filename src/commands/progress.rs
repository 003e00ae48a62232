//! Progress on standard error, only when it is a terminal: a spinner for a step that may take
//! seconds (RSA key generation), a bar for a count of files. Cleared when done, so logs and
//! pipes see nothing of it.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A step in progress; its spinner disappears when the value is dropped.
pub struct Step(Option<ProgressBar>);

/// Show `message` with a spinner until the returned value is dropped.
pub fn step(message: &str) -> Step {
    if !std::io::stderr().is_terminal() {
        return Step(None);
    }
    let spinner = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.set_message(message.to_owned());
    spinner.enable_steady_tick(Duration::from_millis(120));
    Step(Some(spinner))
}

impl Drop for Step {
    fn drop(&mut self) {
        if let Some(spinner) = self.0.take() {
            spinner.finish_and_clear();
        }
    }
}

/// A bar counting the certificates judged, for `audit`.
pub fn certificates_bar() -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} certificates") {
        bar.set_style(style);
    }
    Some(bar)
}
