//! Framing: a 4-byte big-endian length, then that many bytes of JSON.
//!
//! Sans-IO: [`decode`] takes bytes already read into a buffer and gives back
//! whole messages; [`encode`] appends a frame to a buffer. [`Codec`] wraps
//! both for `tokio_util::codec::Framed`.
//!
//! A frame longer than [`MAX_FRAME_LEN`] cannot be skipped safely (a peer
//! that announces 4 GiB may be lying about everything): it is fatal, the
//! connection is closed. A frame that is not a message we know is not: it is
//! consumed and reported so that the receiver answers with an error and goes
//! on.

use bytes::{Buf, BytesMut};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::msg::{AgentMsg, ControllerMsg, RequestId};

/// The largest frame accepted or sent: 1 MiB (a hello of an agent with
/// thousands of LVAPs fits).
pub const MAX_FRAME_LEN: usize = 1 << 20;

/// Length of the frame header.
pub const HEADER_LEN: usize = 4;

/// A message type of this protocol: knows the names of its variants so that
/// an unknown type can be told from a malformed known one.
pub trait Message: Serialize + DeserializeOwned {
    /// The `"type"` tags of every variant.
    const TYPES: &'static [&'static str];
}

impl Message for AgentMsg {
    const TYPES: &'static [&'static str] = &[
        "auth",
        "hello",
        "heartbeat",
        "client_heard",
        "client",
        "stats",
        "matched",
        "result",
        "error",
    ];
}

impl Message for ControllerMsg {
    const TYPES: &'static [&'static str] = &[
        "challenge",
        "welcome",
        "network",
        "add_lvap",
        "authorize_lvap",
        "export_lvap",
        "remove_lvap",
        "set_channel",
        "subscribe",
        "unsubscribe",
        "error",
    ];
}

/// Why bytes could not become a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The frame announces more than [`MAX_FRAME_LEN`] bytes. Fatal.
    Oversized(usize),
    /// The frame is not JSON, or not an object with a `"type"`, or a known
    /// type with wrong fields. The frame was consumed.
    Malformed {
        /// The request id, if one could be read.
        id: Option<RequestId>,
        /// What was wrong.
        reason: String,
    },
    /// A well-formed message of a type this side does not know (a newer
    /// peer). The frame was consumed.
    UnknownType {
        /// The request id, if one could be read.
        id: Option<RequestId>,
        /// The type.
        kind: String,
    },
    /// I/O error of the underlying stream (from [`Codec`] only).
    Io(String),
}

impl DecodeError {
    /// True when the connection cannot go on.
    pub fn is_fatal(&self) -> bool {
        matches!(self, DecodeError::Oversized(_) | DecodeError::Io(_))
    }

    /// The request id of the offending message, if known.
    pub fn id(&self) -> Option<RequestId> {
        match self {
            DecodeError::Malformed { id, .. } | DecodeError::UnknownType { id, .. } => *id,
            _ => None,
        }
    }
}

impl core::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            DecodeError::Oversized(len) => {
                write!(
                    f,
                    "frame of {len} bytes exceeds the {MAX_FRAME_LEN}-byte limit"
                )
            }
            DecodeError::Malformed { reason, .. } => write!(f, "malformed message: {reason}"),
            DecodeError::UnknownType { kind, .. } => write!(f, "unknown message type {kind:?}"),
            DecodeError::Io(e) => write!(f, "connection error: {e}"),
        }
    }
}

impl std::error::Error for DecodeError {}

impl From<std::io::Error> for DecodeError {
    fn from(e: std::io::Error) -> DecodeError {
        DecodeError::Io(e.to_string())
    }
}

/// Why a message could not be sent.
#[derive(Debug)]
pub enum EncodeError {
    /// The message would exceed [`MAX_FRAME_LEN`].
    TooLarge(usize),
    /// Serialization failed (a map with non-string keys, say).
    Json(serde_json::Error),
    /// I/O error of the underlying stream (from [`Codec`] only).
    Io(std::io::Error),
}

