//! The RSN element (IEEE 802.11-2020 9.4.2.24): cipher and AKM suites.

use super::cursor::{Reader, Writer};
use crate::{Error, Result};

/// The OUI of the suites IEEE 802.11 defines (00-0F-AC).
pub const IEEE_OUI: [u8; 3] = [0x00, 0x0f, 0xac];

enum_with_unknown! {
    /// A cipher suite type under the IEEE OUI 00-0F-AC (Table 9-149).
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
    pub enum CipherSuite(u8) {
        /// Use the group cipher suite (pairwise only).
        UseGroup = 0,
        /// WEP-40.
        Wep40 = 1,
        /// TKIP.
        Tkip = 2,
        /// CCMP-128 (AES), the WPA2 default.
        Ccmp128 = 4,
        /// WEP-104.
        Wep104 = 5,
        /// BIP-CMAC-128 (group management).
        BipCmac128 = 6,
        /// Group-addressed traffic not allowed.
        GroupNotAllowed = 7,
        /// GCMP-128.
        Gcmp128 = 8,
        /// GCMP-256.
        Gcmp256 = 9,
        /// CCMP-256.
        Ccmp256 = 10,
        /// BIP-GMAC-128.
        BipGmac128 = 11,
        /// BIP-GMAC-256.
        BipGmac256 = 12,
        /// BIP-CMAC-256.
        BipCmac256 = 13,
    }
}

enum_with_unknown! {
    /// An AKM suite type under the IEEE OUI 00-0F-AC (Table 9-151).
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
    pub enum AkmSuite(u8) {
        /// IEEE 802.1X (WPA2-Enterprise).
        Ieee8021x = 1,
        /// PSK (WPA2-Personal).
        Psk = 2,
        /// FT over IEEE 802.1X.
        FtIeee8021x = 3,
        /// FT with PSK.
        FtPsk = 4,
        /// IEEE 802.1X with SHA-256.
        Ieee8021xSha256 = 5,
        /// PSK with SHA-256.
        PskSha256 = 6,
        /// TDLS.
        Tdls = 7,
        /// SAE (WPA3-Personal).
        Sae = 8,
        /// FT with SAE.
        FtSae = 9,
        /// AP peer key.
        ApPeerKey = 10,
        /// IEEE 802.1X Suite B (SHA-256).
        Ieee8021xSuiteB = 11,
        /// IEEE 802.1X Suite B 192-bit.
        Ieee8021xSuiteB192 = 12,
        /// FT over IEEE 802.1X with SHA-384.
        FtIeee8021xSha384 = 13,
        /// FILS with SHA-256.
        FilsSha256 = 14,
        /// FILS with SHA-384.
        FilsSha384 = 15,
        /// FT with FILS, SHA-256.
        FtFilsSha256 = 16,
        /// FT with FILS, SHA-384.
        FtFilsSha384 = 17,
        /// Opportunistic Wireless Encryption.
        Owe = 18,
        /// FT with PSK, SHA-384.
        FtPskSha384 = 19,
        /// PSK with SHA-384.
        PskSha384 = 20,
        /// SAE with a group-dependent hash.
        SaeExtKey = 24,
        /// FT with SAE, group-dependent hash.
        FtSaeExtKey = 25,
    }
}

/// A cipher or AKM suite selector: an OUI and a suite type, four octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Suite(pub [u8; 4]);

impl Suite {
    /// TKIP.
    pub const TKIP: Suite = Suite::ieee(2);
    /// CCMP-128.
    pub const CCMP_128: Suite = Suite::ieee(4);
    /// BIP-CMAC-128.
    pub const BIP_CMAC_128: Suite = Suite::ieee(6);
    /// GCMP-128.
    pub const GCMP_128: Suite = Suite::ieee(8);
    /// GCMP-256.
    pub const GCMP_256: Suite = Suite::ieee(9);
    /// CCMP-256.
    pub const CCMP_256: Suite = Suite::ieee(10);
    /// BIP-GMAC-128.
    pub const BIP_GMAC_128: Suite = Suite::ieee(11);
    /// BIP-GMAC-256.
    pub const BIP_GMAC_256: Suite = Suite::ieee(12);
    /// BIP-CMAC-256.
    pub const BIP_CMAC_256: Suite = Suite::ieee(13);
    /// AKM: IEEE 802.1X.
    pub const AKM_8021X: Suite = Suite::ieee(1);
    /// AKM: PSK.
    pub const AKM_PSK: Suite = Suite::ieee(2);
    /// AKM: FT over IEEE 802.1X.
    pub const AKM_FT_8021X: Suite = Suite::ieee(3);
    /// AKM: FT with PSK.
    pub const AKM_FT_PSK: Suite = Suite::ieee(4);
    /// AKM: PSK with SHA-256.
    pub const AKM_PSK_SHA256: Suite = Suite::ieee(6);
    /// AKM: SAE.
    pub const AKM_SAE: Suite = Suite::ieee(8);
    /// AKM: FT with SAE.
    pub const AKM_FT_SAE: Suite = Suite::ieee(9);
    /// AKM: OWE.
    pub const AKM_OWE: Suite = Suite::ieee(18);

