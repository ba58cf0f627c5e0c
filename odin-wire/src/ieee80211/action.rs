//! Action frame bodies (9.6).
//!
//! The agent acts on the spectrum-management channel switch announcement
//! (it sends one to move a client's LVAP to another channel); public and
//! vendor-specific frames are parsed far enough to be passed through and
//! re-emitted byte for byte.

use crate::ie::{self, ChannelSwitch, ElementRepr};
use crate::{Error, Result};

enum_with_unknown! {
    /// Action category (9.4.1.11).
    pub enum ActionCategory(u8) {
        /// Spectrum management (802.11h).
        SpectrumMgmt = 0,
        /// QoS.
        Qos = 1,
        /// Block Ack.
        BlockAck = 3,
        /// Public.
        Public = 4,
        /// Radio measurement (802.11k).
        RadioMeasurement = 5,
        /// Fast BSS transition (802.11r).
        FastBssTransition = 6,
        /// HT.
        Ht = 7,
        /// SA Query.
        SaQuery = 8,
        /// Protected dual of public action.
        ProtectedDualOfPublic = 9,
        /// WNM (802.11v).
        Wnm = 10,
        /// VHT.
        Vht = 21,
        /// Vendor-specific protected.
        VendorProtected = 126,
        /// Vendor-specific.
        Vendor = 127,
    }
}

/// Spectrum management action code of a channel switch announcement.
pub const SPECTRUM_CHANNEL_SWITCH: u8 = 4;

/// The body of an action frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionRepr<'a> {
    /// Spectrum management channel switch announcement (9.6.2.6): the CSA
    /// element, then optional elements (secondary channel offset, wide
    /// bandwidth channel switch, ...), validated and kept as bytes.
    ChannelSwitch {
        /// The channel switch announcement.
        csa: ChannelSwitch,
        /// The optional elements that follow.
        elements: &'a [u8],
    },
    /// Another spectrum management action, passed through.
    SpectrumMgmt {
        /// Action code.
        action: u8,
        /// The rest of the body.
        body: &'a [u8],
    },
    /// A public action frame (category 4), passed through.
    Public {
        /// Public action code.
        action: u8,
        /// The rest of the body.
        body: &'a [u8],
    },
    /// A vendor-specific action frame (category 126 or 127), passed through.
    Vendor {
        /// True for category 126 (protected).
        protected: bool,
        /// Organization identifier.
        oui: [u8; 3],
        /// The rest of the body.
        body: &'a [u8],
    },
    /// Any other category, passed through.
    Other {
        /// The category (bit 7 set for an error return).
        category: u8,
        /// The rest of the body.
        body: &'a [u8],
    },
}

impl<'a> ActionRepr<'a> {
    /// Parses an action body (everything after the MAC header).
    pub fn parse(body: &'a [u8]) -> Result<ActionRepr<'a>> {
        let (&category, rest) = body.split_first().ok_or(Error::Truncated)?;
        Ok(match ActionCategory::from(category) {
            ActionCategory::SpectrumMgmt => {
                let (&action, rest) = rest.split_first().ok_or(Error::Truncated)?;
                if action == SPECTRUM_CHANNEL_SWITCH {
                    let mut iter = ie::Elements::new(rest);
                    let first = iter.next().ok_or(Error::Truncated)??;
                    let ElementRepr::ChannelSwitch(csa) = ElementRepr::parse(first)? else {
                        return Err(Error::Malformed);
                    };
                    let elements = rest.get(iter.offset()..).ok_or(Error::Truncated)?;
                    ie::validate(elements)?;
                    ActionRepr::ChannelSwitch { csa, elements }
                } else {
                    ActionRepr::SpectrumMgmt { action, body: rest }
                }
            }
            ActionCategory::Public => {
                let (&action, rest) = rest.split_first().ok_or(Error::Truncated)?;
                ActionRepr::Public { action, body: rest }
            }
            ActionCategory::Vendor | ActionCategory::VendorProtected => {
                let (oui, rest) = rest.split_at_checked(3).ok_or(Error::Truncated)?;
                let oui: [u8; 3] = oui.try_into().map_err(|_| Error::Truncated)?;
                ActionRepr::Vendor {
                    protected: category == 126,
                    oui,
                    body: rest,
                }
            }
            _ => ActionRepr::Other {
                category,
                body: rest,
            },
        })
    }

    /// The category octet.
    pub fn category(&self) -> u8 {
        match self {
            ActionRepr::ChannelSwitch { .. } | ActionRepr::SpectrumMgmt { .. } => 0,
            ActionRepr::Public { .. } => 4,
            ActionRepr::Vendor {
                protected: true, ..
            } => 126,
            ActionRepr::Vendor {
                protected: false, ..
            } => 127,
            ActionRepr::Other { category, .. } => *category,
        }
    }

    fn csa_element(csa: ChannelSwitch) -> ElementRepr<'static> {
        ElementRepr::ChannelSwitch(csa)
    }

    /// Length of the emitted body.
    pub fn buffer_len(&self) -> usize {
        1 + match self {
            ActionRepr::ChannelSwitch { csa, elements } => {
                1 + Self::csa_element(*csa).buffer_len() + elements.len()
            }
            ActionRepr::SpectrumMgmt { body, .. } | ActionRepr::Public { body, .. } => {
                1 + body.len()
            }
            ActionRepr::Vendor { body, .. } => 3 + body.len(),
            ActionRepr::Other { body, .. } => body.len(),
        }
    }

    /// Emits the body into `buf` (at least [`buffer_len`](Self::buffer_len) bytes).
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let buf = buf.get_mut(..self.buffer_len()).ok_or(Error::Truncated)?;
        let (category, rest) = buf.split_first_mut().ok_or(Error::Truncated)?;
        *category = self.category();
        let copy = |dst: &mut [u8], src: &[u8]| -> Result<()> {
            dst.get_mut(..src.len())
                .ok_or(Error::Truncated)?
                .copy_from_slice(src);
            Ok(())
        };
        match self {
            ActionRepr::ChannelSwitch { csa, elements } => {
                let (action, rest) = rest.split_first_mut().ok_or(Error::Truncated)?;
                *action = SPECTRUM_CHANNEL_SWITCH;
                let written = Self::csa_element(*csa).emit(rest)?;
                copy(rest.get_mut(written..).ok_or(Error::Truncated)?, elements)
            }
            ActionRepr::SpectrumMgmt { action: code, body }
            | ActionRepr::Public { action: code, body } => {
                let (action, rest) = rest.split_first_mut().ok_or(Error::Truncated)?;
                *action = *code;
                copy(rest, body)
            }
            ActionRepr::Vendor { oui, body, .. } => {
                let (head, rest) = rest.split_at_mut_checked(3).ok_or(Error::Truncated)?;
                head.copy_from_slice(oui);
                copy(rest, body)
            }
            ActionRepr::Other { body, .. } => copy(rest, body),
        }
    }
}