impl core::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            EncodeError::TooLarge(len) => {
                write!(f, "message of {len} bytes exceeds the frame limit")
            }
            EncodeError::Json(e) => write!(f, "cannot serialize message: {e}"),
            EncodeError::Io(e) => write!(f, "connection error: {e}"),
        }
    }
}

impl std::error::Error for EncodeError {}

impl From<std::io::Error> for EncodeError {
    fn from(e: std::io::Error) -> EncodeError {
        EncodeError::Io(e)
    }
}

/// Appends one frame holding `msg` to `out`.
pub fn encode<M: Message>(msg: &M, out: &mut BytesMut) -> Result<(), EncodeError> {
    let json = serde_json::to_vec(msg).map_err(EncodeError::Json)?;
    if json.len() > MAX_FRAME_LEN {
        return Err(EncodeError::TooLarge(json.len()));
    }
    out.reserve(HEADER_LEN + json.len());
    out.extend_from_slice(&(json.len() as u32).to_be_bytes());
    out.extend_from_slice(&json);
    Ok(())
}

/// Takes one whole frame off the front of `buf` and decodes it. `Ok(None)`:
/// more bytes are needed (not an error).
pub fn decode<M: Message>(buf: &mut BytesMut) -> Result<Option<M>, DecodeError> {
    let Some(header) = buf.get(..HEADER_LEN) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
    if len > MAX_FRAME_LEN {
        return Err(DecodeError::Oversized(len));
    }
    if buf.len() < HEADER_LEN + len {
        buf.reserve(HEADER_LEN + len - buf.len());
        return Ok(None);
    }
    buf.advance(HEADER_LEN);
    let frame = buf.split_to(len);
    parse(&frame).map(Some)
}

/// Decodes one frame's payload.
///
/// A well-formed message is deserialized straight from the bytes; only
/// one that fails goes through a `serde_json::Value` to find its id and
/// type for the error (the controller ingests thousands of statistics
/// messages a second, and building a `Value` of each first was most of
/// its allocations).
pub fn parse<M: Message>(payload: &[u8]) -> Result<M, DecodeError> {
    match serde_json::from_slice::<M>(payload) {
        Ok(msg) => Ok(msg),
        Err(_) => diagnose(payload),
    }
}

/// The error of a payload that did not deserialize, with the message's id
/// and type when it has them (or the message, if the value does
/// deserialize after all).
fn diagnose<M: Message>(payload: &[u8]) -> Result<M, DecodeError> {
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| DecodeError::Malformed {
            id: None,
            reason: format!("not JSON: {e}"),
        })?;
    let id = value.get("id").and_then(serde_json::Value::as_u64);
    let Some(kind) = value.get("type").and_then(serde_json::Value::as_str) else {
        return Err(DecodeError::Malformed {
            id,
            reason: "no \"type\" field".into(),
        });
    };
    if !M::TYPES.contains(&kind) {
        let kind: String = kind.chars().take(64).collect();
        return Err(DecodeError::UnknownType { id, kind });
    }
    M::deserialize(value).map_err(|e| DecodeError::Malformed {
        id,
        reason: e.to_string(),
    })
}

/// A `tokio_util` codec: decodes `In`, encodes `Out`.
///
/// `tokio_util`'s framed streams end after the decoder's first error, so
/// the errors a connection survives (malformed or unknown messages) come
/// out as items, `Ok(Err(..))`; only fatal ones (an oversized frame, I/O)
/// are the stream's errors.
#[derive(Debug)]
pub struct Codec<In, Out> {
    _marker: core::marker::PhantomData<fn(Out) -> In>,
}

impl<In, Out> Default for Codec<In, Out> {
    fn default() -> Self {
        Codec {
            _marker: core::marker::PhantomData,
        }
    }
}

impl<In: Message, Out> tokio_util::codec::Decoder for Codec<In, Out> {
    type Item = Result<In, DecodeError>;
    type Error = DecodeError;