    /// The suite `suite_type` under the IEEE OUI 00-0F-AC.
    pub const fn ieee(suite_type: u8) -> Suite {
        let [a, b, c] = IEEE_OUI;
        Suite([a, b, c, suite_type])
    }

    /// The OUI (or CID).
    pub const fn oui(&self) -> [u8; 3] {
        let [a, b, c, _] = self.0;
        [a, b, c]
    }

    /// The suite type octet.
    pub const fn suite_type(&self) -> u8 {
        self.0[3]
    }

    /// True when the suite is under the IEEE OUI.
    pub fn is_ieee(&self) -> bool {
        self.oui() == IEEE_OUI
    }

    /// The cipher, when this is an IEEE cipher suite selector.
    pub fn cipher(&self) -> Option<CipherSuite> {
        self.is_ieee().then(|| CipherSuite::from(self.suite_type()))
    }

    /// The AKM, when this is an IEEE AKM suite selector.
    pub fn akm(&self) -> Option<AkmSuite> {
        self.is_ieee().then(|| AkmSuite::from(self.suite_type()))
    }
}

impl From<CipherSuite> for Suite {
    fn from(c: CipherSuite) -> Suite {
        Suite::ieee(c.into())
    }
}

impl From<AkmSuite> for Suite {
    fn from(a: AkmSuite) -> Suite {
        Suite::ieee(a.into())
    }
}

#[derive(Debug, Clone, Copy)]
enum SuiteSource<'a> {
    Wire(&'a [u8]),
    Suites(&'a [Suite]),
}

/// A list of suite selectors: borrowed from the wire (by
/// [`Rsn`] parsing) or from a slice of [`Suite`]s (to build an element).
/// Two lists are equal when they hold the same suites, wherever from.
#[derive(Debug, Clone, Copy)]
pub struct SuiteList<'a>(SuiteSource<'a>);

impl<'a> SuiteList<'a> {
    /// A list of the given suites.
    pub const fn from_suites(suites: &'a [Suite]) -> SuiteList<'a> {
        SuiteList(SuiteSource::Suites(suites))
    }

    /// Wire octets, four per suite ([`Error::BadLength`] otherwise).
    pub fn from_bytes(bytes: &'a [u8]) -> Result<SuiteList<'a>> {
        if bytes.len() % 4 != 0 {
            return Err(Error::BadLength);
        }
        Ok(SuiteList(SuiteSource::Wire(bytes)))
    }

    /// Number of suites.
    pub fn len(&self) -> usize {
        match self.0 {
            SuiteSource::Wire(b) => b.len() / 4,
            SuiteSource::Suites(s) => s.len(),
        }
    }

    /// True when the list is empty (a count of zero on the wire).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The suites, in order.
    pub fn iter(&self) -> SuiteIter<'a> {
        SuiteIter(match self.0 {
            SuiteSource::Wire(b) => SuiteIterInner::Wire(b.chunks_exact(4)),
            SuiteSource::Suites(s) => SuiteIterInner::Suites(s.iter()),
        })
    }

    /// True when `suite` is listed.
    pub fn contains(&self, suite: Suite) -> bool {
        self.iter().any(|s| s == suite)
    }

    fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        let count = u16::try_from(self.len()).map_err(|_| Error::BadLength)?;
        w.u16_le(count)?;
        match self.0 {
            SuiteSource::Wire(b) => w.put(b),
            SuiteSource::Suites(s) => s.iter().try_for_each(|suite| w.put(&suite.0)),
        }
    }
}

