//! [`Sequence`]: several workloads in order within one iteration.

use std::sync::Arc;

use crate::recording::ctx::Ctx;
use crate::recording::outcome::{IterError, Outcome};
use crate::workload::base::Workload;
use crate::workload::boxed::{ready, BoxOutcome, DynWorkload};

/// Weighted-pick draws reserved per step, so a [`Mix`](crate::Mix) in each
/// step draws its own stream.
const DRAWS_PER_STEP: u32 = 2;

/// Steps run one after the other within one iteration (log in, then fetch).
///
/// The sequence stops at the first failing step: the iteration's outcome is
/// that step's error, and the later steps do not run. The tags of every
/// step that ran are kept. Steps wrapped in [`named`](crate::named) get
/// their own numbers: the first named step counts from the iteration's
/// intended start, every later one from its own start (the steps share the
/// first-request flag), so a fetch after a login reports the fetch's time
/// alone.
///
/// An empty sequence, or one with a step whose own [`Workload::check`]
/// fails, is refused before any traffic.
///
/// ```
/// use spike_core::{ms, named, rps, Ctx, IterError, Scenario, Sequence, Shape};
/// # tokio::runtime::Builder::new_multi_thread().enable_time().build().unwrap().block_on(async {
/// let login = named("login", |ctx: Ctx| async move {
///     if ctx.iteration() % 10 == 0 {
///         return Err(IterError::http(401));
///     }
///     Ok(())
/// });
/// let fetch = named("fetch", |_ctx: Ctx| async {});
/// let shape = Shape::builder().hold(rps(100), ms(200)).build().unwrap();
/// let report = Scenario::new("seq-doc")
///     .shape(shape)
///     .run(Sequence::new().then(login).then(fetch))
///     .await
///     .unwrap();
/// assert_eq!(report.total.request("login").unwrap().errors, 2);
/// assert_eq!(report.total.request("fetch").unwrap().count, 18);
/// assert_eq!(report.total.errors_of("http_4xx"), 2);
/// # });
/// ```
#[derive(Default)]
pub struct Sequence {
    steps: Vec<Arc<dyn DynWorkload>>,
}

impl std::fmt::Debug for Sequence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sequence")
            .field("steps", &self.steps.len())
            .finish()
    }
}

impl Sequence {
    /// An empty sequence: add steps with [`Sequence::then`].
    #[must_use]
    pub fn new() -> Self {
        Sequence::default()
    }

    /// Add a step, run after the ones before it succeeded.
    #[must_use]
    pub fn then<W: Workload>(mut self, step: W) -> Self {
        self.steps.push(Arc::new(step));
        self
    }

    /// Number of steps.
    #[must_use]
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when the sequence has no step.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

impl Workload for Sequence {
    type Future = BoxOutcome;
    type Output = Outcome;

    fn call(&self, ctx: Ctx) -> BoxOutcome {
        match self.steps.as_slice() {
            [] => ready(Outcome::err(
                IterError::new("bad_workload").with_message("the sequence has no steps"),
            )),
            [only] => only.call_boxed(ctx),
            _ => {
                let steps = self.steps.clone();
                let mut ctx = ctx;
                ctx.local = ctx.local.sharing();
                Box::pin(async move {
                    let base = ctx.local.draw;
                    let mut tags = Vec::new();
                    for (k, step) in steps.iter().enumerate() {
                        let mut step_ctx = ctx.clone();
                        let k = u32::try_from(k).unwrap_or(u32::MAX);
                        step_ctx.local.draw = base.wrapping_add(k.wrapping_mul(DRAWS_PER_STEP));
                        let (error, step_tags) = step.call_boxed(step_ctx).await.into_parts();
                        tags.extend(step_tags);
                        if let Some(e) = error {
                            return with_tags(Outcome::err(e), tags);
                        }
                    }
                    with_tags(Outcome::ok(), tags)
                })
            }
        }
    }

    fn check(&self) -> Result<(), String> {
        if self.steps.is_empty() {
            return Err("the sequence has no steps: add some with `Sequence::then`".to_owned());
        }
        for (i, s) in self.steps.iter().enumerate() {
            s.check_dyn()
                .map_err(|e| format!("sequence step {} (from 1): {e}", i + 1))?;
        }
        Ok(())
    }
}

fn with_tags(mut outcome: Outcome, tags: Vec<(std::borrow::Cow<'static, str>, String)>) -> Outcome {
    for (k, v) in tags {
        outcome.push_tag(k, v);
    }
    outcome
}
