//! Tests of the element iterator, [`ElementRepr`] dispatch, whole regions,
//! hostile input and property tests. Per-element vectors live next to each
//! element's code.

use super::*;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0);
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The element region of a real 802.11g beacon (SSID "martinet3", BSSID
/// 00:01:e3:41:bd:6e), used as a test vector by the Rust `ieee80211` crate
/// (its tests' `BEACON_PACKET`, from offset 36): SSID, rates, DS, TIM, ERP,
/// the old ERP ID 47, extended rates, a Broadcom vendor element and a WPA1
/// vendor element.
const MARTINET3: &str = "00096d617274696e65743301088284 8b962430486c03010b0504000100002a01042f010432040c121860dd06001018010100dd160050f20101000050f20201000050f20201000050f202";

fn martinet3() -> Vec<u8> {
    hex(&MARTINET3.replace(' ', ""))
}

/// The element region of a real 37C3 beacon (bins/frames/beacon.bin of the
/// ieee80211-rs crate, github.com/Frostie314159/ieee80211-rs, from offset
/// 36): a Wi-Fi 6 AP on channel 44 with SSID, rates, DS, TIM, Country,
/// Power Constraint, TPC Report, RSN, BSS Load, two AP Channel Reports, RM
/// Enabled Capabilities, HT Capabilities/Operation, Extended Capabilities,
/// VHT Capabilities/Operation, Transmit Power Envelope, three HE extension
/// elements, WMM Parameter and four more vendor elements.
const BEACON_37C3: [&str; 8] = [
    "00043337433301069824b048606c03012c05190001021000000000000000080000000000000000000080000207064445",
    "2024081720010023021200301a0100000fac040100000fac040100000fac01a8000000000fac060b05c90061204e3305",
    "0124282c3033050234383c404306000c05480548460573d001000d2d1aad0903ffffffff000000000000000001000000",
    "000000000000003d162c0005000000000000000000000000000000000000007f0a04000800000000400040bf0c91f98b",
    "33aaff0000aaff0020c0050000000000c302002eff20230501089a4010006008881fc3831c010800aaffaaff3b1cc771",
    "1cc7711cc771ff0724f43f0015fcffff0e260f03a4162fa9ff4575ff6232ffdd180050f20201010f0003a4000027a400",
    "0042435e0062322f00dd168cfdf0040000494c51030209720100000000feff0000dd078cfdf004010100dd07000b8601",
    "040812dd0b000b860103004150363932",
];

fn beacon_37c3() -> Vec<u8> {
    hex(&BEACON_37C3.concat())
}

/// The element region of a real association response (bins/frames/assoc.bin
/// of ieee80211-rs, after the 6 fixed octets, FCS removed).
const ASSOC_RESP: &str = "010882848b960c12182432043048606c7f080400000000000040";

fn reemit(region: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in Elements::new(region) {
        ElementRepr::parse(e.unwrap())
            .unwrap()
            .emit_to_vec(&mut out)
            .unwrap();
    }
    out
}

#[test]
fn iterate_real_beacon() {
    let region = martinet3();
    let ids: Vec<u8> = Elements::new(&region)
        .map(|e| e.unwrap().raw_id())
        .collect();
    assert_eq!(ids, [0, 1, 3, 5, 42, 47, 50, 221, 221]);
    let mut it = Elements::new(&region);
    let first = it.next().unwrap().unwrap();
    assert_eq!(
        (first.id(), first.data()),
        (ElementId::Ssid, &b"martinet3"[..])
    );
    assert_eq!(it.offset(), 11);
    assert_eq!(it.remaining().len(), region.len() - 11);
    assert_eq!(it.by_ref().count(), 8);
    assert_eq!(it.offset(), region.len());
    assert!(!it.failed());
    assert!(it.next().is_none());
    assert_eq!(validate(&region), Ok(()));
    assert_eq!(reemit(&region), region);
}

#[test]
fn parsed_elements_of_martinet3() {
    let region = martinet3();
    let p = ParsedElements::parse(&region).unwrap();
    assert_eq!(p.ssid, Some(&b"martinet3"[..]));
    assert_eq!(p.ds_channel, Some(11));
    let tim = p.tim.unwrap();
    assert_eq!(
        (tim.dtim_count, tim.dtim_period, tim.bitmap_control),
        (0, 1, 0)
    );
    let rates = p.rate_set();
    assert_eq!(rates.len(), 12);
    assert_eq!(
        rates.basic().map(|r| r.kbps()).collect::<Vec<_>>(),
        [1000, 2000, 5500, 11000]
    );
    assert_eq!(p.rsn, None);
    assert_eq!(p.wmm, None);
    // The WPA1 element stays a vendor element, reachable through the region.
    let wpa: Vec<&[u8]> = p.vendor(WMM_OUI).collect();
    assert_eq!(wpa.len(), 1);
    assert_eq!(wpa[0].first(), Some(&0x01));
    assert_eq!(
        p.find(ElementId::ErpInfo).map(|e| e.data()),
        Some(&[0x04][..])
    );
    assert_eq!(p.find(ElementId::Rsn), None);
}

#[test]
fn build_martinet3_with_emit_all() {
    let supported = [0x82, 0x84, 0x8b, 0x96, 0x24, 0x30, 0x48, 0x6c];
    let wpa1 = hex("0101000050f20201000050f20201000050f202");
    let no_traffic = VirtualBitmap::new();
    let elements = [
        ElementRepr::Ssid(b"martinet3"),
        ElementRepr::SupportedRates(Rates::new(&supported).unwrap()),
        ElementRepr::DsParams { channel: 11 },
        ElementRepr::Tim(no_traffic.tim(0, 1, false)),
        ElementRepr::Unknown {
            id: 42,
            data: &[0x04],
        },
        ElementRepr::Unknown {
            id: 47,
            data: &[0x04],
        },
        ElementRepr::ExtendedRates(Rates::new(&[0x0c, 0x12, 0x18, 0x60]).unwrap()),
        ElementRepr::Vendor {
            oui: [0x00, 0x10, 0x18],
            data: &[0x01, 0x01, 0x00],
        },
        ElementRepr::Vendor {
            oui: WMM_OUI,
            data: &wpa1,
        },
    ];
    let region = martinet3();
    assert_eq!(buffer_len_all(&elements), region.len());
    let mut buf = vec![0u8; region.len() + 5];
    assert_eq!(emit_all(&elements, &mut buf), Ok(region.len()));
    assert_eq!(&buf[..region.len()], &region[..]);
    assert_eq!(
        emit_all(&elements, &mut buf[..region.len() - 1]),
        Err(Error::Truncated)
    );
    assert_eq!(emit_all(&[], &mut []), Ok(0));
}

#[test]
fn parsed_elements_of_37c3() {
    let region = beacon_37c3();
    assert_eq!(reemit(&region), region);
    let p = ParsedElements::parse(&region).unwrap();
    assert_eq!(p.ssid, Some(&b"37C3"[..]));
    assert_eq!(p.ds_channel, Some(44));
    assert_eq!(p.country.unwrap().code(), *b"DE");
    assert_eq!(
        p.tim.unwrap().aids().collect::<Vec<_>>(),
        [20, 83, 175, 185]
    );
    assert_eq!(
        p.rsn.unwrap().akms().collect::<Vec<_>>(),
        [Suite::AKM_8021X]
    );
    assert_eq!(p.ht_capabilities.unwrap().cap_info, 0x09ad);
    assert_eq!(p.ht_operation.unwrap().primary_channel, 44);
    assert_eq!(p.vht_capabilities.unwrap().max_mpdu_len(), 7991);
    assert_eq!(p.vht_operation.unwrap().channel_width, 0);
    assert!(p.extended_capability(ext_cap::EXTENDED_CHANNEL_SWITCHING));
    assert!(p.extended_capability(ext_cap::BSS_TRANSITION));
    assert!(p.extended_capability(ext_cap::OPERATING_MODE_NOTIFICATION));
    assert!(p.extended_capability(ext_cap::TWT_RESPONDER));
    assert!(!p.extended_capability(ext_cap::INTERWORKING));
    assert!(!p.extended_capability(1000));
    assert_eq!(
        p.wmm,
        Some(Wmm::Parameter(WmmParameter::hostapd_default(0x0f)))
    );
    assert_eq!(p.extended_rates, None);
    assert_eq!(p.power_capability, None);
    assert_eq!(p.channel_switch, None);
    // Extension elements: HE Capabilities (35), HE Operation (36), MU EDCA
    // (38).
    let ext: Vec<u8> = p.elements().filter_map(|e| e.unwrap().ext_id()).collect();
    assert_eq!(ext, [35, 36, 38]);
    let he_op = p
        .elements()
        .map(Result::unwrap)
        .find(|e| e.ext_id() == Some(36))
        .unwrap();
    assert_eq!(
        ElementRepr::parse(he_op),
        Ok(ElementRepr::Extension {
            ext_id: 36,
            data: &hex("f43f0015fcff")
        })
    );
    // Four vendor elements beside WMM.
    let vendors = p
        .elements()
        .filter(|e| {
            matches!(
                ElementRepr::parse(e.unwrap()),
                Ok(ElementRepr::Vendor { .. })
            )
        })
        .count();
    assert_eq!(vendors, 4);
}

#[test]
fn assoc_response_region() {
    let region = hex(ASSOC_RESP);
    let p = ParsedElements::parse(&region).unwrap();
    assert_eq!(p.rate_set().len(), 12);
    assert_eq!(p.extended_capabilities, Some(&hex("0400000000000040")[..]));
    assert_eq!(reemit(&region), region);
}

#[test]
fn channel_switch_and_power() {
    // As hostapd's hostapd_eid_csa() writes it for `CHAN_SWITCH 5 2437
    // blocktx`: mode 1 (block tx), channel 6, count 5.
    let csa = hex("2503010605");
    // As hostapd_eid_ecsa() writes the same switch: operating class 81.
    let ecsa = hex("3c0401510605");
    // Layout of IEEE 802.11-2020 Figure 9-147: min 0 dBm, max 20 dBm; and a
    // negative minimum (-5 dBm).
    let power = hex("21020014");
    let power_neg = hex("2102fb14");

    fn parse(b: &[u8]) -> Result<ElementRepr<'_>> {
        let mut it = Elements::new(b);
        let e = it.next().unwrap()?;
        assert!(it.next().is_none());
        ElementRepr::parse(e)
    }
    let c = ChannelSwitch {
        mode: 1,
        new_channel: 6,
        count: 5,
    };
    assert_eq!(parse(&csa), Ok(ElementRepr::ChannelSwitch(c)));
    assert_eq!(
        parse(&ecsa),
        Ok(ElementRepr::ExtendedChannelSwitch {
            mode: 1,
            new_operating_class: 81,
            new_channel: 6,
            count: 5
        })
    );
    assert_eq!(
        parse(&power),
        Ok(ElementRepr::PowerCapability {
            min_dbm: 0,
            max_dbm: 20
        })
    );
    assert_eq!(
        parse(&power_neg),
        Ok(ElementRepr::PowerCapability {
            min_dbm: -5,
            max_dbm: 20
        })
    );
    for v in [&csa, &ecsa, &power, &power_neg] {
        assert_eq!(reemit(v), *v);
    }
    let region = [csa.clone(), ecsa, power_neg].concat();
    let p = ParsedElements::parse(&region).unwrap();
    assert_eq!(p.channel_switch, Some(c));
    assert_eq!(
        p.extended_channel_switch.map(|e| e.new_operating_class),
        Some(81)
    );
    assert_eq!(
        p.power_capability,
        Some(PowerCapability {
            min_dbm: -5,
            max_dbm: 20
        })
    );

    for (id, good) in [(37u8, 3usize), (60, 4), (33, 2), (3, 1)] {
        let data = [0u8; 6];
        for len in 0..6 {
            let r = ElementRepr::parse(Element::new(id, &data[..len]));
            assert_eq!(r.is_ok(), len == good, "id {id} len {len}");
            if len != good {
                assert_eq!(r, Err(Error::BadLength));
            }
        }
    }
}

