//! Secret redaction for everything that leaves the process as a log line, an event or a
//! status line: secrets are replaced by `[REDACTED]`. Message bodies and artifacts are
//! stored as written (teammates need them); only their logged and displayed forms are
//! redacted.
//!
//! The rules come from three places, so that no hand-kept list decides alone:
//! - a maintained rule set (provider key formats: AWS, GitHub, Stripe, npm, Slack, JWTs,
//!   private keys, database URLs, ...), minus its rules for encoded blobs, which would take
//!   artifact checksums and ids for secrets. The program supplies it through
//!   [`supply_maintained_rules`] before anything is redacted: the codex-teams binary gives
//!   the `secretscan` crate's rules (`codex_teams::secret_rules`). The engine does not
//!   depend on that crate itself, because its library brings a CLI's dependencies (clap
//!   among them) and the engine stays below the CLI;
//! - our own: codex-teams agent and lead tokens, `Authorization` values, secrets in URLs
//!   (`scheme://user:pass@`), `key=value` and `"key": "value"` forms of secret-looking
//!   names (quoted values may hold spaces), and prose ("the password is ...");
//! - entropy: a 32-64 character token of mixed case and digits with Shannon entropy over
//!   4.2 bits per character (an AWS secret key without its name, a random API key) — hex
//!   digests (sha256, our ids) stay below it by construction (16 symbols = 4 bits).

use std::sync::{LazyLock, OnceLock};

use regex::Regex;

pub const MASK: &str = "[REDACTED]";

/// Our own rules: (regex, replacement). `$name` groups keep what says what the secret was.
const OWN: &[(&str, &str)] = &[
    // PEM private keys, whole block.
    (
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
        MASK,
    ),
    // codex-teams agent and lead tokens.
    (r"\bct[tl]_[0-9a-f]{16,}", MASK),
    // OpenAI-style keys and Stripe-style live/test keys.
    (r"\bsk[-_][A-Za-z0-9_\-]{12,}", MASK),
    (r"\b[rp]k_(?:live|test)_[A-Za-z0-9]{8,}", MASK),
    // npm and GitHub tokens (also in the maintained set; kept so a rule change there cannot
    // drop them).
    (r"\bnpm_[A-Za-z0-9]{20,}", MASK),
    (r"\bgh[pousr]_[A-Za-z0-9]{20,}", MASK),
    (r"\bgithub_pat_[A-Za-z0-9_]{20,}", MASK),
    // Slack tokens, every dash-separated part (the maintained rule stops at the first dash
    // and left the secret part of `xoxb-<team>-<user>-<secret>` readable).
    (r"\bxox[abposr]-[0-9A-Za-z]+(?:-[0-9A-Za-z]+)*", MASK),
    // Bearer / Basic authorization values: keep the scheme word.
    (
        r"(?i)\b(?P<scheme>bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*",
        "$scheme [REDACTED]",
    ),
    // Credentials in a URL: keep the scheme and user.
    (
        r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@]+:)[^\s@/]+@",
        "$pre[REDACTED]@",
    ),
    // key = "quoted value, spaces allowed" for secret-looking names.
    (
        r#"(?i)(?P<key>\b[A-Z0-9_.\-]*(?:api[_-]?key|secret|passw(?:or)?d|pass|pwd|token|credential|private[_-]?key)[A-Z0-9_.\-]*["']?\s*[:=]\s*)(?P<q>["'])[^"'\n]{1,200}["']"#,
        "$key$q[REDACTED]$q",
    ),
    // Prose: "the password is hunter2", "my token is: abc".
    (
        r"(?i)(?P<lead>\b(?:password|passphrase|passcode|secret|token|api key|pin)\s+(?:is|was|=|:)\s*:?\s*)[^\s,;.]+",
        "$lead[REDACTED]",
    ),
];

