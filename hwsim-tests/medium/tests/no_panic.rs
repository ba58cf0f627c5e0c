//! No input panics the parsers or the medium: arbitrary datagrams,
//! well-formed frame messages with arbitrary fields, arbitrary commands.

use std::time::Duration;

use odin_medium::hwsim::{
    self, ATTR_ADDR_TRANSMITTER, ATTR_COOKIE, ATTR_FLAGS, ATTR_FRAME, ATTR_FREQ, ATTR_TX_INFO,
    ATTR_TX_INFO_FLAGS, CMD_FRAME,
};
use odin_medium::medium::Medium;
use odin_medium::model::Config;
use odin_medium::netlink::{self, Builder};
use odin_medium::record;
use proptest::prelude::*;

fn medium() -> Medium {
    let cfg = Config::parse(
        "[[radio]]\nname = \"ap\"\naddr = \"02:00:00:00:00:00\"\n\
         [[radio]]\nname = \"sta\"\naddr = \"02:00:00:00:01:00\"\nx = 60.0\n",
    )
    .expect("config");
    Medium::new(cfg, 30, 1)
}

proptest! {
    #[test]
    fn random_datagrams(data in proptest::collection::vec(any::<u8>(), 0..600), fam in 0u16..40) {
        let _ = netlink::messages(&data).count();
        let _ = netlink::parse_family(&data);
        let _ = hwsim::parse(fam, &data);
        let mut m = medium();
        let _ = m.handle(&data, Duration::ZERO);
    }

    #[test]
    fn random_frame_messages(
        tx in proptest::array::uniform6(any::<u8>()),
        frame in proptest::collection::vec(any::<u8>(), 0..80),
        flags in any::<u32>(),
        freq in any::<u32>(),
        info in proptest::collection::vec(any::<u8>(), 0..12),
        info_flags in proptest::collection::vec(any::<u8>(), 0..16),
        cookie in any::<u64>(),
        t in 0u64..10_000_000,
    ) {
        let d = Builder::new(30, CMD_FRAME, 1, 0, 0)
            .put(ATTR_ADDR_TRANSMITTER, &tx)
            .put(ATTR_FRAME, &frame)
            .u32(ATTR_FLAGS, flags)
            .u32(ATTR_FREQ, freq)
            .put(ATTR_TX_INFO, &info)
            .put(ATTR_TX_INFO_FLAGS, &info_flags)
            .u64(ATTR_COOKIE, cookie)
            .finish();
        let mut m = medium();
        let out = m.handle(&d, Duration::from_micros(t));
        // Exactly one status, whatever the frame.
        let statuses = out.iter().filter(|o| o.get(16) == Some(&hwsim::CMD_TX_INFO_FRAME)).count();
        prop_assert_eq!(statuses, 1);
    }

    #[test]
    fn random_commands(line in "[a-z0-9 .:-]{0,40}", t in any::<u32>()) {
        let mut m = medium();
        let _ = m.command(&line, Duration::from_micros(u64::from(t)));
        let _ = m.command(&format!("walk sta {line}"), Duration::ZERO);
        let _ = m.command("show", Duration::from_secs(u64::from(t)));
        let _ = record::parse(&line);
    }

    #[test]
    fn random_configs(text in "[a-z_=\\[\\]\" .0-9\\n:-]{0,120}") {
        let _ = Config::parse(&text);
    }
}