#[test]
fn ssid_lengths() {
    let long = [b'a'; 33];
    assert_eq!(
        ElementRepr::parse(Element::new(0, &long[..32])),
        Ok(ElementRepr::Ssid(&long[..32]))
    );
    assert_eq!(
        ElementRepr::parse(Element::new(0, &long)),
        Err(Error::BadLength)
    );
    assert_eq!(
        ElementRepr::parse(Element::new(0, &[])),
        Ok(ElementRepr::Ssid(&[]))
    );
    assert_eq!(
        ElementRepr::Ssid(&long).emit(&mut [0u8; 64]),
        Err(Error::BadLength)
    );
    let mut out = vec![9];
    assert_eq!(
        ElementRepr::Ssid(&long).emit_to_vec(&mut out),
        Err(Error::BadLength)
    );
    assert_eq!(out, [9]);
}

#[test]
fn emit_errors() {
    let big = [0u8; 256];
    assert_eq!(
        ElementRepr::Unknown {
            id: 200,
            data: &big
        }
        .emit(&mut [0; 300]),
        Err(Error::BadLength)
    );
    assert_eq!(
        ElementRepr::Unknown {
            id: 200,
            data: &big[..255]
        }
        .emit(&mut [0; 300]),
        Ok(257)
    );
    assert_eq!(
        ElementRepr::Vendor {
            oui: [1, 2, 3],
            data: &big[..253]
        }
        .emit(&mut [0; 300]),
        Err(Error::BadLength)
    );
    assert_eq!(
        ElementRepr::Vendor {
            oui: [1, 2, 3],
            data: &big[..252]
        }
        .emit(&mut [0; 300]),
        Ok(257)
    );
    assert_eq!(
        ElementRepr::Extension {
            ext_id: 1,
            data: &big[..255]
        }
        .emit(&mut [0; 300]),
        Err(Error::BadLength)
    );
    assert_eq!(
        ElementRepr::ExtendedCapabilities(&big).emit(&mut [0; 300]),
        Err(Error::BadLength)
    );
    // Too short a buffer: Truncated, for every length short of the element.
    let ds = ElementRepr::DsParams { channel: 6 };
    for len in 0..3 {
        assert_eq!(ds.emit(&mut vec![0; len]), Err(Error::Truncated));
    }
    let ht = ElementRepr::HtCapabilities(HtCapabilities::default());
    assert_eq!(ht.emit(&mut [0; 27]), Err(Error::Truncated));
    assert_eq!(ht.emit(&mut [0; 28]), Ok(28));
    // Element::emit too.
    assert_eq!(Element::new(0, b"ab").emit(&mut [0; 4]), Ok(4));
    assert_eq!(
        Element::new(0, b"ab").emit(&mut [0; 3]),
        Err(Error::Truncated)
    );
    assert_eq!(
        Element::new(0, &big).emit(&mut [0; 300]),
        Err(Error::BadLength)
    );
}

