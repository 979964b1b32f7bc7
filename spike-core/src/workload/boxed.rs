//! Type-erased workloads: the entries of a mix and the steps of a sequence.

use std::future::Future;
use std::pin::Pin;

use crate::recording::ctx::Ctx;
use crate::recording::outcome::{IntoOutcome, Outcome};
use crate::workload::base::Workload;

/// A boxed iteration future that yields an [`Outcome`].
pub(crate) type BoxOutcome = Pin<Box<dyn Future<Output = Outcome> + Send + 'static>>;

/// A workload behind a pointer: any [`Workload`], its output converted.
pub(crate) trait DynWorkload: Send + Sync + 'static {
    fn call_boxed(&self, ctx: Ctx) -> BoxOutcome;
    fn check_dyn(&self) -> Result<(), String>;
}

impl<W: Workload> DynWorkload for W {
    fn call_boxed(&self, ctx: Ctx) -> BoxOutcome {
        let fut = self.call(ctx);
        Box::pin(async move { fut.await.into_outcome() })
    }

    fn check_dyn(&self) -> Result<(), String> {
        self.check()
    }
}

/// A future that is ready at once with `outcome`.
pub(crate) fn ready(outcome: Outcome) -> BoxOutcome {
    Box::pin(std::future::ready(outcome))
}