    fn decode(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<Result<In, DecodeError>>, DecodeError> {
        match decode(buf) {
            Ok(Some(msg)) => Ok(Some(Ok(msg))),
            Ok(None) => Ok(None),
            Err(e) if e.is_fatal() => Err(e),
            Err(e) => Ok(Some(Err(e))),
        }
    }
}

impl<In, Out: Message> tokio_util::codec::Encoder<Out> for Codec<In, Out> {
    type Error = EncodeError;

    fn encode(&mut self, msg: Out, buf: &mut BytesMut) -> Result<(), EncodeError> {
        encode(&msg, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{Outcome, PROTOCOL_VERSION};

    fn frame(payload: &[u8]) -> BytesMut {
        let mut b = BytesMut::new();
        b.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        b.extend_from_slice(payload);
        b
    }

    #[test]
    fn statistics_without_drops_still_decode() {
        // An agent older than the drop counters.
        let msg: AgentMsg = parse(br#"{"type":"stats","clients":[],"radios":[]}"#).unwrap();
        assert_eq!(
            msg,
            AgentMsg::Stats {
                clients: vec![],
                radios: vec![],
                drops: vec![],
            }
        );
        // And none are sent when there are none.
        let mut buf = BytesMut::new();
        encode(&msg, &mut buf).unwrap();
        assert!(!String::from_utf8_lossy(&buf).contains("drops"));
    }

    #[test]
    fn round_trip_and_partial_reads() {
        let msg = AgentMsg::Result {
            id: 7,
            outcome: Outcome::Failed {
                reason: "no such LVAP".into(),
            },
        };
        let mut buf = BytesMut::new();
        encode(&msg, &mut buf).unwrap();
        encode(&AgentMsg::Heartbeat { seq: 1 }, &mut buf).unwrap();
        let bytes = buf.split().freeze();
        // Fed one byte at a time, the two messages come out whole, in order.
        let mut got = Vec::new();
        for b in bytes.iter() {
            buf.extend_from_slice(&[*b]);
            while let Some(m) = decode::<AgentMsg>(&mut buf).unwrap() {
                got.push(m);
            }
        }
        assert_eq!(got, vec![msg, AgentMsg::Heartbeat { seq: 1 }]);
        assert!(buf.is_empty());
    }

    #[test]
    fn wire_form_is_readable_json() {
        let mut buf = BytesMut::new();
        encode(
            &ControllerMsg::Challenge {
                version: PROTOCOL_VERSION,
                nonce: "00".into(),
            },
            &mut buf,
        )
        .unwrap();
        assert_eq!(
            &buf[4..],
            br#"{"type":"challenge","version":1,"nonce":"00"}"#
        );
        assert_eq!(&buf[..4], &[0, 0, 0, 45]);
    }

    #[test]
    fn oversized_is_fatal_before_reading_the_body() {
        let mut buf = BytesMut::from(&[0x7f, 0xff, 0xff, 0xff][..]);
        let err = decode::<AgentMsg>(&mut buf).unwrap_err();
        assert_eq!(err, DecodeError::Oversized(0x7fff_ffff));
        assert!(err.is_fatal());
    }

    #[test]
    fn unknown_and_malformed_are_consumed_and_reported() {
        let cases: [(&[u8], DecodeError); 5] = [
            (
                b"garbage",
                DecodeError::Malformed {
                    id: None,
                    reason: String::new(),
                },
            ),
            (
                b"[1,2]",
                DecodeError::Malformed {
                    id: None,
                    reason: String::new(),
                },
            ),
            (
                br#"{"type":"teleport","id":9}"#,
                DecodeError::UnknownType {
                    id: Some(9),
                    kind: "teleport".into(),
                },
            ),
            (
                br#"{"type":"heartbeat"}"#,
                DecodeError::Malformed {
                    id: None,
                    reason: String::new(),
                },
            ),
            (
                br#"{"type":"result","id":3,"outcome":{"status":"maybe"}}"#,
                DecodeError::Malformed {
                    id: Some(3),
                    reason: String::new(),
                },
            ),
        ];
        for (payload, expected) in cases {
            let mut buf = frame(payload);
            encode(&AgentMsg::Heartbeat { seq: 2 }, &mut buf).unwrap();
            let err = decode::<AgentMsg>(&mut buf).unwrap_err();
            assert!(!err.is_fatal());
            assert_eq!(err.id(), expected.id(), "{payload:?}");
            assert_eq!(
                std::mem::discriminant(&err),
                std::mem::discriminant(&expected),
                "{err}"
            );
            // The stream goes on with the next frame.
            assert_eq!(
                decode::<AgentMsg>(&mut buf).unwrap(),
                Some(AgentMsg::Heartbeat { seq: 2 })
            );
        }
    }

    #[test]
    fn every_variant_is_listed_in_types() {
        use crate::msg::*;
        use odin_wire::MacAddr;
        let station = None;
        let spec = LvapSpec {
            client: MacAddr::ZERO,
            bssid: MacAddr::ZERO,
            radio: 0,
            ssid: vec![],
        };
        let sub = Subscription {
            id: 1,
            client: None,
            statistic: Statistic::SignalDbm,
            relation: Relation::Below,
            threshold: -70.0,
            hysteresis: 3.0,
            min_interval_ms: 1000,
        };
        let to_agent = [
            ControllerMsg::Challenge {
                version: 1,
                nonce: String::new(),
            },
            ControllerMsg::Welcome {
                proof: String::new(),
            },
            ControllerMsg::AddLvap {
                id: 1,
                lvap: spec.clone(),
                station,
            },
            ControllerMsg::AuthorizeLvap {
                id: 1,
                bssid: MacAddr::ZERO,
                at: Some(SwitchTime(1_795_000_000_000_000)),
                arriving: false,
            },
            ControllerMsg::ExportLvap {
                id: 1,
                bssid: MacAddr::ZERO,
            },
            ControllerMsg::RemoveLvap {
                id: 1,
                bssid: MacAddr::ZERO,
                deauthenticate: false,
                at: None,
                announce: Some(ChannelAnnouncement {
                    channel: 6,
                    count: 2,
                }),
            },
            ControllerMsg::SetChannel {
                id: 1,
                radio: 0,
                channel: 6,
            },
            ControllerMsg::Subscribe {
                id: 1,
                subscription: sub,
            },
            ControllerMsg::Unsubscribe {
                id: 1,
                subscription: 1,
            },
            ControllerMsg::Error {
                id: None,
                message: String::new(),
            },
        ];
        for msg in to_agent {
            let mut buf = BytesMut::new();
            encode(&msg, &mut buf).unwrap();
            assert_eq!(decode::<ControllerMsg>(&mut buf).unwrap(), Some(msg));
        }
        let to_controller = [
            AgentMsg::Auth {
                agent: "a".into(),
                nonce: String::new(),
                proof: String::new(),
            },
            AgentMsg::Hello {
                version: 1,
                software: String::new(),
                radios: vec![],
                lvaps: vec![LvapStatus {
                    lvap: spec,
                    station: None,
                }],
            },
            AgentMsg::Heartbeat { seq: 0 },
            AgentMsg::ClientHeard {
                radio: 0,
                client: MacAddr::ZERO,
                signal_dbm: -40,
                ssid: vec![],
            },
            AgentMsg::Client {
                bssid: MacAddr::ZERO,
                client: MacAddr::ZERO,
                event: ClientEvent::Authorized,
                station: None,
            },
            AgentMsg::Stats {
                clients: vec![],
                radios: vec![],
                drops: vec![DropCount {
                    cause: "duplicate".into(),
                    frames: 3,
                }],
            },
            AgentMsg::Matched {
                subscription: 1,
                client: MacAddr::ZERO,
                radio: 0,
                value: -72.0,
            },
            AgentMsg::Result {
                id: 1,
                outcome: Outcome::Done,
            },
            AgentMsg::Error {
                id: Some(1),
                message: String::new(),
            },
        ];
        for msg in to_controller {
            let mut buf = BytesMut::new();
            encode(&msg, &mut buf).unwrap();
            assert_eq!(decode::<AgentMsg>(&mut buf).unwrap(), Some(msg));
        }
    }
}
