//! Run work items in parallel, hand their records to one writer: the loop that `verify`'s
//! campaign ([`super::run_cases`]) and `reluflow sweep` ([`crate::sweep::run_items`]) share.

use std::sync::atomic::{AtomicBool, Ordering};

/// Runs `work` on every item of `items` on rayon's pool and hands each result to `sink` on the
/// calling thread (a single writer), in the order the items finish. When `sink` fails, no
/// further item starts (the running ones finish and their results are dropped) and its error is
/// returned.
///
/// The pool's workers only compute and send: the calling thread, not a pool worker, blocks on
/// the receiver, so a caller running inside the pool cannot starve it.
///
/// ```
/// use reluflow::campaign::run_streaming;
/// let mut seen = Vec::new();
/// run_streaming(&[1u64, 2, 3], |x| x * x, |r| -> Result<(), ()> { seen.push(r); Ok(()) }).unwrap();
/// seen.sort();
/// assert_eq!(seen, [1, 4, 9]);
/// ```
pub fn run_streaming<I: Sync, R: Send, E>(
    items: &[I],
    work: impl Fn(&I) -> R + Sync,
    mut sink: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    use rayon::prelude::*;
    let stop = AtomicBool::new(false);
    let (sender, receiver) = std::sync::mpsc::channel::<R>();
    std::thread::scope(|scope| {
        let (stop, work) = (&stop, &work);
        scope.spawn(move || {
            items.par_iter().for_each_with(sender, |sender, item| {
                if !stop.load(Ordering::Relaxed) {
                    // the receiver is gone only once the sink failed: then the result is dropped
                    let _ = sender.send(work(item));
                }
            });
        });
        let mut result = Ok(());
        for record in receiver {
            if result.is_ok() {
                if let Err(e) = sink(record) {
                    stop.store(true, Ordering::Relaxed);
                    result = Err(e);
                }
            }
        }
        result
    })
}