#[test]
fn ids() {
    assert_eq!(ElementId::from(45), ElementId::HtCapabilities);
    assert_eq!(u8::from(ElementId::Unknown(250)), 250);
    for id in 0..=255u8 {
        assert_eq!(u8::from(ElementId::from(id)), id);
    }
    assert_eq!(
        ElementRepr::Wmm(Wmm::Information {
            version: 1,
            qos_info: 0
        })
        .id(),
        ElementId::Vendor
    );
    assert_eq!(
        ElementRepr::Unknown { id: 42, data: &[] }.id(),
        ElementId::ErpInfo
    );
    assert_eq!(Element::new(255, &[]).ext_id(), None);
    assert_eq!(Element::new(221, &[1]).ext_id(), None);
}

#[test]
fn vendor_and_extension_minimal_layout() {
    assert_eq!(
        ElementRepr::parse(Element::new(221, &[0, 1])),
        Err(Error::BadLength)
    );
    assert_eq!(
        ElementRepr::parse(Element::new(221, &[0, 1, 2])),
        Ok(ElementRepr::Vendor {
            oui: [0, 1, 2],
            data: &[]
        })
    );
    assert_eq!(
        ElementRepr::parse(Element::new(255, &[])),
        Err(Error::BadLength)
    );
    assert_eq!(
        ElementRepr::parse(Element::new(255, &[35])),
        Ok(ElementRepr::Extension {
            ext_id: 35,
            data: &[]
        })
    );
}

