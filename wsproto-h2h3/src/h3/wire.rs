//! The few HTTP/3 wire pieces the examples need (RFC 9114, RFC 9204): QUIC
//! variable-length integers, frames, and QPACK field sections made of
//! literals only.
//!
//! Our encoder writes every field as a literal with a literal name and no
//! Huffman coding, and announces no dynamic table, which any HTTP/3 peer
//! must accept. Our decoder reads exactly that form: a field section using
//! the static table or Huffman strings (as browsers and other stacks send)
//! is refused with an error, not misread.

use std::io;

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// DATA (RFC 9114 §7.2.1).
pub const DATA: u64 = 0x00;
/// HEADERS (RFC 9114 §7.2.2).
pub const HEADERS: u64 = 0x01;
/// SETTINGS (RFC 9114 §7.2.4).
pub const SETTINGS: u64 = 0x04;
/// The control stream's type (RFC 9114 §6.2.1).
pub const CONTROL_STREAM: u64 = 0x00;
/// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 9220 §3, from RFC 8441).
pub const ENABLE_CONNECT_PROTOCOL: u64 = 0x08;
/// The largest frame read: HEADERS and DATA frames of the examples are far
/// smaller.
pub const MAX_FRAME: u64 = 1 << 20;

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Appends `v` as a QUIC variable-length integer (RFC 9000 §16).
pub fn put_varint(out: &mut BytesMut, v: u64) {
    match v {
        0..=0x3f => out.put_u8(v as u8),
        0x40..=0x3fff => out.put_u16(0x4000 | v as u16),
        0x4000..=0x3fff_ffff => out.put_u32(0x8000_0000 | v as u32),
        _ => out.put_u64(0xc000_0000_0000_0000 | (v & 0x3fff_ffff_ffff_ffff)),
    }
}

/// A variable-length integer at the start of `buf`, and its length; `None`
/// if `buf` holds only part of it.
pub fn get_varint(buf: &[u8]) -> Option<(u64, usize)> {
    let first = *buf.first()?;
    let len = 1usize << (first >> 6);
    let bytes = buf.get(..len)?;
    let mut v = u64::from(first & 0x3f);
    for b in &bytes[1..] {
        v = (v << 8) | u64::from(*b);
    }
    Some((v, len))
}

/// Appends a frame: type, length, payload.
pub fn put_frame(out: &mut BytesMut, kind: u64, payload: &[u8]) {
    put_varint(out, kind);
    put_varint(out, payload.len() as u64);
    out.put_slice(payload);
}

/// Takes one whole frame from the front of `buf`, if there is one.
pub fn take_frame(buf: &mut BytesMut) -> io::Result<Option<(u64, Bytes)>> {
    let Some((kind, a)) = get_varint(buf) else { return Ok(None) };
    let Some((len, b)) = get_varint(&buf[a..]) else { return Ok(None) };
    if len > MAX_FRAME {
        return Err(invalid("HTTP/3 frame too large"));
    }
    let total = a + b + len as usize;
    if buf.len() < total {
        return Ok(None);
    }
    buf.advance(a + b);
    Ok(Some((kind, buf.split_to(len as usize).freeze())))
}

/// A SETTINGS payload of `(id, value)` pairs.
pub fn settings(pairs: &[(u64, u64)]) -> BytesMut {
    let mut out = BytesMut::new();
    for (id, value) in pairs {
        put_varint(&mut out, *id);
        put_varint(&mut out, *value);
    }
    out
}

/// The `(id, value)` pairs of a SETTINGS payload.
pub fn parse_settings(mut payload: &[u8]) -> io::Result<Vec<(u64, u64)>> {
    let mut out = Vec::new();
    while !payload.is_empty() {
        let (id, a) = get_varint(payload).ok_or_else(|| invalid("truncated SETTINGS"))?;
        let (value, b) = get_varint(&payload[a..]).ok_or_else(|| invalid("truncated SETTINGS"))?;
        out.push((id, value));
        payload = &payload[a + b..];
    }
    Ok(out)
}