/// key=value (unquoted) for secret-looking names; a value of any length counts, except a
/// plain number under a name that is not a password (`max_tokens=4096`, `tokens=1200`).
const KEY_VALUE: &str = r#"(?i)(?P<key>\b[A-Z0-9_.\-]*(?P<name>api[_-]?key|secret|passw(?:or)?d|pass|pwd|token|credential|private[_-]?key)[A-Z0-9_.\-]*\s*[:=]\s*)(?P<val>[^\s"',;\[\]{}]+)"#;
static KEY_VALUE_RE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(KEY_VALUE).ok());

/// Rule names from the maintained set that are not taken: they flag encoded blobs and
/// identifiers (artifact checksums, our ids, client ids), not secrets.
const SKIPPED: &[&str] = &[
    "Encoded",
    "Decoded",
    "Suspicious",
    "Variable Pattern",
    "Character Array",
    "Split Secret",
    "URL Encoded",
    "Client ID",
    "Tenant ID",
];

struct Rules {
    own: Vec<(Regex, &'static str)>,
    maintained: Vec<&'static Regex>,
    /// One automaton over every rule, ASCII-only and over bytes: the prefilter that lets
    /// almost every string through untouched at a fraction of the memory of a Unicode set.
    any: Option<regex::bytes::RegexSet>,
}

/// One rule of the maintained set: its name (the set's own) and its compiled pattern.
pub type MaintainedRule = (&'static str, &'static Regex);

/// The maintained rules the program supplied, before the rule set was built.
static SUPPLIED: OnceLock<Vec<MaintainedRule>> = OnceLock::new();

/// The rule set, built at the first redaction from our own rules and the supplied ones.
static RULES: OnceLock<Rules> = OnceLock::new();

/// Why [`supply_maintained_rules`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SupplyError {
    #[error("the maintained secret rules were already supplied")]
    AlreadySupplied,
    #[error("redaction started before the maintained secret rules were supplied")]
    TooLate,
}

/// Gives redaction the maintained rule set (every rule; the ones for encoded blobs and
/// identifiers are left out here). Call it once, before the first redaction: a rule set
/// already built without them is refused rather than silently kept.
pub fn supply_maintained_rules(
    rules: impl IntoIterator<Item = MaintainedRule>,
) -> Result<(), SupplyError> {
    if RULES.get().is_some() {
        return Err(SupplyError::TooLate);
    }
    SUPPLIED
        .set(rules.into_iter().collect())
        .map_err(|_| SupplyError::AlreadySupplied)?;
    if RULES.get().is_some_and(|r| r.maintained.is_empty()) {
        // A redaction raced this call and built the set without them.
        return Err(SupplyError::TooLate);
    }
    Ok(())
}

/// The engine's own tests run with the maintained set (a dev-dependency), whichever test
/// redacts first.
#[cfg(test)]
fn test_rules() -> Option<&'static Vec<MaintainedRule>> {
    static TEST: LazyLock<Vec<MaintainedRule>> = LazyLock::new(|| {
        secretscan::patterns::rules()
            .iter()
            .map(|rule| (rule.name, &rule.regex))
            .collect()
    });
    Some(&TEST)
}

#[cfg(not(test))]
fn test_rules() -> Option<&'static Vec<MaintainedRule>> {
    None
}

fn rules() -> &'static Rules {
    RULES.get_or_init(|| {
        let own: Vec<(Regex, &'static str)> = OWN
            .iter()
            .filter_map(|(p, r)| Regex::new(p).ok().map(|re| (re, *r)))
            .collect();
        let maintained: Vec<&'static Regex> = SUPPLIED
            .get()
            .or_else(|| test_rules())
            .map(|rules| {
                rules
                    .iter()
                    .filter(|(name, _)| !SKIPPED.iter().any(|s| name.contains(s)))
                    .map(|(_, re)| *re)
                    .collect()
            })
            .unwrap_or_default();
        let any = regex::bytes::RegexSetBuilder::new(
            own.iter()
                .map(|(re, _)| re.as_str().to_string())
                .chain(maintained.iter().map(|re| re.as_str().to_string()))
                .chain([KEY_VALUE.to_string(), ENTROPY_CANDIDATE.to_string()]),
        )
        .unicode(false)
        .build()
        .ok();
        Rules {
            own,
            maintained,
            any,
        }
    })
}