/// hostapd's ieee802_11_parse_tests (src/common/common_module_tests.c):
/// framing errors are Truncated here as there; the elements hostapd skips
/// as too short (an empty extension element, a DS Parameter Set or Power
/// Capability of length 0) are layout errors here.
#[test]
fn hostapd_parse_table() {
    let cases: [(&[u8], Result<usize>); 12] = [
        (b"", Ok(0)),
        (b" ", Err(Error::Truncated)),
        (b"\xff\x01", Err(Error::Truncated)),
        (b"\xff\x00", Err(Error::BadLength)),
        (b"\xdd\x03\x01\x02\x03", Ok(1)),
        (b"\xdd\x04\x00\x50\xf2\x02", Ok(1)),
        (b"\xdd\x04\x00\x90\x4c\xff\xdd\x04\x00\x90\x4c\x33", Ok(2)),
        (b"\x10\x01\x00\x21\x00", Err(Error::BadLength)),
        (
            b"\x65\x12\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11",
            Ok(1),
        ),
        (
            b"\xff\x0d\x05\x11\x22\x33\x44\x55\x55\x11\x22\x33\x44\x55\x55",
            Ok(1),
        ),
        (
            b"\x03\x00\x2a\x00\x36\x00\x37\x00\x38\x00\x2d\x00\x3d\x00\xbf\x00\xc0\x00",
            Err(Error::BadLength),
        ),
        (b"\xc7\x01\x00", Ok(1)),
    ];
    for (bytes, expected) in cases {
        let got = ParsedElements::parse(bytes).map(|p| p.elements().count());
        assert_eq!(got, expected, "{bytes:02x?}");
        if expected.is_ok() {
            assert_eq!(reemit(bytes), bytes);
        }
    }
    // The framing of that last-but-one region is fine: 9 elements.
    let region = b"\x03\x00\x2a\x00\x36\x00\x37\x00\x38\x00\x2d\x00\x3d\x00\xbf\x00\xc0\x00";
    assert_eq!(validate(region), Ok(()));
    assert_eq!(Elements::new(region).count(), 9);
}

