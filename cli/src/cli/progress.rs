//! indicatif bars on stderr, drawn from the library's progress hook; hidden
//! when stderr is not a terminal or with --quiet.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

pub struct Bars {
    visible: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    pub fn new(quiet: bool) -> Self {
        Bars { visible: !quiet && std::io::stderr().is_terminal(), bar: Mutex::new(None) }
    }
}

impl pmivec::Progress for Bars {
    fn start(&self, stage: &str, total: u64) {
        if !self.visible {
            return;
        }
        let bar = if total > 0 {
            ProgressBar::new(total).with_style(
                ProgressStyle::with_template("{prefix:>12} [{bar:30}] {percent:>3}% {elapsed_precise} eta {eta}")
                    .unwrap()
                    .progress_chars("=> "),
            )
        } else {
            let b = ProgressBar::new_spinner()
                .with_style(ProgressStyle::with_template("{prefix:>12} {spinner} {elapsed_precise}").unwrap());
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        };
        bar.set_prefix(stage.to_owned());
        *self.bar.lock().unwrap() = Some(bar);
    }

    fn inc(&self, n: u64) {
        if let Some(b) = self.bar.lock().unwrap().as_ref() {
            b.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(b) = self.bar.lock().unwrap().take() {
            b.finish_and_clear();
        }
    }
}
