//! Parsing macOS's `sysctl(KERN_PROCARGS2)` answer: `argc` (a native-endian C int), the
//! executable path and its NUL, NUL padding, `argc` NUL-terminated arguments, then the
//! NUL-terminated environment entries up to an empty string (what follows is not ours).

/// What a `KERN_PROCARGS2` block holds, borrowed from it.
#[derive(Debug)]
pub(super) struct ProcArgs<'a> {
    pub(super) args: Vec<&'a [u8]>,
    pub(super) env: Vec<&'a [u8]>,
}

/// The arguments and environment entries of a `KERN_PROCARGS2` block, or `None` when it is
/// too short to hold `argc` and a path. An argument list that starts with empty arguments
/// cannot be told from the padding: they are skipped with it (callers leave empty
/// arguments out anyway), so such a process shows that many environment entries among
/// its arguments.
pub(super) fn split_procargs(raw: &[u8]) -> Option<ProcArgs<'_>> {
    const INT: usize = size_of::<libc::c_int>();
    let argc = libc::c_int::from_ne_bytes(raw.get(..INT)?.try_into().ok()?);
    let argc = usize::try_from(argc).ok()?;
    let rest = &raw[INT..];
    let exe_end = rest.iter().position(|b| *b == 0)?;
    let rest = &rest[exe_end..];
    let start = rest.iter().position(|b| *b != 0).unwrap_or(rest.len());
    let mut strings = rest[start..].split(|b| *b == 0);
    let args: Vec<&[u8]> = strings.by_ref().take(argc).collect();
    let env: Vec<&[u8]> = strings.take_while(|e| !e.is_empty()).collect();
    Some(ProcArgs { args, env })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(argc: i32, body: &[u8]) -> Vec<u8> {
        let mut raw = argc.to_ne_bytes().to_vec();
        raw.extend_from_slice(body);
        raw
    }

    #[test]
    fn arguments_and_environment_are_split_after_the_path_and_its_padding() {
        let raw = block(
            3,
            b"/usr/bin/codex\0\0\0\0codex\0exec\0--json\0HOME=/Users/a\0CODEX_HOME=/tmp/c\0\0ptr_munge=\0",
        );
        let ProcArgs { args, env } = split_procargs(&raw).expect("parsed");
        assert_eq!(args, vec![&b"codex"[..], b"exec", b"--json"]);
        assert_eq!(env, vec![&b"HOME=/Users/a"[..], b"CODEX_HOME=/tmp/c"]);
    }

    #[test]
    fn empty_arguments_inside_the_list_keep_their_place() {
        let raw = block(3, b"/bin/sh\0\0sh\0\0-c\0A=1\0\0");
        let ProcArgs { args, env } = split_procargs(&raw).expect("parsed");
        assert_eq!(args, vec![&b"sh"[..], b"", b"-c"]);
        assert_eq!(env, vec![&b"A=1"[..]]);
    }

    #[test]
    fn no_environment_and_truncated_blocks() {
        let raw = block(1, b"/bin/true\0true\0");
        let ProcArgs { args, env } = split_procargs(&raw).expect("parsed");
        assert_eq!(args, vec![&b"true"[..]]);
        assert!(env.is_empty());
        assert!(split_procargs(&[1, 0]).is_none(), "shorter than argc");
        assert!(split_procargs(&block(1, b"/no/terminator")).is_none());
        assert!(
            split_procargs(&block(-1, b"/bin/x\0x\0")).is_none(),
            "negative argc"
        );
    }
}