#[test]
fn hostile_framing() {
    // A lone ID octet, a header claiming more data than there is.
    for bad in [&[0x00][..], &[0x00, 0x01], &[0x00, 0xff, 1, 2, 3], &[0xdd]] {
        let mut it = Elements::new(bad);
        assert_eq!(it.next(), Some(Err(Error::Truncated)));
        assert!(it.failed());
        assert_eq!(it.offset(), 0);
        assert_eq!(it.next(), None);
        assert_eq!(it.next(), None);
        assert_eq!(validate(bad), Err(Error::Truncated));
        assert_eq!(ParsedElements::parse(bad), Err(Error::Truncated));
    }
    // A good element, then a bad one: one Ok, one Err, then nothing; the
    // offset points at the bad element.
    let region = [0x03, 0x01, 0x06, 0x00, 0x05, b'a'];
    let mut it = Elements::new(&region);
    assert_eq!(it.next(), Some(Ok(Element::new(3, &[6]))));
    assert_eq!(it.next(), Some(Err(Error::Truncated)));
    assert_eq!(it.offset(), 3);
    assert_eq!(it.remaining(), &region[3..]);
    assert_eq!(it.next(), None);
}

#[test]
fn a_malformed_element_fails_the_region_with_its_reason() {
    let mut region = hex("0003616263");
    // HT Capabilities of 25 octets.
    region.extend_from_slice(&[45, 25]);
    region.extend_from_slice(&[0; 25]);
    assert_eq!(validate(&region), Ok(()));
    assert_eq!(ParsedElements::parse(&region), Err(Error::BadLength));
    // A rate of zero.
    assert_eq!(
        ParsedElements::parse(&hex("01028200")),
        Err(Error::Malformed)
    );
    // A malformed duplicate also fails the region.
    assert_eq!(
        ParsedElements::parse(&hex("0301060300")),
        Err(Error::BadLength)
    );
}

#[test]
fn duplicates_first_wins() {
    let region = hex(
        "000161000162030106030107dd070050f2020001 00dd070050f202000105"
            .replace(' ', "")
            .as_str(),
    );
    let p = ParsedElements::parse(&region).unwrap();
    assert_eq!(p.ssid, Some(&b"a"[..]));
    assert_eq!(p.ds_channel, Some(6));
    assert_eq!(
        p.wmm,
        Some(Wmm::Information {
            version: 1,
            qos_info: 0
        })
    );
    assert_eq!(reemit(&region), region);
}

#[test]
fn every_prefix_of_a_real_region() {
    let region = beacon_37c3();
    let boundaries: Vec<usize> = Elements::new(&region)
        .scan(0, |off, e| {
            *off += e.unwrap().buffer_len();
            Some(*off)
        })
        .collect();
    for end in 0..=region.len() {
        let prefix = &region[..end];
        let at_boundary = end == 0 || boundaries.contains(&end);
        let parsed = ParsedElements::parse(prefix);
        let items: Vec<_> = Elements::new(prefix).collect();
        if at_boundary {
            assert!(parsed.is_ok(), "prefix {end}");
            assert!(items.iter().all(Result::is_ok));
            assert_eq!(reemit(prefix), prefix);
        } else {
            assert_eq!(parsed, Err(Error::Truncated), "prefix {end}");
            assert_eq!(validate(prefix), Err(Error::Truncated));
            // Only the last item is an error.
            assert_eq!(items.last(), Some(&Err(Error::Truncated)));
            assert!(items[..items.len() - 1].iter().all(Result::is_ok));
        }
    }
}

