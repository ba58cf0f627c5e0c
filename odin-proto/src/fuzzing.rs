//! The body of the `proto_decode` fuzz target, kept here so that `cargo
//! test` replays its seeds in `fuzz/seeds/proto_decode/`.

use bytes::BytesMut;

use crate::codec::{decode, encode, Message};
use crate::msg::{AgentMsg, ControllerMsg};

fn stream<M: Message + PartialEq + core::fmt::Debug>(data: &[u8]) {
    let mut buf = BytesMut::from(data);
    loop {
        match decode::<M>(&mut buf) {
            Ok(Some(msg)) => {
                // What decodes re-encodes, and decodes to the same message.
                let mut again = BytesMut::new();
                encode(&msg, &mut again).expect("a decoded message encodes");
                assert_eq!(decode::<M>(&mut again).expect("re-decodes"), Some(msg));
                assert!(again.is_empty());
            }
            Ok(None) => return,
            Err(e) if e.is_fatal() => return,
            // The frame was consumed: the stream goes on.
            Err(_) => {}
        }
    }
}

/// Decodes `data` as a stream of frames, both ways (agent and controller
/// messages). Panics when a decoded message does not survive a round trip.
pub fn proto_decode(data: &[u8]) {
    stream::<AgentMsg>(data);
    stream::<ControllerMsg>(data);
}

#[cfg(test)]
mod tests {
    #[test]
    fn seeds_replay() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/proto_decode");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            super::proto_decode(&std::fs::read(entry.unwrap().path()).unwrap());
            n += 1;
        }
        assert!(n >= 5, "{n} seeds in {}", dir.display());
    }
}
