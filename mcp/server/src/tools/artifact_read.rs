//! `artifact_read`: an artifact's content by ref, checksum verified.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Call, Threading, ToolSpec, to_value};
use crate::engine::artifacts::ArtifactContent;
use crate::engine::error::Result;
use crate::session::Ctx;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// art:<name>@<v>
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default)]
    pub team_id: Option<String>,
}

pub const SPEC: ToolSpec = ToolSpec::new::<Args, ArtifactContent>(
    "artifact_read",
    "Read an artifact by ref (checksum verified).",
    Audience::All,
    Threading::Inline,
);

impl Call for Args {
    fn call(self, ctx: &Ctx<'_>) -> Result<Value> {
        let caller = ctx.caller(self.team_id.as_deref())?;
        to_value(ctx.engine().artifact_read(&caller, &self.reference)?)
    }
}
