//! `${env:NAME}` in header values: read once, the header made secret, the
//! value never shown.

use super::requests::substitute;
use super::SpikeFile;

const FILE: &str = r#"
name = "env"
[[phase]]
kind = "hold"
rps = 5
duration = "1s"
[[request]]
name = "api"
path = "/"
headers = { authorization = "Bearer ${env:TOKEN}", x-plain = "plain ${env:USER_ID} value" }
"#;

fn env(var: &str) -> Option<String> {
    match var {
        "TOKEN" => Some("s3cr3t-t0ken".to_owned()),
        "USER_ID" => Some("u-42".to_owned()),
        _ => None,
    }
}

#[test]
fn placeholders_are_replaced_from_the_environment() {
    assert_eq!(
        substitute("a ${env:TOKEN} b ${env:USER_ID}", &env),
        Ok(("a s3cr3t-t0ken b u-42".to_owned(), true))
    );
    assert_eq!(
        substitute("no placeholder {user}", &env),
        Ok(("no placeholder {user}".to_owned(), false))
    );
    assert_eq!(
        substitute("${env:MISSING}", &env),
        Err("environment variable MISSING is not set (or not Unicode)".to_owned())
    );
    assert!(substitute("${env:TOKEN", &env).is_err());
    assert!(substitute("${env:BAD NAME}", &env).is_err());
    assert!(substitute("${env:}", &env).is_err());
}

#[test]
fn a_header_read_from_the_environment_is_secret_and_never_shown() {
    let file = SpikeFile::parse_with_env(FILE, "env.toml", &env).unwrap();
    let request = &file.requests[0];
    let secret: Vec<(&str, bool)> = request
        .headers()
        .map(|(name, _, secret)| (name, secret))
        .collect();
    assert_eq!(secret, [("authorization", true), ("x-plain", true)]);
    let shown = format!("{file:?}");
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(!shown.contains("u-42"), "{shown}");
}
