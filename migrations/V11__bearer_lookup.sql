-- `serve-mcp --http` (docs/remote.md) finds the agent a bearer token belongs to by the
-- sha256 of the token, once per new token it sees: an index keeps that a lookup, not a
-- scan of every agent of every team the home ever had.
CREATE INDEX agents_token_hash ON agents(token_hash);