/// Tokens the entropy rule looks at.
const ENTROPY_CANDIDATE: &str = r"[A-Za-z0-9/+=_\-]{32,64}";
static CANDIDATE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(&format!(r"\b{ENTROPY_CANDIDATE}\b")).ok());

/// How many rules of the maintained set are in use (0 when none were supplied).
pub fn maintained_rule_count() -> usize {
    rules().maintained.len()
}

/// Text that cannot hold a secret any rule would find: shorter than the shortest rule can
/// match in isolation, a plain number, or one of our own ids (`agent_<32 hex>`). Most strings
/// an event carries are these, and skipping them keeps redaction off the send path (and the
/// rule set unbuilt until something needs it).
fn plainly_safe(text: &str) -> bool {
    if text.len() < 8 || text.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    const ID_PREFIXES: [&str; 6] = ["team_", "agent_", "task_", "msg_", "artv_", "dec_"];
    ID_PREFIXES.iter().any(|p| {
        text.strip_prefix(p).is_some_and(|hex| {
            hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
    })
}

/// Returns `text` with every recognised secret replaced by [`MASK`].
pub fn redact(text: &str) -> String {
    if plainly_safe(text) {
        return text.to_string();
    }
    let rules = rules();
    if rules
        .any
        .as_ref()
        .is_some_and(|set| !set.is_match(text.as_bytes()))
    {
        return text.to_string();
    }
    let mut out = text.to_string();
    for (re, with) in &rules.own {
        if re.is_match(&out) {
            out = re.replace_all(&out, *with).into_owned();
        }
    }
    if let Some(re) = KEY_VALUE_RE.as_ref()
        && re.is_match(&out)
    {
        out = re
            .replace_all(&out, |c: &regex::Captures<'_>| {
                let name = c["name"].to_ascii_lowercase();
                let number = c["val"].bytes().all(|b| b.is_ascii_digit() || b == b'.');
                if number && !(name.starts_with("pass") || name == "pwd" || name == "secret") {
                    c[0].to_string()
                } else {
                    format!("{}{MASK}", &c["key"])
                }
            })
            .into_owned();
    }
    for re in &rules.maintained {
        if re.is_match(&out) {
            out = mask_secret_part(re, &out);
        }
    }
    if let Some(candidate) = CANDIDATE.as_ref() {
        out = candidate
            .replace_all(&out, |c: &regex::Captures<'_>| {
                let token = &c[0];
                if looks_random(token) {
                    MASK.to_string()
                } else {
                    token.to_string()
                }
            })
            .into_owned();
    }
    out
}

/// Masks what `re` matches in `text`: only its last capture group when it has groups
/// (the maintained rules capture the value after its key name, which stays readable), and
/// never a part that is already masked.
fn mask_secret_part(re: &Regex, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for caps in re.captures_iter(text) {
        let Some(whole) = caps.get(0) else { continue };
        let part = (1..caps.len())
            .rev()
            .find_map(|i| caps.get(i))
            .filter(|g| !g.as_str().is_empty())
            .unwrap_or(whole);
        if part.as_str().contains(MASK) || part.start() < last {
            continue;
        }
        out.push_str(&text[last..part.start()]);
        out.push_str(MASK);
        last = part.end();
    }
    out.push_str(&text[last..]);
    out
}

/// Mixed case, digits and high entropy: a random key rather than a word, a path or a
/// hex digest.
fn looks_random(token: &str) -> bool {
    let upper = token.bytes().any(|b| b.is_ascii_uppercase());
    let lower = token.bytes().any(|b| b.is_ascii_lowercase());
    let digit = token.bytes().any(|b| b.is_ascii_digit());
    upper && lower && digit && shannon_entropy(token) > 4.2
}

/// Shannon entropy of `s` in bits per character (summed in a fixed order, so the same text
/// always gives the same figure).
fn shannon_entropy(s: &str) -> f64 {
    let mut counts = std::collections::BTreeMap::<char, usize>::new();
    let mut total = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let n = total as f64;
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum()
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
#[path = "redact_tests.rs"]
mod tests;
