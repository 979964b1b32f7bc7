//! Deserializes a `headers` / `secret_headers` table without ever quoting a
//! value in an error: serde's own "invalid type: integer `123`" would carry
//! a token that was meant to be quoted into a failure message.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserializer, Error, MapAccess, Visitor};
use serde::Deserialize;

/// What an error says instead of the value.
const NOT_TEXT: &str =
    "a header value must be text in quotes (the value is not shown: headers may hold secrets)";

/// `deserialize_with` for a table of header names to string values.
pub(super) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    deserializer.deserialize_map(HeaderTable)
}

struct HeaderTable;

impl<'de> Visitor<'de> for HeaderTable {
    type Value = BTreeMap<String, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table of header names to values in quotes")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut headers = BTreeMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let HeaderText(value) = map.next_value()?;
            headers.insert(name, value);
        }
        Ok(headers)
    }
}

/// One header value: text, or an error that does not repeat what was there.
struct HeaderText(String);

impl<'de> Deserialize<'de> for HeaderText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(HeaderTextVisitor)
    }
}

struct HeaderTextVisitor;

impl<'de> Visitor<'de> for HeaderTextVisitor {
    type Value = HeaderText;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a header value in quotes")
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(HeaderText(v.to_owned()))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(HeaderText(v))
    }

    fn visit_bool<E: Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom(NOT_TEXT))
    }

    fn visit_i64<E: Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(NOT_TEXT))
    }

    fn visit_u64<E: Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(NOT_TEXT))
    }

    fn visit_f64<E: Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(NOT_TEXT))
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(A::Error::custom(NOT_TEXT))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(A::Error::custom(NOT_TEXT))
    }
}

#[cfg(test)]
mod tests {
    use super::super::ScenarioFile;
    use crate::error::SpikeError;

    /// A file whose request holds `value` under `table.Authorization`.
    fn file_with(table: &str, value: &str) -> String {
        format!(
            "name = \"h\"\n[[phase]]\nkind = \"hold\"\nrps = 1\nduration = \"1s\"\n\
             [[request]]\nname = \"r\"\npath = \"/\"\n{table} = {{ Authorization = {value} }}\n"
        )
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named_but_never_quoted() {
        let secrets = [
            "8675309123",
            "86753.09123",
            "true",
            "[\"tok-8675309\"]",
            "{ tok = \"tok-8675309\" }",
            "1979-05-27T07:32:00Z",
        ];
        for table in ["headers", "secret_headers"] {
            for value in secrets {
                let err = ScenarioFile::parse(&file_with(table, value), "h.toml").unwrap_err();
                let SpikeError::ScenarioFile { line, message, .. } = &err else {
                    panic!("{err}")
                };
                assert_eq!(*line, 9, "{table} = {value}: {err}");
                let shown = err.to_string();
                for part in ["8675309", "86753", "true", "1979"] {
                    assert!(!shown.contains(part), "{table} = {value} leaked: {shown}");
                }
                assert!(message.contains("header value"), "{shown}");
            }
        }
    }

    #[test]
    fn text_values_are_kept() {
        let file = ScenarioFile::parse(&file_with("secret_headers", "\"Bearer t\""), "h.toml")
            .expect("a string header parses");
        let request = &file.file.request[0];
        assert_eq!(request.secret_headers["Authorization"], "Bearer t");
    }
}
