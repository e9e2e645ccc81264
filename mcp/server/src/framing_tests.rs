use serde_json::{Value, json};

use super::*;

fn verdict(line: &[u8]) -> Verdict {
    check(&Line::Whole(line.to_vec()))
}

fn reply(line: &[u8]) -> Value {
    match verdict(line) {
        Verdict::Reply(v) => v,
        other => panic!("no reply to {:?}: {other:?}", String::from_utf8_lossy(line)),
    }
}

fn code_and_id(v: &Value) -> (i64, Value) {
    (
        v["error"]["code"].as_i64().unwrap_or_default(),
        v.get("id")
            .cloned()
            .unwrap_or_else(|| panic!("reply without an id member: {v}")),
    )
}

#[test]
fn unparsable_lines_get_a_parse_error_with_a_null_id() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let lines: Vec<Vec<u8>> = vec![
        br#"{"jsonrpc":"2.0","id":920,"method":"ping""#.to_vec(),
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"\xff\xfe\"}}"
            .to_vec(),
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{\"x\":\"a\x00b\"}}"
            .to_vec(),
        br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\ud800"}}"#.to_vec(),
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"x":{deep}}}}}"#)
            .into_bytes(),
    ];
    for line in lines {
        let r = reply(&line);
        assert_eq!(code_and_id(&r), (-32700, Value::Null), "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Parse error")),
            "{r}"
        );
    }
}

#[test]
fn invalid_requests_carry_their_id_or_null() {
    let cases: Vec<(&[u8], Value)> = vec![
        (br#"{"jsonrpc":"2.0","id":3}"#, json!(3)),
        (br#"{"id":4,"method":"ping"}"#, json!(4)),
        (br#"{"jsonrpc":"1.0","id":"a","method":"ping"}"#, json!("a")),
        (br#"[1,2]"#, Value::Null),
        (br#"7"#, Value::Null),
        (
            br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
            Value::Null,
        ),
        (
            br#"{"jsonrpc":"2.0","id":10.5,"method":"ping"}"#,
            Value::Null,
        ),
        (
            br#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#,
            Value::Null,
        ),
        (br#"{"jsonrpc":"2.0","id":5,"method":7}"#, json!(5)),
    ];
    for (line, id) in cases {
        let r = reply(line);
        assert_eq!(code_and_id(&r), (-32600, id), "{r}");
    }
}

#[test]
fn params_that_do_not_fit_the_method_are_invalid_params_with_the_id() {
    let cases: Vec<&[u8]> = vec![
        br#"{"jsonrpc":"2.0","id":5,"method":"tools/call"}"#,
        br#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{}}"#,
        br#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"team_status","arguments":[1]}}"#,
        br#"{"jsonrpc":"2.0","id":5,"method":"ping","params":[]}"#,
        br#"{"jsonrpc":"2.0","id":5,"method":"tools/list","params":5}"#,
        br#"{"jsonrpc":"2.0","id":5,"method":"initialize","params":{"protocolVersion":3}}"#,
    ];
    for line in cases {
        let r = reply(line);
        assert_eq!(code_and_id(&r), (-32602, json!(5)), "{r}");
    }
}

#[test]
fn good_messages_blank_lines_and_notifications_pass_or_are_skipped() {
    for line in [
        br#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.as_slice(),
        br#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"name":"team_status"}}"#,
        br#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"t","arguments":{"a":1}}}"#,
        br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        br#"{"jsonrpc":"2.0","id":3,"method":"no/such"}"#,
        br#"{"jsonrpc":"2.0","id":4,"result":{}}"#,
        b"\xEF\xBB\xBF{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
    ] {
        assert_eq!(verdict(line), Verdict::Forward, "{}", String::from_utf8_lossy(line));
    }
    assert_eq!(verdict(b"   "), Verdict::Skip);
    assert_eq!(verdict(b""), Verdict::Skip);
    // A notification never gets a reply, even when its params are wrong.
    assert_eq!(
        verdict(br#"{"jsonrpc":"2.0","method":"tools/call","params":[]}"#),
        Verdict::Skip
    );
}

#[test]
fn an_oversize_line_is_answered_with_the_id_from_its_start() {
    let r = match check(&Line::Oversize {
        start: br#"{"jsonrpc":"2.0","id":77,"method":"tools/call","params":{"name":"team_send","arguments":{"body":"xxxx"#.to_vec(),
        len: MAX_LINE + 1,
    }) {
        Verdict::Reply(v) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(code_and_id(&r), (-32600, json!(77)), "{r}");
    assert!(
        r["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("artifact")),
        "{r}"
    );
    // An id inside params is not the request's.
    let r = match check(&Line::Oversize {
        start: br#"{"jsonrpc":"2.0","method":"tools/call","params":{"id":5,"x":"yyyy"#.to_vec(),
        len: MAX_LINE + 1,
    }) {
        Verdict::Reply(v) => v,
        other => panic!("{other:?}"),
    };
    assert_eq!(code_and_id(&r).1, Value::Null, "{r}");
}

#[tokio::test]
async fn read_line_bounds_memory_and_keeps_the_next_line() {
    let mut big = vec![b'{'];
    big.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
    big.extend_from_slice(b"\n{\"next\":1}\n");
    let mut reader = BufReader::new(big.as_slice());
    match read_line(&mut reader).await {
        Ok(Some(Line::Oversize { start, len })) => {
            assert_eq!(len, MAX_LINE + 11);
            assert!(start.len() <= ID_WINDOW);
        }
        other => panic!("{other:?}"),
    }
    match read_line(&mut reader).await {
        Ok(Some(Line::Whole(line))) => assert_eq!(line, b"{\"next\":1}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(read_line(&mut reader).await, Ok(None)));
}
