//! `artifact_read`: an artifact's content by ref, checksum verified.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use super::{Audience, Threading, ToolSpec, input, output, parse, to_value};
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

pub const SPEC: ToolSpec = ToolSpec {
    name: "artifact_read",
    description: "Read an artifact by ref (checksum verified).",
    audience: Audience::All,
    threading: Threading::Inline,
    input: input::<Args>,
    output: output::<ArtifactContent>,
    call: |ctx, args| call(ctx, parse(args)?),
};

pub fn call(ctx: &Ctx<'_>, a: Args) -> Result<Value> {
    let caller = ctx.caller(a.team_id.as_deref())?;
    to_value(ctx.engine().artifact_read(&caller, &a.reference)?)
}
