//! The `Sec-WebSocket-Extensions` grammar of RFC 6455 §9.1: parse and format.

use wsproto::handshake::{ExtensionOffer, ExtensionParseError};

fn parse(value: &str) -> Result<Vec<ExtensionOffer>, ExtensionParseError> {
    ExtensionOffer::parse_list(value.as_bytes())
}

#[test]
fn names_flags_values_and_quoted_values() {
    assert_eq!(
        parse("foo; a=1; b=\"x\", bar").unwrap(),
        [ExtensionOffer::new("foo").with_param("a", "1").with_param("b", "x"), ExtensionOffer::new("bar")]
    );
    assert_eq!(
        parse("permessage-deflate; client_max_window_bits; server_max_window_bits=10").unwrap(),
        [ExtensionOffer::new("permessage-deflate")
            .with_flag("client_max_window_bits")
            .with_param("server_max_window_bits", "10")]
    );
    // Escapes inside a quoted string, unescaped to a token.
    assert_eq!(parse(r#"a; b="\1\0""#).unwrap(), [ExtensionOffer::new("a").with_param("b", "10")]);
}

#[test]
fn optional_whitespace_and_empty_elements() {
    let expected = [ExtensionOffer::new("a").with_param("p", "1").with_flag("q"), ExtensionOffer::new("b")];
    for value in ["a;p=1;q,b", "  a ; p = 1 ;\tq ,  b  ", ", a; p=\"1\"; q, , b,", "a;p=1;q,\t,b"] {
        assert_eq!(parse(value).unwrap(), expected, "{value:?}");
    }
    assert_eq!(parse("").unwrap(), []);
    assert_eq!(parse(" , ").unwrap(), []);
}

#[test]
fn grammar_faults_are_located() {
    let cases = [
        ("foo;", ExtensionParseError::ExpectedToken { at: 4 }),
        ("foo; =1", ExtensionParseError::ExpectedToken { at: 5 }),
        ("foo; a=", ExtensionParseError::ExpectedToken { at: 7 }),
        ("foo; a=,", ExtensionParseError::ExpectedToken { at: 7 }),
        ("\"foo\"", ExtensionParseError::ExpectedToken { at: 0 }),
        ("foo bar", ExtensionParseError::UnexpectedByte { at: 4, byte: b'b' }),
        ("foo; a=1 2", ExtensionParseError::UnexpectedByte { at: 9, byte: b'2' }),
        ("foo; a=1=2", ExtensionParseError::UnexpectedByte { at: 8, byte: b'=' }),
        ("foo/1", ExtensionParseError::UnexpectedByte { at: 3, byte: b'/' }),
        ("foo; a=\"1", ExtensionParseError::BadQuotedString { at: 9 }),
        ("foo; a=\"1\\", ExtensionParseError::BadQuotedString { at: 10 }),
        ("foo; a=\"\x01\"", ExtensionParseError::BadQuotedString { at: 8 }),
        ("foo; a=\"\"", ExtensionParseError::QuotedValueNotToken { at: 7 }),
        ("foo; a=\"1 2\"", ExtensionParseError::QuotedValueNotToken { at: 7 }),
        ("foo; a=\"x,y\"", ExtensionParseError::QuotedValueNotToken { at: 7 }),
    ];
    for (value, expected) in cases {
        assert_eq!(parse(value), Err(expected), "{value:?}");
        assert!(!expected.to_string().is_empty());
    }
    assert_eq!(
        ExtensionOffer::parse_list(b"caf\xc3\xa9"),
        Err(ExtensionParseError::UnexpectedByte { at: 3, byte: 0xc3 })
    );
}

#[test]
fn formatting_round_trips() {
    let list = [
        ExtensionOffer::new("permessage-deflate")
            .with_flag("client_max_window_bits")
            .with_param("server_max_window_bits", "10"),
        ExtensionOffer::new("x-webkit-deflate-frame"),
    ];
    let text = ExtensionOffer::format_list(&list);
    assert_eq!(text, "permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-webkit-deflate-frame");
    assert_eq!(parse(&text).unwrap(), list);
    assert_eq!(ExtensionOffer::format_list(&[]), "");
}

#[test]
fn invalid_offers_are_flagged_and_never_break_a_header_line() {
    let bad = ExtensionOffer::new("x").with_param("v", "a \"b\"\r\nInjected: 1");
    assert!(!bad.is_valid());
    let text = bad.to_string();
    assert!(!text.contains('\r') && !text.contains('\n'));
    assert_eq!(text, r#"x; v="a \"b\"Injected: 1""#);
    assert!(!ExtensionOffer::new("").is_valid());
    assert!(!ExtensionOffer::new("a").with_flag("b c").is_valid());
    assert!(ExtensionOffer::new("a").with_flag("b").with_param("c", "1").is_valid());
}

#[test]
fn parameter_lookup_is_case_insensitive_and_takes_the_first() {
    let ext = &parse("e; A=1; a=2; flag").unwrap()[0];
    assert_eq!(ext.param("a"), Some(Some("1")));
    assert_eq!(ext.param("FLAG"), Some(None));
    assert_eq!(ext.param("missing"), None);
    assert!(ext.same_name("E"));
}