impl PartialEq for SuiteList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for SuiteList<'_> {}

impl<'a> IntoIterator for SuiteList<'a> {
    type Item = Suite;
    type IntoIter = SuiteIter<'a>;
    fn into_iter(self) -> SuiteIter<'a> {
        self.iter()
    }
}

#[derive(Debug, Clone)]
enum SuiteIterInner<'a> {
    Wire(core::slice::ChunksExact<'a, u8>),
    Suites(core::slice::Iter<'a, Suite>),
}

/// Iterator over a [`SuiteList`].
#[derive(Debug, Clone)]
pub struct SuiteIter<'a>(SuiteIterInner<'a>);

impl Iterator for SuiteIter<'_> {
    type Item = Suite;
    fn next(&mut self) -> Option<Suite> {
        match &mut self.0 {
            SuiteIterInner::Wire(chunks) => Some(Suite(chunks.next()?.try_into().ok()?)),
            SuiteIterInner::Suites(iter) => iter.next().copied(),
        }
    }
}

/// A PMKID: 16 octets.
pub type Pmkid = [u8; 16];

#[derive(Debug, Clone, Copy)]
enum PmkidSource<'a> {
    Wire(&'a [u8]),
    Pmkids(&'a [Pmkid]),
}

/// A list of PMKIDs, borrowed from the wire or from a slice of [`Pmkid`]s.
#[derive(Debug, Clone, Copy)]
pub struct PmkidList<'a>(PmkidSource<'a>);

impl<'a> PmkidList<'a> {
    /// A list of the given PMKIDs.
    pub const fn from_pmkids(pmkids: &'a [Pmkid]) -> PmkidList<'a> {
        PmkidList(PmkidSource::Pmkids(pmkids))
    }

    /// Wire octets, sixteen per PMKID ([`Error::BadLength`] otherwise).
    pub fn from_bytes(bytes: &'a [u8]) -> Result<PmkidList<'a>> {
        if bytes.len() % 16 != 0 {
            return Err(Error::BadLength);
        }
        Ok(PmkidList(PmkidSource::Wire(bytes)))
    }

    /// Number of PMKIDs.
    pub fn len(&self) -> usize {
        match self.0 {
            PmkidSource::Wire(b) => b.len() / 16,
            PmkidSource::Pmkids(p) => p.len(),
        }
    }

    /// True when the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The PMKIDs, in order.
    pub fn iter(&self) -> impl Iterator<Item = Pmkid> + 'a {
        let (wire, owned): (&'a [u8], &'a [Pmkid]) = match self.0 {
            PmkidSource::Wire(b) => (b, &[]),
            PmkidSource::Pmkids(p) => (&[], p),
        };
        wire.chunks_exact(16)
            .filter_map(|c| Pmkid::try_from(c).ok())
            .chain(owned.iter().copied())
    }

    fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        let count = u16::try_from(self.len()).map_err(|_| Error::BadLength)?;
        w.u16_le(count)?;
        match self.0 {
            PmkidSource::Wire(b) => w.put(b),
            PmkidSource::Pmkids(p) => p.iter().try_for_each(|id| w.put(id)),
        }
    }
}

impl PartialEq for PmkidList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for PmkidList<'_> {}

/// An RSN element.
///
/// Every field after the version is optional on the wire, and a field can
/// only be present when all the fields before it are. Parsing records
/// exactly which fields were there, so emitting gives back the same bytes;
/// to build an element, fill the fields in order ([`Rsn::new`] does the
/// usual ones).
///
/// Parsing follows hostapd's `wpa_parse_wpa_ie_rsn` on layout: a partial
/// group cipher, pairwise count or AKM count, and a suite or PMKID count
/// larger than the data left, are [`Error::BadLength`]; from the RSN
/// capabilities on, data too short for the next field ends the parse and is
/// kept in [`trailing`](Rsn::trailing), as are any octets after the group
/// management cipher. Values are not judged (a version other than 1, a
/// count of zero, an unknown suite all parse): that is policy for the
/// caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rsn<'a> {
    /// The version (1).
    pub version: u16,
    /// Group data cipher suite.
    pub group_cipher: Option<Suite>,
    /// Pairwise cipher suite list.
    pub pairwise_ciphers: Option<SuiteList<'a>>,
    /// AKM suite list.
    pub akm_suites: Option<SuiteList<'a>>,
    /// RSN capabilities (see the `CAP_*` constants).
    pub capabilities: Option<u16>,
    /// PMKID list.
    pub pmkids: Option<PmkidList<'a>>,
    /// Group management cipher suite.
    pub group_mgmt_cipher: Option<Suite>,
    /// Octets after the last field parsed, emitted as they are.
    pub trailing: &'a [u8],
}

