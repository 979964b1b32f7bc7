//! `SPIKE_SCALE` and `SPIKE_TIME_SCALE`: one test, small on every pull
//! request and full at night.

use crate::error::{env_text, SpikeError};

const SCALE_EXPECTED: &str = "a finite number above zero, such as 0.5 or 10";

/// Parse the value of a scale variable (`SPIKE_SCALE`, `SPIKE_TIME_SCALE`):
/// `None` (unset) is 1; a set value must be a finite number above zero.
/// This is what [`Scenario::scale_from_env`](crate::Scenario::scale_from_env) applies to each variable.
///
/// ```
/// use spike_core::{parse_scale_value, SpikeError};
///
/// assert_eq!(parse_scale_value("SPIKE_SCALE", None), Ok(1.0));
/// assert_eq!(parse_scale_value("SPIKE_SCALE", Some(" 2.5 ")), Ok(2.5));
/// let err = parse_scale_value("SPIKE_SCALE", Some("0")).unwrap_err();
/// assert!(matches!(err, SpikeError::BadEnv { var: "SPIKE_SCALE", .. }));
/// assert_eq!(
///     format!("{err:?}"), // what `.unwrap()` prints
///     "environment variable SPIKE_SCALE=\"0\" is refused: it must be a finite number above zero, such as 0.5 or 10"
/// );
/// ```
///
/// # Errors
/// [`SpikeError::BadEnv`] naming the variable, the value and what it accepts.
pub fn parse_scale_value(var: &'static str, text: Option<&str>) -> Result<f64, SpikeError> {
    let Some(text) = text else {
        return Ok(1.0);
    };
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(SpikeError::BadEnv {
            var,
            value: text.to_owned(),
            expected: SCALE_EXPECTED,
        }),
    }
}

pub(crate) fn parse_scale(var: &'static str) -> Result<f64, SpikeError> {
    parse_scale_value(var, env_text(var, SCALE_EXPECTED)?.as_deref())
}
