//! Netlink messages as bytes: a builder for requests (header, generic
//! netlink header, attributes, nests) and a parser for what the kernel
//! sends (messages in a datagram, attributes in a payload, error
//! messages). Nothing here panics on any input: a malformed message or
//! attribute ends the iteration.

use core::fmt;

use super::consts::*;

const NLMSG_HDRLEN: usize = 16;
const GENL_HDRLEN: usize = 4;
const NLA_HDRLEN: usize = 4;

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// A request being built. The length, sequence number and flags are
/// filled in by [`NlMsg::finish`] when it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlMsg {
    buf: Vec<u8>,
    /// What the request is, in words, for error messages ("START_AP").
    pub name: &'static str,
}

impl NlMsg {
    /// A netlink message of type `ty` with a fixed header `fixed` (e.g.
    /// `ifinfomsg`).
    pub fn raw(ty: u16, fixed: &[u8], name: &'static str) -> NlMsg {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&0u32.to_ne_bytes()); // length
        buf.extend_from_slice(&ty.to_ne_bytes());
        buf.extend_from_slice(&0u16.to_ne_bytes()); // flags
        buf.extend_from_slice(&0u32.to_ne_bytes()); // sequence
        buf.extend_from_slice(&0u32.to_ne_bytes()); // port id
        buf.extend_from_slice(fixed);
        buf.resize(align4(buf.len()), 0);
        NlMsg { buf, name }
    }

    /// A generic netlink request for `family`'s command `cmd`.
    pub fn genl(family: u16, cmd: u8, name: &'static str) -> NlMsg {
        // genlmsghdr: command, version, reserved.
        NlMsg::raw(family, &[cmd, 1, 0, 0], name)
    }

    /// Appends an attribute.
    pub fn put(&mut self, ty: u16, data: &[u8]) -> &mut NlMsg {
        let len = (NLA_HDRLEN + data.len()) as u16;
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    /// Appends a flag attribute (no payload).
    pub fn flag(&mut self, ty: u16) -> &mut NlMsg {
        self.put(ty, &[])
    }

    /// Appends a u8 attribute.
    pub fn u8(&mut self, ty: u16, v: u8) -> &mut NlMsg {
        self.put(ty, &[v])
    }

    /// Appends a u16 attribute.
    pub fn u16(&mut self, ty: u16, v: u16) -> &mut NlMsg {
        self.put(ty, &v.to_ne_bytes())
    }

    /// Appends a u32 attribute.
    pub fn u32(&mut self, ty: u16, v: u32) -> &mut NlMsg {
        self.put(ty, &v.to_ne_bytes())
    }

    /// Appends a NUL-terminated string attribute.
    pub fn str(&mut self, ty: u16, s: &str) -> &mut NlMsg {
        let mut data = Vec::with_capacity(s.len() + 1);
        data.extend_from_slice(s.as_bytes());
        data.push(0);
        self.put(ty, &data)
    }

    /// Appends a nested attribute whose content `f` writes.
    pub fn nest(&mut self, ty: u16, f: impl FnOnce(&mut NlMsg)) -> &mut NlMsg {
        let start = self.buf.len();
        self.put(ty | NLA_F_NESTED, &[]);
        f(self);
        let len = (self.buf.len() - start) as u16;
        self.buf[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        self
    }

    /// The attributes (everything after the generic netlink header).
    pub fn genl_attrs(&self) -> &[u8] {
        self.buf.get(NLMSG_HDRLEN + GENL_HDRLEN..).unwrap_or(&[])
    }

    /// The bytes to send, with length, flags and sequence number set.
    pub fn finish(&self, flags: u16, seq: u32) -> Vec<u8> {
        let mut out = self.buf.clone();
        let len = out.len() as u32;
        out[0..4].copy_from_slice(&len.to_ne_bytes());
        out[6..8].copy_from_slice(&flags.to_ne_bytes());
        out[8..12].copy_from_slice(&seq.to_ne_bytes());
        out
    }
}

/// One message of a received datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Msg<'a> {
    /// Message type (family id, NLMSG_ERROR, NLMSG_DONE, ...).
    pub ty: u16,
    /// Flags.
    pub flags: u16,
    /// Sequence number (0 for events and registered frames).
    pub seq: u32,
    /// Everything after the netlink header.
    pub payload: &'a [u8],
}

impl<'a> Msg<'a> {
    /// The generic netlink command and attributes of a generic message.
    pub fn genl(&self) -> Option<(u8, Attrs<'a>)> {
        let cmd = *self.payload.first()?;
        let attrs = self.payload.get(GENL_HDRLEN..)?;
        Some((cmd, Attrs(attrs)))
    }
}

/// The messages of a datagram; stops at the first malformed one.
pub fn messages(mut data: &[u8]) -> impl Iterator<Item = Msg<'_>> {
    core::iter::from_fn(move || {
        let len = u32::from_ne_bytes(data.get(0..4)?.try_into().ok()?) as usize;
        if len < NLMSG_HDRLEN || len > data.len() {
            data = &[];
            return None;
        }
        let ty = u16::from_ne_bytes(data.get(4..6)?.try_into().ok()?);
        let flags = u16::from_ne_bytes(data.get(6..8)?.try_into().ok()?);
        let seq = u32::from_ne_bytes(data.get(8..12)?.try_into().ok()?);
        let msg = Msg {
            ty,
            flags,
            seq,
            payload: &data[NLMSG_HDRLEN..len],
        };
        data = data.get(align4(len)..).unwrap_or(&[]);
        Some(msg)
    })
}

