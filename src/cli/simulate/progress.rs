//! Observers of a `simulate` run: the `--trace` CSV stream and the progress bar.

use super::*;

/// Streams `step,time,loss,param_norm_sq` rows.
pub(super) struct Trace {
    pub(super) out: BufWriter<std::fs::File>,
    pub(super) every: u64,
    pub(super) error: Option<std::io::Error>,
}

impl Observer for Trace {
    fn wants_every_step(&self) -> bool {
        true
    }
    fn on_step(&mut self, v: &View) {
        if self.error.is_none() && v.step % self.every == 0 {
            // `{:e}`: the shortest text that reads back to the same bits, in scientific notation
            // (`{}` writes fixed-point: 300 characters for a loss of 1e-300)
            if let Err(e) = writeln!(self.out, "{},{:e},{:e},{:e}", v.step, v.time, v.loss, v.params.norm_sq()) {
                self.error = Some(e);
            }
        }
    }
}

/// A progress bar on stderr, shown only on a terminal and only once a run has lasted 1 s.
pub(super) struct Progress {
    start: Instant,
    bar: Option<indicatif::ProgressBar>,
    total_steps: Option<u64>,
    horizon: Option<f64>,
    enabled: bool,
}

impl Progress {
    pub(super) fn new(total_steps: Option<u64>, horizon: Option<f64>) -> Self {
        Self { start: Instant::now(), bar: None, total_steps, horizon, enabled: std::io::stderr().is_terminal() }
    }
}

impl Observer for Progress {
    fn wants_every_step(&self) -> bool {
        self.enabled
    }
    fn on_step(&mut self, v: &View) {
        if v.step % 256 != 0 {
            return;
        }
        if self.bar.is_none() && self.start.elapsed().as_secs_f64() > 1.0 {
            let (len, style) = match (self.total_steps, self.horizon) {
                (Some(k), _) => (k, "{bar:40} {pos}/{len} steps  loss {msg}"),
                (None, Some(_)) => (1000, "{bar:40} t = {msg}"),
                _ => (0, "{spinner} {pos} steps  loss {msg}"),
            };
            let bar = indicatif::ProgressBar::new(len);
            if let Ok(s) = indicatif::ProgressStyle::with_template(style) {
                bar.set_style(s);
            }
            self.bar = Some(bar);
        }
        if let Some(bar) = &self.bar {
            match (self.total_steps, self.horizon) {
                (Some(k), _) => {
                    bar.set_position(v.step);
                    bar.set_message(format!(
                        "{:.3e}  {}",
                        v.loss,
                        remaining(self.start.elapsed().as_secs_f64(), v.step as f64 / k as f64)
                    ));
                }
                (None, Some(t)) => {
                    bar.set_position((1000.0 * v.time / t) as u64);
                    let eta = remaining(self.start.elapsed().as_secs_f64(), v.time / t);
                    bar.set_message(format!("{:.4}  loss {:.3e}  {eta}", v.time, v.loss));
                }
                _ => {
                    bar.set_position(v.step);
                    bar.set_message(format!("{:.3e}", v.loss));
                }
            }
        }
    }
}

/// The time left, `elapsed (1 - f) / f` at fraction `f` done, measured from the start of the run
/// (indicatif's own estimate starts when the bar appears, one second in, and read `eta 0s` at 18%).
/// An extrapolation: the flow's steps slow down near a saddle's exit and speed up after it.
pub fn remaining(elapsed: f64, fraction: f64) -> String {
    if !(fraction > 0.0 && fraction <= 1.0) {
        return "eta ?".into();
    }
    let left = elapsed * (1.0 - fraction) / fraction;
    match left {
        l if l < 120.0 => format!("eta {l:.0}s"),
        l if l < 7200.0 => format!("eta {:.0}min", l / 60.0),
        l => format!("eta {:.1}h", l / 3600.0),
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
