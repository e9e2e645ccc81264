//! The agent-teams skill, embedded at build time from `skills/agent-teams/` so the binary
//! installs exactly the version it was built with.

/// Where the skill goes, relative to `$CODEX_HOME` (Codex lists every
/// `$CODEX_HOME/skills/<name>/SKILL.md` in each request's skills list).
pub const DIR: &str = "skills/agent-teams";

/// One file of the skill, relative to [`DIR`].
#[derive(Debug, Clone, Copy)]
pub struct SkillFile {
    pub rel: &'static str,
    pub contents: &'static str,
}

pub const FILES: &[SkillFile] = &[
    SkillFile {
        rel: "SKILL.md",
        contents: include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/skills/agent-teams/SKILL.md"
        )),
    },
    SkillFile {
        rel: "references/roles.md",
        contents: include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/skills/agent-teams/references/roles.md"
        )),
    },
    SkillFile {
        rel: "references/policies.md",
        contents: include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/skills/agent-teams/references/policies.md"
        )),
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_front_matter_names_the_skill_and_both_phrases() {
        let skill = FILES[0].contents;
        assert!(skill.starts_with("---\nname: agent-teams\n"));
        let front = skill.split("\n---\n").next().unwrap_or_default();
        assert!(front.contains("use agents team"));
        assert!(front.contains("use agent teams"));
    }
}