/// An attribute region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attrs<'a>(pub &'a [u8]);

impl<'a> Attrs<'a> {
    /// The attributes as (type without flag bits, payload); stops at the
    /// first malformed one.
    pub fn iter(&self) -> impl Iterator<Item = (u16, &'a [u8])> {
        let mut data = self.0;
        core::iter::from_fn(move || {
            let len = u16::from_ne_bytes(data.get(0..2)?.try_into().ok()?) as usize;
            let ty = u16::from_ne_bytes(data.get(2..4)?.try_into().ok()?);
            if len < NLA_HDRLEN || len > data.len() {
                data = &[];
                return None;
            }
            let payload = &data[NLA_HDRLEN..len];
            data = data.get(align4(len)..).unwrap_or(&[]);
            Some((ty & NLA_TYPE_MASK, payload))
        })
    }

    /// The first attribute of type `ty`.
    pub fn get(&self, ty: u16) -> Option<&'a [u8]> {
        self.iter().find(|(t, _)| *t == ty).map(|(_, p)| p)
    }

    /// A nested attribute's content.
    pub fn nested(&self, ty: u16) -> Option<Attrs<'a>> {
        self.get(ty).map(Attrs)
    }

    /// Whether a (flag) attribute is present.
    pub fn has(&self, ty: u16) -> bool {
        self.get(ty).is_some()
    }

    /// A u8 attribute.
    pub fn u8(&self, ty: u16) -> Option<u8> {
        self.get(ty)?.first().copied()
    }

    /// A u16 attribute.
    pub fn u16(&self, ty: u16) -> Option<u16> {
        Some(u16::from_ne_bytes(
            self.get(ty)?.get(0..2)?.try_into().ok()?,
        ))
    }

    /// A u32 attribute.
    pub fn u32(&self, ty: u16) -> Option<u32> {
        Some(u32::from_ne_bytes(
            self.get(ty)?.get(0..4)?.try_into().ok()?,
        ))
    }

    /// A u64 attribute.
    pub fn u64(&self, ty: u16) -> Option<u64> {
        Some(u64::from_ne_bytes(
            self.get(ty)?.get(0..8)?.try_into().ok()?,
        ))
    }

    /// A string attribute (up to its NUL).
    pub fn str(&self, ty: u16) -> Option<String> {
        let b = self.get(ty)?;
        let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
        Some(String::from_utf8_lossy(&b[..end]).into_owned())
    }
}