impl<'a> Rsn<'a> {
    /// The only version defined.
    pub const VERSION: u16 = 1;

    /// Capability: pre-authentication.
    pub const CAP_PREAUTH: u16 = 1 << 0;
    /// Capability: no pairwise.
    pub const CAP_NO_PAIRWISE: u16 = 1 << 1;
    /// Capability: PTKSA replay counter field (two bits).
    pub const CAP_PTKSA_REPLAY_MASK: u16 = 0b11 << 2;
    /// Capability: GTKSA replay counter field (two bits).
    pub const CAP_GTKSA_REPLAY_MASK: u16 = 0b11 << 4;
    /// Capability: management frame protection required.
    pub const CAP_MFP_REQUIRED: u16 = 1 << 6;
    /// Capability: management frame protection capable.
    pub const CAP_MFP_CAPABLE: u16 = 1 << 7;
    /// Capability: extended key ID for individually addressed frames.
    pub const CAP_EXT_KEY_ID: u16 = 1 << 13;
    /// Capability: operating channel validation.
    pub const CAP_OCVC: u16 = 1 << 14;

    /// Version 1 with a group cipher, pairwise and AKM lists and
    /// capabilities; no PMKIDs or group management cipher.
    pub const fn new(
        group_cipher: Suite,
        pairwise_ciphers: SuiteList<'a>,
        akm_suites: SuiteList<'a>,
        capabilities: u16,
    ) -> Rsn<'a> {
        Rsn {
            version: Self::VERSION,
            group_cipher: Some(group_cipher),
            pairwise_ciphers: Some(pairwise_ciphers),
            akm_suites: Some(akm_suites),
            capabilities: Some(capabilities),
            pmkids: None,
            group_mgmt_cipher: None,
            trailing: &[],
        }
    }

    pub(crate) fn parse(data: &'a [u8]) -> Result<Rsn<'a>> {
        let mut r = Reader::new(data);
        let mut rsn = Rsn {
            version: r.u16_le()?,
            group_cipher: None,
            pairwise_ciphers: None,
            akm_suites: None,
            capabilities: None,
            pmkids: None,
            group_mgmt_cipher: None,
            trailing: &[],
        };
        // Partial fields up to the AKM list are errors; `Reader` reports
        // them as BadLength.
        if r.remaining() > 0 {
            rsn.group_cipher = Some(Suite(r.array()?));
        }
        if r.remaining() > 0 {
            rsn.pairwise_ciphers = Some(suite_list(&mut r)?);
        }
        if r.remaining() > 0 {
            rsn.akm_suites = Some(suite_list(&mut r)?);
        }
        // From here, a field that does not fit ends the parse.
        if r.remaining() >= 2 {
            rsn.capabilities = Some(r.u16_le()?);
            if r.remaining() >= 2 {
                let count = usize::from(r.u16_le()?);
                let bytes = r.take(count.checked_mul(16).ok_or(Error::BadLength)?)?;
                rsn.pmkids = Some(PmkidList(PmkidSource::Wire(bytes)));
                if r.remaining() >= 4 {
                    rsn.group_mgmt_cipher = Some(Suite(r.array()?));
                }
            }
        }
        rsn.trailing = r.take_rest();
        Ok(rsn)
    }

    /// Checks that no field is present after an absent one
    /// ([`Error::Malformed`]).
    pub(crate) fn check(&self) -> Result<()> {
        let present = [
            self.group_cipher.is_some(),
            self.pairwise_ciphers.is_some(),
            self.akm_suites.is_some(),
            self.capabilities.is_some(),
            self.pmkids.is_some(),
            self.group_mgmt_cipher.is_some(),
        ];
        if present.windows(2).any(|w| matches!(w, [false, true])) {
            return Err(Error::Malformed);
        }
        Ok(())
    }

    pub(crate) fn data_len(&self) -> usize {
        2 + self.group_cipher.map_or(0, |_| 4)
            + self.pairwise_ciphers.map_or(0, |l| 2 + 4 * l.len())
            + self.akm_suites.map_or(0, |l| 2 + 4 * l.len())
            + self.capabilities.map_or(0, |_| 2)
            + self.pmkids.map_or(0, |l| 2 + 16 * l.len())
            + self.group_mgmt_cipher.map_or(0, |_| 4)
            + self.trailing.len()
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        w.u16_le(self.version)?;
        if let Some(s) = self.group_cipher {
            w.put(&s.0)?;
        }
        if let Some(l) = self.pairwise_ciphers {
            l.emit(w)?;
        }
        if let Some(l) = self.akm_suites {
            l.emit(w)?;
        }
        if let Some(c) = self.capabilities {
            w.u16_le(c)?;
        }
        if let Some(l) = self.pmkids {
            l.emit(w)?;
        }
        if let Some(s) = self.group_mgmt_cipher {
            w.put(&s.0)?;
        }
        w.put(self.trailing)
    }

    /// The pairwise ciphers (none when the field is absent).
    pub fn pairwise(&self) -> impl Iterator<Item = Suite> + 'a {
        self.pairwise_ciphers.into_iter().flatten()
    }

    /// The AKM suites (none when the field is absent).
    pub fn akms(&self) -> impl Iterator<Item = Suite> + 'a {
        self.akm_suites.into_iter().flatten()
    }

    /// Capabilities, zero when absent.
    pub fn capabilities_or_default(&self) -> u16 {
        self.capabilities.unwrap_or(0)
    }

    /// Management frame protection required.
    pub fn mfp_required(&self) -> bool {
        self.capabilities_or_default() & Self::CAP_MFP_REQUIRED != 0
    }

    /// Management frame protection capable.
    pub fn mfp_capable(&self) -> bool {
        self.capabilities_or_default() & Self::CAP_MFP_CAPABLE != 0
    }
}

