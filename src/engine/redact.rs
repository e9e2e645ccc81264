//! Secret redaction for everything that leaves the process as a log line or an event:
//! API keys, bearer tokens, private keys and codex-teams agent tokens are replaced by
//! `[REDACTED]`. Message bodies and artifacts are stored as written (teammates need them);
//! only their logged forms are redacted.

use std::sync::LazyLock;

use regex::{Regex, RegexSet};

pub const MASK: &str = "[REDACTED]";

const SOURCES: [&str; 10] = [
    // PEM private keys, whole block.
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    // codex-teams agent tokens.
    r"ctt_[0-9a-f]{16,}",
    // OpenAI-style and similar API keys.
    r"\bsk-[A-Za-z0-9_\-]{16,}",
    // GitHub tokens.
    r"\bgh[pousr]_[A-Za-z0-9]{20,}",
    r"\bgithub_pat_[A-Za-z0-9_]{20,}",
    // Slack tokens.
    r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",
    // AWS access key ids.
    r"\bAKIA[0-9A-Z]{16}\b",
    // Google API keys.
    r"\bAIza[0-9A-Za-z_\-]{35}\b",
    // Bearer / Basic authorization values.
    r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*",
    // key=value and "key": "value" forms of common secret names.
    r#"(?i)\b([A-Z0-9_]*(api[_-]?key|secret|password|passwd|token)[A-Z0-9_]*)(["']?\s*[:=]\s*["']?)[^\s"',;]{6,}"#,
];

static PATTERNS: LazyLock<Vec<Regex>> =
    LazyLock::new(|| SOURCES.iter().filter_map(|p| Regex::new(p).ok()).collect());

/// All patterns in one automaton: almost no log line holds a secret, and one pass that
/// finds nothing is far cheaper than ten replace passes that copy the text each time.
static ANY: LazyLock<Option<RegexSet>> = LazyLock::new(|| RegexSet::new(SOURCES).ok());

/// Returns `text` with every recognised secret replaced by [`MASK`].
pub fn redact(text: &str) -> String {
    if ANY.as_ref().is_some_and(|set| !set.is_match(text)) {
        return text.to_string();
    }
    let mut out = text.to_string();
    for (i, re) in PATTERNS.iter().enumerate() {
        out = match i {
            // Keep the scheme word so the log still says what kind of header it was.
            8 => re.replace_all(&out, format!("$1 {MASK}")).into_owned(),
            // Keep the key name so the log still says which setting it was.
            9 => re.replace_all(&out, format!("$1$3{MASK}")).into_owned(),
            _ => re.replace_all(&out, MASK).into_owned(),
        };
    }
    out
}

/// Redacts every string inside a JSON value.
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            let r = redact(s);
            if r != *s {
                *s = r;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_api_keys_bearer_tokens_private_keys_and_agent_tokens() {
        let agent_token = format!("ctt_{}", "ab12".repeat(16));
        let text = format!(
            "key sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX and Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y \
             token {agent_token} OPENAI_API_KEY=sk-live-0123456789abcdef \
             -----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY----- \
             ghp_abcdefghijklmnopqrstuvwxyz0123 AKIAABCDEFGHIJKLMNOP password: hunter2hunter2"
        );
        let out = redact(&text);
        for secret in [
            "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX",
            "eyJhbGciOiJIUzI1NiJ9",
            agent_token.as_str(),
            "sk-live-0123456789abcdef",
            "MIIEow",
            "ghp_abcdefghijklmnopqrstuvwxyz0123",
            "AKIAABCDEFGHIJKLMNOP",
            "hunter2hunter2",
        ] {
            assert!(!out.contains(secret), "{secret} survived in {out}");
        }
        assert!(out.contains("Bearer [REDACTED]"), "{out}");
        assert!(out.contains("OPENAI_API_KEY=[REDACTED]"), "{out}");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        let text = "implement parse_config in src/config.rs; tokens used: 1200";
        assert_eq!(redact(text), text);
    }

    #[test]
    fn json_strings_are_redacted_in_place() {
        let mut v = serde_json::json!({"a": ["Bearer abcdefghijkl"], "b": 3});
        redact_json(&mut v);
        assert_eq!(v["a"][0], "Bearer [REDACTED]");
        assert_eq!(v["b"], 3);
    }
}