/// A request the kernel refused (or that could not be sent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NlError {
    /// The request, in words ("NEW_STATION").
    pub command: String,
    /// The errno (positive), 0 for a failure on our side.
    pub errno: i32,
    /// The kernel's extended-ack message, or our own explanation.
    pub message: Option<String>,
}

impl NlError {
    /// An error of ours (socket, malformed answer).
    pub fn local(command: &str, message: impl Into<String>) -> NlError {
        NlError {
            command: command.to_owned(),
            errno: 0,
            message: Some(message.into()),
        }
    }

    /// An I/O error on the socket.
    pub fn io(command: &str, e: &std::io::Error) -> NlError {
        NlError {
            command: command.to_owned(),
            errno: e.raw_os_error().unwrap_or(0),
            message: Some(e.to_string()),
        }
    }
}

impl fmt::Display for NlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed", self.command)?;
        if self.errno != 0 {
            write!(f, ": {}", std::io::Error::from_raw_os_error(self.errno))?;
        }
        if let Some(m) = &self.message {
            write!(f, " ({m})")?;
        }
        Ok(())
    }
}

impl std::error::Error for NlError {}

/// The content of an NLMSG_ERROR message: the errno (0 for an
/// acknowledgement, positive otherwise) and the extended-ack message.
pub fn parse_error(msg: &Msg<'_>) -> Option<(i32, Option<String>)> {
    let code = i32::from_ne_bytes(msg.payload.get(0..4)?.try_into().ok()?);
    let mut message = None;
    if msg.flags & NLM_F_ACK_TLVS != 0 {
        // The original request's header follows, and its payload too
        // unless the error is capped.
        let orig_len = if msg.flags & NLM_F_CAPPED != 0 {
            NLMSG_HDRLEN
        } else {
            msg.payload
                .get(4..8)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_ne_bytes)
                .unwrap_or(0) as usize
        };
        if let Some(tlvs) = msg.payload.get(4 + align4(orig_len)..) {
            message = Attrs(tlvs).str(NLMSGERR_ATTR_MSG);
        }
    }
    Some((code.saturating_neg(), message))
}

/// Collects the answer to one request from the datagrams that follow it.
#[derive(Debug)]
pub struct Transaction {
    seq: u32,
    dump: bool,
    command: &'static str,
    replies: Vec<Vec<u8>>,
}

impl Transaction {
    /// Waits for the answer to request `seq` (a dump ends with
    /// NLMSG_DONE, anything else with an acknowledgement).
    pub fn new(seq: u32, dump: bool, command: &'static str) -> Transaction {
        Transaction {
            seq,
            dump,
            command,
            replies: Vec::new(),
        }
    }

    /// Feeds one received datagram; `Some` once the answer is complete:
    /// the payloads of the reply messages, or the kernel's error.
    /// Messages of other requests and events are ignored.
    pub fn feed(&mut self, datagram: &[u8]) -> Option<Result<Vec<Vec<u8>>, NlError>> {
        for msg in messages(datagram) {
            if msg.seq != self.seq {
                continue;
            }
            match msg.ty {
                NLMSG_ERROR => {
                    let Some((errno, message)) = parse_error(&msg) else {
                        return Some(Err(NlError::local(self.command, "malformed error message")));
                    };
                    if errno != 0 {
                        return Some(Err(NlError {
                            command: self.command.to_owned(),
                            errno,
                            message,
                        }));
                    }
                    return Some(Ok(core::mem::take(&mut self.replies)));
                }
                NLMSG_DONE if self.dump => return Some(Ok(core::mem::take(&mut self.replies))),
                // A reply; requests always ask for the acknowledgement
                // that ends them.
                _ => self.replies.push(msg.payload.to_vec()),
            }
        }
        None
    }
}

