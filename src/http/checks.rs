//! The checks of an answer's body: `expect_body_contains` (class
//! `check_body`), `expect_json` / `expect_json_eq` (class `check_json`).

use spike_core::IterError;

use super::request::Check;

pub(super) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

pub(super) fn run_checks(checks: &[Check], body: &[u8]) -> Result<(), IterError> {
    let mut json: Option<serde_json::Value> = None;
    for check in checks {
        match check {
            Check::BodyContains(text) => {
                if !String::from_utf8_lossy(body).contains(text.as_str()) {
                    return Err(IterError::new("check_body").with_message(format!(
                        "body does not contain `{text}`: {}",
                        snippet(body)
                    )));
                }
            }
            Check::JsonPresent(pointer) | Check::JsonEq(pointer, _) => {
                if json.is_none() {
                    json = Some(serde_json::from_slice(body).map_err(|e| {
                        IterError::new("check_json")
                            .with_message(format!("body is not JSON ({e}): {}", snippet(body)))
                    })?);
                }
                let doc = json.as_ref().expect("parsed just above");
                let found = doc.pointer(pointer);
                match (check, found) {
                    (_, None) => {
                        return Err(IterError::new("check_json").with_message(format!(
                            "no JSON value at `{pointer}`: {}",
                            snippet(body)
                        )))
                    }
                    (Check::JsonEq(_, want), Some(got)) if got != want => {
                        return Err(IterError::new("check_json")
                            .with_message(format!("JSON `{pointer}` is {got}, expected {want}")))
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_turn_into_named_classes() {
        let body = br#"{"token":"t-1","user":{"id":7}}"#;
        assert!(run_checks(&[Check::JsonPresent("/token".into())], body).is_ok());
        assert!(run_checks(&[Check::JsonEq("/user/id".into(), 7.into())], body).is_ok());
        let e = run_checks(&[Check::JsonEq("/user/id".into(), 8.into())], body).unwrap_err();
        assert_eq!(e.class().key(), "check_json");
        assert_eq!(e.message(), Some("JSON `/user/id` is 7, expected 8"));
        let e = run_checks(&[Check::JsonPresent("/nope".into())], body).unwrap_err();
        assert_eq!(e.class().key(), "check_json");
        let e = run_checks(&[Check::JsonPresent("/a".into())], b"not json").unwrap_err();
        assert_eq!(e.class().key(), "check_json");
        let e = run_checks(&[Check::BodyContains("bye".into())], b"hello").unwrap_err();
        assert_eq!(e.class().key(), "check_body");
        assert!(run_checks(&[Check::BodyContains("ell".into())], b"hello").is_ok());
    }

    #[test]
    fn snippets_are_short() {
        let long = "x".repeat(500);
        assert_eq!(snippet(long.as_bytes()).chars().count(), 121);
        assert_eq!(snippet(b"  short \n"), "short");
    }
}