/// An HPACK/QPACK prefixed integer (RFC 7541 §5.1): `flags` in the bits
/// above the `prefix` low bits of the first byte.
fn put_prefixed(out: &mut BytesMut, flags: u8, prefix: u8, mut v: u64) {
    let max = (1u64 << prefix) - 1;
    if v < max {
        out.put_u8(flags | v as u8);
        return;
    }
    out.put_u8(flags | max as u8);
    v -= max;
    while v >= 0x80 {
        out.put_u8((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.put_u8(v as u8);
}

fn get_prefixed(buf: &[u8], prefix: u8) -> io::Result<(u64, usize)> {
    let max = (1u64 << prefix) - 1;
    let first = *buf.first().ok_or_else(|| invalid("truncated QPACK integer"))?;
    let mut v = u64::from(first) & max;
    if v < max {
        return Ok((v, 1));
    }
    let mut shift = 0;
    for (i, b) in buf.iter().enumerate().skip(1) {
        if shift > 56 {
            break;
        }
        v += u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok((v, i + 1));
        }
        shift += 7;
    }
    Err(invalid("bad QPACK integer"))
}

/// A QPACK field section (RFC 9204 §4.5) of literal field lines with
/// literal names: no table, no Huffman.
pub fn encode_fields<'a>(fields: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> BytesMut {
    // Required Insert Count 0, Delta Base 0: no dynamic table.
    let mut out = BytesMut::from(&[0u8, 0][..]);
    for (name, value) in fields {
        put_prefixed(&mut out, 0b0010_0000, 3, name.len() as u64);
        out.put_slice(name.as_bytes());
        put_prefixed(&mut out, 0, 7, value.len() as u64);
        out.put_slice(value);
    }
    out
}

/// The fields of a section written by [`encode_fields`]; anything else is
/// an error.
pub fn decode_fields(block: &[u8]) -> io::Result<Vec<(String, Vec<u8>)>> {
    let (insert_count, a) = get_prefixed(block, 8)?;
    if insert_count != 0 {
        return Err(invalid("QPACK dynamic table references are not supported"));
    }
    let (_, b) = get_prefixed(&block[a..], 7)?;
    let mut rest = &block[a + b..];
    let mut out = Vec::new();
    while let Some(&first) = rest.first() {
        if first & 0b1110_0000 != 0b0010_0000 || first & 0b0000_1000 != 0 {
            return Err(invalid("only QPACK literals with literal names, without Huffman, are supported"));
        }
        let (name_len, n) = get_prefixed(rest, 3)?;
        rest = &rest[n..];
        let name = rest.get(..name_len as usize).ok_or_else(|| invalid("truncated QPACK name"))?;
        let name = String::from_utf8(name.to_vec()).map_err(|_| invalid("QPACK name not UTF-8"))?;
        rest = &rest[name_len as usize..];
        if rest.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(invalid("Huffman-coded QPACK values are not supported"));
        }
        let (value_len, n) = get_prefixed(rest, 7)?;
        rest = &rest[n..];
        let value = rest.get(..value_len as usize).ok_or_else(|| invalid("truncated QPACK value"))?;
        out.push((name, value.to_vec()));
        rest = &rest[value_len as usize..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_frames_round_trip() {
        for v in [0, 63, 64, 16383, 16384, 1 << 30, (1 << 62) - 1] {
            let mut out = BytesMut::new();
            put_varint(&mut out, v);
            assert_eq!(get_varint(&out), Some((v, out.len())));
            assert_eq!(get_varint(&out[..out.len() - 1]), None);
        }
        let mut buf = BytesMut::new();
        put_frame(&mut buf, HEADERS, b"abc");
        put_frame(&mut buf, DATA, b"");
        let partial = buf.len() - 1;
        let mut head = buf.split_to(partial);
        assert_eq!(take_frame(&mut head).unwrap(), Some((HEADERS, Bytes::from_static(b"abc"))));
        assert_eq!(take_frame(&mut head).unwrap(), None);
    }

    #[test]
    fn field_sections_round_trip_and_foreign_forms_are_refused() {
        let long = "x".repeat(300);
        let fields = [(":method", &b"CONNECT"[..]), ("sec-websocket-extensions", long.as_bytes())];
        let block = encode_fields(fields);
        let decoded = decode_fields(&block).unwrap();
        assert_eq!(decoded.len(), 2);
        assert_eq!(decoded[1], ("sec-websocket-extensions".to_owned(), long.into_bytes()));
        // An indexed static-table line (`:method CONNECT` is static index 15).
        assert!(decode_fields(&[0, 0, 0b1100_0000 | 15]).is_err());
        assert!(decode_fields(&[0, 0, 0x21]).is_err());
    }
}