/// Lower-case hex, for trace logs.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_attributes() {
        let mut m = NlMsg::genl(0x1c, CMD_GET_STATION, "GET_STATION");
        m.u32(ATTR_IFINDEX, 7)
            .put(ATTR_MAC, &[2, 0, 0, 0, 1, 0])
            .flag(ATTR_ACK);
        m.nest(ATTR_STA_WME, |n| {
            n.u8(STA_WME_UAPSD_QUEUES, 0x0f);
        });
        let bytes = m.finish(NLM_F_REQUEST | NLM_F_ACK, 9);
        assert_eq!(bytes.len() % 4, 0);
        assert_eq!(
            u32::from_ne_bytes(bytes[0..4].try_into().unwrap()) as usize,
            bytes.len()
        );
        let msgs: Vec<_> = messages(&bytes).collect();
        assert_eq!(msgs.len(), 1);
        assert_eq!((msgs[0].ty, msgs[0].seq), (0x1c, 9));
        let (cmd, attrs) = msgs[0].genl().unwrap();
        assert_eq!(cmd, CMD_GET_STATION);
        assert_eq!(attrs.u32(ATTR_IFINDEX), Some(7));
        assert_eq!(attrs.get(ATTR_MAC), Some(&[2, 0, 0, 0, 1, 0][..]));
        assert!(attrs.has(ATTR_ACK));
        let wme = attrs.nested(ATTR_STA_WME).unwrap();
        assert_eq!(wme.u8(STA_WME_UAPSD_QUEUES), Some(0x0f));
    }

    #[test]
    fn malformed_input_ends_iteration() {
        // An attribute claiming more bytes than there are.
        assert_eq!(Attrs(&[8, 0, 1, 0, 1]).iter().count(), 0);
        // A message shorter than its header.
        assert_eq!(messages(&[4, 0, 0, 0]).count(), 0);
        assert_eq!(messages(&[]).count(), 0);
        assert_eq!(Attrs(&[2, 0]).u32(1), None);
    }

    #[test]
    fn error_with_extended_ack() {
        // NLMSG_ERROR -EINVAL, capped, with NLMSGERR_ATTR_MSG "bad".
        let mut e = Vec::new();
        e.extend_from_slice(&(-22i32).to_ne_bytes());
        // The original header (16 bytes).
        e.extend_from_slice(&[20, 0, 0, 0, 0x1c, 0, 5, 0, 3, 0, 0, 0, 0, 0, 0, 0]);
        e.extend_from_slice(&[8, 0, 1, 0, b'b', b'a', b'd', 0]);
        let m = NlMsg::raw(NLMSG_ERROR, &e, "x").finish(NLM_F_ACK_TLVS | NLM_F_CAPPED, 3);
        let mut t = Transaction::new(3, false, "NEW_STATION");
        let err = t.feed(&m).unwrap().unwrap_err();
        assert_eq!(err.errno, 22);
        assert_eq!(err.message.as_deref(), Some("bad"));
        assert!(err
            .to_string()
            .starts_with("NEW_STATION failed: Invalid argument"));
    }

    #[test]
    fn transaction_collects_replies_until_the_ack() {
        let reply = NlMsg::genl(0x1c, CMD_NEW_INTERFACE, "x").finish(0, 5);
        let other = NlMsg::genl(0x1c, CMD_FRAME, "x").finish(0, 0);
        let ack = NlMsg::raw(NLMSG_ERROR, &[0; 20], "x").finish(0, 5);
        let mut t = Transaction::new(5, false, "NEW_INTERFACE");
        assert!(t.feed(&other).is_none());
        assert!(t.feed(&reply).is_none());
        let replies = t.feed(&ack).unwrap().unwrap();
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0][0], CMD_NEW_INTERFACE);
    }
}
