//! Generic netlink messages as bytes: a builder for what we send and a
//! parser for what the kernel sends. Pure functions; nothing here panics
//! on any input (a malformed message or attribute ends the iteration).
//! Numbers are in the host's byte order, as netlink wants them.

/// Length of the netlink message header.
pub const NLMSG_HDRLEN: usize = 16;
/// Length of the generic netlink header (command, version, reserved).
pub const GENL_HDRLEN: usize = 4;
const NLA_HDRLEN: usize = 4;

/// The message type of an error or acknowledgement.
pub const NLMSG_ERROR: u16 = 2;
/// The message type that ends a dump.
pub const NLMSG_DONE: u16 = 3;
/// Flag: a request.
pub const NLM_F_REQUEST: u16 = 1;
/// Flag: the sender wants an acknowledgement.
pub const NLM_F_ACK: u16 = 4;
/// The generic netlink controller's family id.
pub const GENL_ID_CTRL: u16 = 0x10;
/// Controller command: look a family up.
pub const CTRL_CMD_GETFAMILY: u8 = 3;
/// Controller attribute: family id (u16).
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
/// Controller attribute: family name (string).
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// A generic netlink message being built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    /// A message of `family`'s command `cmd` (version `version`) with
    /// `flags` and sequence number `seq`; port id 0 (the kernel).
    pub fn new(family: u16, cmd: u8, version: u8, flags: u16, seq: u32) -> Builder {
        let mut buf = Vec::with_capacity(128);
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&family.to_ne_bytes());
        buf.extend_from_slice(&flags.to_ne_bytes());
        buf.extend_from_slice(&seq.to_ne_bytes());
        buf.extend_from_slice(&0u32.to_ne_bytes());
        buf.extend_from_slice(&[cmd, version, 0, 0]);
        Builder { buf }
    }

    /// Appends an attribute. Payloads longer than an attribute can hold
    /// (64 KiB) are cut; no 802.11 frame comes near that.
    pub fn put(mut self, ty: u16, data: &[u8]) -> Builder {
        let data = &data[..data.len().min(usize::from(u16::MAX) - NLA_HDRLEN)];
        let len = (NLA_HDRLEN + data.len()) as u16;
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    /// Appends a u32 attribute.
    pub fn u32(self, ty: u16, v: u32) -> Builder {
        self.put(ty, &v.to_ne_bytes())
    }

    /// Appends a u64 attribute.
    pub fn u64(self, ty: u16, v: u64) -> Builder {
        self.put(ty, &v.to_ne_bytes())
    }

    /// Appends a NUL-terminated string attribute.
    pub fn str(self, ty: u16, s: &str) -> Builder {
        let mut data = Vec::with_capacity(s.len() + 1);
        data.extend_from_slice(s.as_bytes());
        data.push(0);
        self.put(ty, &data)
    }

    /// The finished datagram, its length filled in.
    pub fn finish(mut self) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }
}

/// The parsing side is the agent's (`odin_agent::nl80211::msg`): one
/// reader of netlink datagrams for the project.
pub use odin_agent::nl80211::msg::{messages, Attrs, Msg};

/// For an NLMSG_ERROR message: the error code (0: an acknowledgement)
/// and the sequence number of the request it answers.
pub fn error(msg: &Msg<'_>) -> Option<(i32, u32)> {
    if msg.ty != NLMSG_ERROR {
        return None;
    }
    let code = i32::from_ne_bytes(msg.payload.get(0..4)?.try_into().ok()?);
    let seq = u32::from_ne_bytes(msg.payload.get(12..16)?.try_into().ok()?);
    Some((code, seq))
}

/// CTRL_CMD_GETFAMILY for `name` (acknowledged).
pub fn get_family(name: &str, seq: u32) -> Vec<u8> {
    Builder::new(
        GENL_ID_CTRL,
        CTRL_CMD_GETFAMILY,
        2,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
    )
    .str(CTRL_ATTR_FAMILY_NAME, name)
    .finish()
}

/// The family id in the answer to [`get_family`], or the kernel's error
/// code (negative errno) when it refused.
pub fn parse_family(datagram: &[u8]) -> Option<Result<u16, i32>> {
    for m in messages(datagram) {
        if let Some((code, _)) = error(&m) {
            if code != 0 {
                return Some(Err(code));
            }
            continue;
        }
        if m.ty == GENL_ID_CTRL {
            if let Some(id) = m.genl().and_then(|(_, a)| a.u16(CTRL_ATTR_FAMILY_ID)) {
                return Some(Ok(id));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_parses_back() {
        let b = Builder::new(30, 2, 1, NLM_F_REQUEST, 7)
            .u32(4, 0xdead_beef)
            .put(3, &[1, 2, 3])
            .u64(8, 42)
            .finish();
        assert_eq!(b.len() % 4, 0);
        let msgs: Vec<_> = messages(&b).collect();
        assert_eq!(msgs.len(), 1);
        assert_eq!(
            (msgs[0].ty, msgs[0].flags, msgs[0].seq),
            (30, NLM_F_REQUEST, 7)
        );
        let (cmd, a) = msgs[0].genl().expect("genl");
        assert_eq!(cmd, 2);
        assert_eq!(a.u32(4), Some(0xdead_beef));
        assert_eq!(a.get(3), Some(&[1u8, 2, 3][..]));
        assert_eq!(a.u64(8), Some(42));
    }

    #[test]
    fn get_family_bytes() {
        let m = get_family("MAC80211_HWSIM", 1);
        // 16 header + 4 genl + 4 attr header + 15 name bytes, padded to 40.
        assert_eq!(m.len(), 40);
        assert_eq!(&m[0..4], &40u32.to_ne_bytes());
        assert_eq!(&m[4..6], &GENL_ID_CTRL.to_ne_bytes());
        assert_eq!(&m[16..20], &[CTRL_CMD_GETFAMILY, 2, 0, 0]);
        assert_eq!(&m[24..39], b"MAC80211_HWSIM\0");
    }
}