#[test]
fn every_prefix_of_every_element_data() {
    // Each element of the real beacons parsed with a shortened data slice:
    // an error or a value, never a panic; and a value re-emits exactly.
    let regions = [beacon_37c3(), martinet3(), hex(ASSOC_RESP)];
    for region in &regions {
        for e in Elements::new(region) {
            let e = e.unwrap();
            for len in 0..=e.data().len() {
                let short = Element::new(e.raw_id(), &e.data()[..len]);
                if let Ok(repr) = ElementRepr::parse(short) {
                    let mut out = Vec::new();
                    repr.emit_to_vec(&mut out).unwrap();
                    assert_eq!(&out[2..], short.data());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------
// Property tests.

const TYPED_IDS: [u8; 17] = [
    0, 1, 3, 5, 7, 33, 37, 45, 48, 50, 60, 61, 127, 191, 192, 221, 255,
];

#[derive(Debug, Clone)]
struct RsnSpec {
    version: u16,
    level: u8,
    group: [u8; 4],
    pairwise: Vec<Suite>,
    akm: Vec<Suite>,
    caps: u16,
    pmkids: Vec<Pmkid>,
    mgmt: [u8; 4],
    trailing: Vec<u8>,
}

impl RsnSpec {
    fn repr(&self) -> Rsn<'_> {
        let l = self.level;
        Rsn {
            version: self.version,
            group_cipher: (l >= 1).then_some(Suite(self.group)),
            pairwise_ciphers: (l >= 2).then(|| SuiteList::from_suites(&self.pairwise)),
            akm_suites: (l >= 3).then(|| SuiteList::from_suites(&self.akm)),
            capabilities: (l >= 4).then_some(self.caps),
            pmkids: (l >= 5).then(|| PmkidList::from_pmkids(&self.pmkids)),
            group_mgmt_cipher: (l >= 6).then_some(Suite(self.mgmt)),
            trailing: if l >= 6 { &self.trailing } else { &[] },
        }
    }
}

#[derive(Debug, Clone)]
enum Spec {
    Ssid(Vec<u8>),
    Rates(bool, Vec<u8>),
    Ds(u8),
    Tim(u8, u8, u8, Vec<u8>),
    Country([u8; 3], Vec<u8>),
    Power(i8, i8),
    Csa(u8, u8, u8),
    Ecsa(u8, u8, u8, u8),
    Ht(HtCapabilities),
    HtOp(HtOperation),
    Vht(VhtCapabilities),
    VhtOp(VhtOperation),
    Rsn(RsnSpec),
    ExtCap(Vec<u8>),
    Wmm(Wmm),
    Vendor([u8; 3], Vec<u8>),
    Ext(u8, Vec<u8>),
    Unknown(u8, Vec<u8>),
}

impl Spec {
    fn repr(&self) -> ElementRepr<'_> {
        match self {
            Spec::Ssid(s) => ElementRepr::Ssid(s),
            Spec::Rates(false, r) => ElementRepr::SupportedRates(Rates::new(r).unwrap()),
            Spec::Rates(true, r) => ElementRepr::ExtendedRates(Rates::new(r).unwrap()),
            Spec::Ds(channel) => ElementRepr::DsParams { channel: *channel },
            Spec::Tim(c, p, b, v) => ElementRepr::Tim(Tim {
                dtim_count: *c,
                dtim_period: *p,
                bitmap_control: *b,
                partial_virtual_bitmap: v,
            }),
            Spec::Country(country, triplets) => ElementRepr::Country(Country {
                country: *country,
                triplets,
            }),
            Spec::Power(min_dbm, max_dbm) => ElementRepr::PowerCapability {
                min_dbm: *min_dbm,
                max_dbm: *max_dbm,
            },
            Spec::Csa(mode, new_channel, count) => ElementRepr::ChannelSwitch(ChannelSwitch {
                mode: *mode,
                new_channel: *new_channel,
                count: *count,
            }),
            Spec::Ecsa(mode, new_operating_class, new_channel, count) => {
                ElementRepr::ExtendedChannelSwitch {
                    mode: *mode,
                    new_operating_class: *new_operating_class,
                    new_channel: *new_channel,
                    count: *count,
                }
            }
            Spec::Ht(h) => ElementRepr::HtCapabilities(*h),
            Spec::HtOp(h) => ElementRepr::HtOperation(*h),
            Spec::Vht(v) => ElementRepr::VhtCapabilities(*v),
            Spec::VhtOp(v) => ElementRepr::VhtOperation(*v),
            Spec::Rsn(r) => ElementRepr::Rsn(r.repr()),
            Spec::ExtCap(e) => ElementRepr::ExtendedCapabilities(e),
            Spec::Wmm(w) => ElementRepr::Wmm(*w),
            Spec::Vendor(oui, data) => ElementRepr::Vendor { oui: *oui, data },
            Spec::Ext(ext_id, data) => ElementRepr::Extension {
                ext_id: *ext_id,
                data,
            },
            Spec::Unknown(id, data) => ElementRepr::Unknown { id: *id, data },
        }
    }
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=max)
}

fn rate_byte() -> impl Strategy<Value = u8> {
    (1u8..=127, any::<bool>()).prop_map(|(v, b)| v | if b { 0x80 } else { 0 })
}

fn wmm_ac() -> impl Strategy<Value = WmmAc> {
    any::<(u8, u8, u16)>().prop_map(|(aci_aifsn, ecw, txop_limit)| WmmAc {
        aci_aifsn,
        ecw,
        txop_limit,
    })
}

fn rsn_spec() -> impl Strategy<Value = RsnSpec> {
    let suites = || prop::collection::vec(any::<[u8; 4]>().prop_map(Suite), 0..6);
    (
        any::<u16>(),
        0u8..=6,
        any::<[u8; 4]>(),
        suites(),
        suites(),
        any::<u16>(),
        prop::collection::vec(any::<Pmkid>(), 0..4),
        any::<[u8; 4]>(),
        bytes(20),
    )
        .prop_map(
            |(version, level, group, pairwise, akm, caps, pmkids, mgmt, trailing)| RsnSpec {
                version,
                level,
                group,
                pairwise,
                akm,
                caps,
                pmkids,
                mgmt,
                trailing,
            },
        )
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        bytes(32).prop_map(Spec::Ssid),
        (any::<bool>(), prop::collection::vec(rate_byte(), 1..=255))
            .prop_map(|(e, r)| Spec::Rates(e, r)),
        any::<u8>().prop_map(Spec::Ds),
        (
            any::<u8>(),
            any::<u8>(),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 1..=251)
        )
            .prop_map(|(a, b, c, v)| Spec::Tim(a, b, c, v)),
        (any::<[u8; 3]>(), 0usize..=83, any::<bool>(), bytes(255)).prop_map(
            |(c, n, pad, mut v)| {
                v.resize(3 * n + usize::from(pad), 0);
                Spec::Country(c, v)
            }
        ),
        any::<(i8, i8)>().prop_map(|(a, b)| Spec::Power(a, b)),
        any::<(u8, u8, u8)>().prop_map(|(a, b, c)| Spec::Csa(a, b, c)),
        any::<(u8, u8, u8, u8)>().prop_map(|(a, b, c, d)| Spec::Ecsa(a, b, c, d)),
        any::<(u16, u8, [u8; 16], u16, u32, u8)>().prop_map(|(c, a, m, e, t, s)| {
            Spec::Ht(HtCapabilities {
                cap_info: c,
                ampdu_params: a,
                mcs_set: m,
                ext_cap: e,
                txbf: t,
                asel: s,
            })
        }),
        any::<(u8, [u8; 5], [u8; 16])>().prop_map(|(p, i, m)| {
            Spec::HtOp(HtOperation {
                primary_channel: p,
                info: i,
                basic_mcs_set: m,
            })
        }),
        any::<(u32, u16, u16, u16, u16)>().prop_map(|(a, b, c, d, e)| {
            Spec::Vht(VhtCapabilities {
                cap_info: a,
                rx_mcs_map: b,
                rx_highest: c,
                tx_mcs_map: d,
                tx_highest: e,
            })
        }),
        any::<(u8, u8, u8, u16)>().prop_map(|(a, b, c, d)| {
            Spec::VhtOp(VhtOperation {
                channel_width: a,
                center_seg0: b,
                center_seg1: c,
                basic_mcs: d,
            })
        }),
        rsn_spec().prop_map(Spec::Rsn),
        bytes(255).prop_map(Spec::ExtCap),
        prop_oneof![
            any::<(u8, u8)>()
                .prop_map(|(version, qos_info)| Wmm::Information { version, qos_info }),
            (
                any::<(u8, u8, u8)>(),
                [wmm_ac(), wmm_ac(), wmm_ac(), wmm_ac()]
            )
                .prop_map(|((version, qos_info, reserved), ac)| {
                    Wmm::Parameter(WmmParameter {
                        version,
                        qos_info,
                        reserved,
                        ac,
                    })
                }),
        ]
        .prop_map(Spec::Wmm),
        (any::<[u8; 3]>(), bytes(252))
            .prop_filter("a WMM element would parse as Wmm", |(oui, data)| {
                !(*oui == WMM_OUI && matches!(data.as_slice(), [2, 0 | 1, ..]))
            })
            .prop_map(|(o, d)| Spec::Vendor(o, d)),
        (any::<u8>(), bytes(254)).prop_map(|(e, d)| Spec::Ext(e, d)),
        (
            any::<u8>().prop_filter("typed ID", |id| !TYPED_IDS.contains(id)),
            bytes(255)
        )
            .prop_map(|(i, d)| Spec::Unknown(i, d)),
    ]
}