fn suite_list<'a>(r: &mut Reader<'a>) -> Result<SuiteList<'a>> {
    let count = usize::from(r.u16_le()?);
    let bytes = r.take(count.checked_mul(4).ok_or(Error::BadLength)?)?;
    Ok(SuiteList(SuiteSource::Wire(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ie::{Element, ElementRepr};

    fn parse(bytes: &[u8]) -> Result<ElementRepr<'_>> {
        let (&id, rest) = bytes.split_first().ok_or(Error::Truncated)?;
        let (&len, data) = rest.split_first().ok_or(Error::Truncated)?;
        assert_eq!(usize::from(len), data.len());
        ElementRepr::parse(Element::new(id, data))
    }

    fn rsn(bytes: &[u8]) -> Rsn<'_> {
        match parse(bytes) {
            Ok(ElementRepr::Rsn(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn round_trip(bytes: &[u8]) {
        let repr = parse(bytes).unwrap();
        let mut out = Vec::new();
        repr.emit_to_vec(&mut out).unwrap();
        assert_eq!(out, bytes);
    }

    // From a real 37C3 beacon (bins/frames/beacon.bin in the ieee80211-rs
    // crate, github.com/Frostie314159/ieee80211-rs): WPA2-Enterprise with
    // MFP capable and BIP-CMAC-128.
    const RSN_37C3: [u8; 28] = [
        0x30, 0x1a, 0x01, 0x00, 0x00, 0x0f, 0xac, 0x04, 0x01, 0x00, 0x00, 0x0f, 0xac, 0x04, 0x01,
        0x00, 0x00, 0x0f, 0xac, 0x01, 0xa8, 0x00, 0x00, 0x00, 0x00, 0x0f, 0xac, 0x06,
    ];

    #[test]
    fn deconstruct_real_beacon() {
        let r = rsn(&RSN_37C3);
        assert_eq!(r.version, 1);
        assert_eq!(r.group_cipher, Some(Suite::CCMP_128));
        assert_eq!(r.group_cipher.unwrap().cipher(), Some(CipherSuite::Ccmp128));
        assert_eq!(r.pairwise().collect::<Vec<_>>(), [Suite::CCMP_128]);
        assert_eq!(
            r.akms().map(|s| s.akm()).collect::<Vec<_>>(),
            [Some(AkmSuite::Ieee8021x)]
        );
        assert_eq!(r.capabilities, Some(0x00a8));
        assert!(r.mfp_capable() && !r.mfp_required());
        assert_eq!(r.pmkids.map(|p| p.len()), Some(0));
        assert_eq!(r.group_mgmt_cipher, Some(Suite::BIP_CMAC_128));
        assert!(r.trailing.is_empty());
        round_trip(&RSN_37C3);
    }

    #[test]
    fn construct() {
        // bins/elements/rsn.bin of the ieee80211-rs crate
        // (github.com/Frostie314159/ieee80211-rs), with its header: WPA2-PSK,
        // CCMP/CCMP, 16 PTKSA replay counters (what hostapd sets with WMM).
        let expected = [
            0x30, 0x14, 0x01, 0x00, 0x00, 0x0f, 0xac, 0x04, 0x01, 0x00, 0x00, 0x0f, 0xac, 0x04,
            0x01, 0x00, 0x00, 0x0f, 0xac, 0x02, 0x0c, 0x00,
        ];
        let repr = ElementRepr::Rsn(Rsn::new(
            Suite::CCMP_128,
            SuiteList::from_suites(&[Suite::CCMP_128]),
            SuiteList::from_suites(&[Suite::AKM_PSK]),
            Rsn::CAP_PTKSA_REPLAY_MASK,
        ));
        let mut buf = [0u8; 22];
        assert_eq!(repr.emit(&mut buf), Ok(22));
        assert_eq!(buf, expected);
        // A list built from suites equals the same list read from the wire.
        assert_eq!(parse(&expected), Ok(repr));

        // With a PMKID and a group management cipher (WPA3-SAE with MFP
        // required, as a station sends it when resuming a PMKSA).
        let pmkid = [0x11; 16];
        let pmkids = [pmkid];
        let full = Rsn {
            capabilities: Some(Rsn::CAP_MFP_CAPABLE | Rsn::CAP_MFP_REQUIRED),
            pmkids: Some(PmkidList::from_pmkids(&pmkids)),
            group_mgmt_cipher: Some(Suite::BIP_CMAC_128),
            ..Rsn::new(
                Suite::CCMP_128,
                SuiteList::from_suites(&[Suite::CCMP_128]),
                SuiteList::from_suites(&[Suite::AKM_SAE]),
                0,
            )
        };
        let mut out = Vec::new();
        ElementRepr::Rsn(full).emit_to_vec(&mut out).unwrap();
        assert_eq!(out.len(), 2 + 20 + 2 + 16 + 4);
        let back = rsn(&out);
        assert_eq!(back, full);
        assert_eq!(back.pmkids.unwrap().iter().collect::<Vec<_>>(), [pmkid]);
        assert!(back.mfp_required());
    }

    #[test]
    fn optional_fields_as_on_the_wire() {
        let r = rsn(b"\x30\x02\x01\x00");
        assert_eq!(r.group_cipher, None);
        assert_eq!(r.data_len(), 2);
        let r = rsn(b"\x30\x06\x01\x00\x00\x0f\xac\x04");
        assert_eq!(
            (r.group_cipher, r.pairwise_ciphers),
            (Some(Suite::CCMP_128), None)
        );
        round_trip(b"\x30\x06\x01\x00\x00\x0f\xac\x04");
    }

    // The accepted vectors of hostapd's rsn_ie_parse_tests
    // (src/common/common_module_tests.c, hostap 2.10): all must parse and
    // re-emit byte for byte.
    const HOSTAPD_OK: [&[u8]; 13] = [
        b"\x30\x02\x01\x00",
        b"\x30\x02\x00\x00",
        b"\x30\x02\x02\x00",
        b"\x30\x06\x01\x00\x00\x0f\xac\x04",
        b"\x30\x0c\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04",
        b"\x30\x10\x01\x00\x00\x0f\xac\x04\x02\x00\x00\x0f\xac\x04\x00\x0f\xac\x08",
        b"\x30\x12\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x01",
        b"\x30\x16\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x02\x00\x00\x0f\xac\x01\x00\x0f\xac\x02",
        b"\x30\x13\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x01\x00",
        b"\x30\x14\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x01\x00\x00",
        b"\x30\x16\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x01\x00\x00\x00\x00",
        b"\x30\x1a\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x01\x00\x00\x00\x00\x00\x0f\xac\x06",
        b"\x30\x1c\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x01\x00\x00\x00\x00\x00\x0f\xac\x06\x01\x02",
    ];

    #[test]
    fn hostapd_vectors_round_trip() {
        for v in HOSTAPD_OK {
            round_trip(v);
        }
        // The one trailing octet where the capabilities would be.
        let r = rsn(HOSTAPD_OK[8]);
        assert_eq!((r.capabilities, r.trailing), (None, &[0u8][..]));
        // Octets after the group management cipher.
        let r = rsn(HOSTAPD_OK[12]);
        assert_eq!(r.group_mgmt_cipher, Some(Suite::BIP_CMAC_128));
        assert_eq!(r.trailing, &[1, 2]);
        // Versions 0 and 2 parse: judging them is up to the caller.
        assert_eq!(rsn(HOSTAPD_OK[1]).version, 0);
    }

    #[test]
    fn hostapd_layout_errors() {
        // From the same table: the vectors hostapd rejects for layout.
        for v in [
            &b"\x30\x00"[..],                                 // no version
            b"\x30\x03\x01\x00\x00",                          // partial group cipher
            b"\x30\x07\x01\x00\x00\x0f\xac\x04\x00",          // partial pairwise count
            b"\x30\x08\x01\x00\x00\x0f\xac\x04\x00\x01",      // pairwise count 1, no suite
            b"\x30\x0c\x01\x00\x00\x0f\xac\x04\x00\x01\x00\x0f\xac\x04", // count 256
            b"\x30\x0d\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x00", // partial AKM count
            b"\x30\x0e\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x00\x01", // AKM count 256
            b"\x30\x16\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x01\x00\x00\x00\x01", // PMKID count 1, none there
        ] {
            assert_eq!(parse(v), Err(Error::BadLength), "{v:02x?}");
        }
        // hostapd rejects these on values, not layout; here they parse.
        for v in [
            &b"\x30\x06\x01\x00\x00\x00\x00\x00"[..],
            b"\x30\x08\x01\x00\x00\x0f\xac\x04\x00\x00",
            b"\x30\x0c\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x06",
            b"\x30\x1a\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x04\x01\x00\x00\x0f\xac\x01\x00\x00\x00\x00\x00\x00\x00\x00",
        ] {
            round_trip(v);
        }
    }

    #[test]
    fn emit_refuses_gaps() {
        let gap = Rsn {
            pairwise_ciphers: None,
            ..Rsn::new(
                Suite::CCMP_128,
                SuiteList::from_suites(&[]),
                SuiteList::from_suites(&[Suite::AKM_PSK]),
                0,
            )
        };
        assert_eq!(
            ElementRepr::Rsn(gap).emit(&mut [0u8; 64]),
            Err(Error::Malformed)
        );
        assert_eq!(SuiteList::from_bytes(&[0; 5]), Err(Error::BadLength));
        assert_eq!(PmkidList::from_bytes(&[0; 17]), Err(Error::BadLength));
        assert!(SuiteList::from_bytes(&[]).unwrap().is_empty());
        assert!(PmkidList::from_bytes(&[0; 32]).unwrap().len() == 2);
    }

    #[test]
    fn suites() {
        assert_eq!(Suite::from(CipherSuite::Gcmp256), Suite::GCMP_256);
        assert_eq!(Suite::from(AkmSuite::Sae), Suite::AKM_SAE);
        assert_eq!(Suite::AKM_FT_PSK.akm(), Some(AkmSuite::FtPsk));
        assert_eq!(Suite::ieee(200).cipher(), Some(CipherSuite::Unknown(200)));
        // A vendor suite (WPA1's 00:50:f2) has no IEEE meaning.
        let wpa = Suite([0x00, 0x50, 0xf2, 0x02]);
        assert_eq!(
            (wpa.cipher(), wpa.akm(), wpa.oui()),
            (None, None, [0x00, 0x50, 0xf2])
        );
        let list =
            SuiteList::from_bytes(&[0x00, 0x0f, 0xac, 0x04, 0x00, 0x0f, 0xac, 0x08]).unwrap();
        assert!(list.contains(Suite::GCMP_128) && !list.contains(Suite::TKIP));
        assert_eq!(
            list,
            SuiteList::from_suites(&[Suite::CCMP_128, Suite::GCMP_128])
        );
        assert_ne!(list, SuiteList::from_suites(&[Suite::CCMP_128]));
    }
}