/// The element data length each typed ID needs, to make random regions
/// that often parse.
fn natural_len(id: u8) -> Option<usize> {
    Some(match id {
        3 => 1,
        5 => 4,
        7 => 6,
        33 => 2,
        37 => 3,
        45 => 26,
        48 => 20,
        60 => 4,
        61 => 22,
        191 => 12,
        192 => 5,
        221 => 7,
        _ => return None,
    })
}

fn raw_element() -> impl Strategy<Value = (u8, Vec<u8>)> {
    let id = prop_oneof![prop::sample::select(TYPED_IDS.to_vec()), any::<u8>()];
    (id, bytes(60), any::<bool>()).prop_map(|(id, mut data, natural)| {
        if let Some(len) = natural_len(id).filter(|_| natural) {
            data.resize(len, 0x01);
        }
        (id, data)
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn emit_then_parse(spec in spec()) {
        let repr = spec.repr();
        let mut out = Vec::new();
        repr.emit_to_vec(&mut out).unwrap();
        prop_assert_eq!(out.len(), repr.buffer_len());
        let mut it = Elements::new(&out);
        let element = it.next().unwrap().unwrap();
        prop_assert!(it.next().is_none());
        prop_assert_eq!(ElementRepr::parse(element), Ok(repr));
    }

    #[test]
    fn emit_all_then_parse(specs in prop::collection::vec(spec(), 0..8)) {
        let reprs: Vec<ElementRepr<'_>> = specs.iter().map(Spec::repr).collect();
        let mut buf = vec![0u8; buffer_len_all(&reprs)];
        prop_assert_eq!(emit_all(&reprs, &mut buf), Ok(buf.len()));
        prop_assert!(ParsedElements::parse(&buf).is_ok());
        let back: Vec<ElementRepr<'_>> =
            Elements::new(&buf).map(|e| ElementRepr::parse(e.unwrap()).unwrap()).collect();
        prop_assert_eq!(back, reprs);
    }

    #[test]
    fn parse_then_emit(elements in prop::collection::vec(raw_element(), 0..10)) {
        let mut region = Vec::new();
        for (id, data) in &elements {
            region.push(*id);
            region.push(data.len() as u8);
            region.extend_from_slice(data);
        }
        let mut all_ok = true;
        for e in Elements::new(&region) {
            let e = e.unwrap();
            match ElementRepr::parse(e) {
                Ok(repr) => {
                    let mut out = Vec::new();
                    repr.emit_to_vec(&mut out).unwrap();
                    prop_assert_eq!(&out[..2], &[e.raw_id(), e.data().len() as u8][..]);
                    prop_assert_eq!(&out[2..], e.data());
                }
                Err(_) => all_ok = false,
            }
        }
        prop_assert_eq!(ParsedElements::parse(&region).is_ok(), all_ok);
        if all_ok {
            prop_assert_eq!(reemit(&region), region);
        }
    }

    #[test]
    fn random_bytes_never_panic(region in bytes(400)) {
        let mut it = Elements::new(&region);
        let mut errors = 0;
        for item in it.by_ref() {
            match item {
                Ok(e) => { let _ = ElementRepr::parse(e); }
                Err(e) => { prop_assert_eq!(e, Error::Truncated); errors += 1; }
            }
        }
        prop_assert!(errors <= 1);
        prop_assert!(it.next().is_none());
        prop_assert!(it.offset() <= region.len());
        if let Ok(p) = ParsedElements::parse(&region) {
            prop_assert_eq!(reemit(&region), region.clone());
            let _ = p.rate_set();
        }
    }
}
