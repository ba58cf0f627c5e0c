//! The Country element (IEEE 802.11-2020 9.4.2.8).

use super::cursor::{Reader, Writer};
use crate::{Error, Result};

/// A Country element: a three-octet country string, then triplets of
/// three octets, then (when the element length would otherwise be odd) one
/// pad octet.
///
/// The triplet octets (pad included) are kept as they were on the wire, so
/// emitting gives back the same bytes; [`Country::triplets`] reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country<'a> {
    /// Two ASCII letters (ISO 3166-1) and an environment octet: `b' '` any,
    /// `b'O'` outdoor, `b'I'` indoor, `b'X'` non-country entity, or a table
    /// number of IEEE 802.11-2020 Annex E (4 for global operating classes).
    pub country: [u8; 3],
    /// The triplet octets and the optional pad octet. A length of 3n or
    /// 3n + 1 is valid; 3n + 2 is [`Error::BadLength`].
    pub triplets: &'a [u8],
}

impl<'a> Country<'a> {
    pub(crate) fn parse(data: &'a [u8]) -> Result<Country<'a>> {
        let mut r = Reader::new(data);
        let country = r.array()?;
        let c = Country {
            country,
            triplets: r.take_rest(),
        };
        c.check()?;
        Ok(c)
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.triplets.len() % 3 == 2 {
            return Err(Error::BadLength);
        }
        Ok(())
    }

    pub(crate) fn data_len(&self) -> usize {
        3 + self.triplets.len()
    }

    pub(crate) fn emit(&self, w: &mut Writer<'_>) -> Result<()> {
        w.put(&self.country)?;
        w.put(self.triplets)
    }

    /// The two-letter country code.
    pub fn code(&self) -> [u8; 2] {
        let [a, b, _] = self.country;
        [a, b]
    }

    /// The environment octet (third octet of the country string).
    pub const fn environment(&self) -> u8 {
        self.country[2]
    }

    /// The triplets, in order; a trailing pad octet is skipped.
    pub fn triplets(&self) -> CountryTriplets<'a> {
        CountryTriplets {
            chunks: self.triplets.chunks_exact(3),
        }
    }

    /// The pad octet, if present.
    pub fn pad(&self) -> Option<u8> {
        self.triplets.chunks_exact(3).remainder().first().copied()
    }
}

/// One triplet of a Country element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CountryTriplet {
    /// A range of channels and the highest transmit power allowed on them.
    Subband {
        /// The lowest channel of the range.
        first_channel: u8,
        /// How many channels the range holds.
        num_channels: u8,
        /// Maximum transmit power, dBm.
        max_tx_power_dbm: i8,
    },
    /// An operating class (first octet 201 or more): the subband triplets
    /// that follow apply to it.
    Operating {
        /// The operating extension identifier (201..=255).
        extension_id: u8,
        /// The operating class.
        operating_class: u8,
        /// The coverage class.
        coverage_class: u8,
    },
}

impl CountryTriplet {
    /// First octets from this value up mark an operating triplet.
    pub const OPERATING_EXTENSION_MIN: u8 = 201;

    /// Reads three octets.
    pub const fn from_bytes(bytes: [u8; 3]) -> CountryTriplet {
        let [a, b, c] = bytes;
        if a >= Self::OPERATING_EXTENSION_MIN {
            CountryTriplet::Operating {
                extension_id: a,
                operating_class: b,
                coverage_class: c,
            }
        } else {
            CountryTriplet::Subband {
                first_channel: a,
                num_channels: b,
                max_tx_power_dbm: i8::from_le_bytes([c]),
            }
        }
    }

    /// The three octets on the wire.
    pub const fn to_bytes(self) -> [u8; 3] {
        match self {
            CountryTriplet::Subband {
                first_channel,
                num_channels,
                max_tx_power_dbm,
            } => {
                let [p] = max_tx_power_dbm.to_le_bytes();
                [first_channel, num_channels, p]
            }
            CountryTriplet::Operating {
                extension_id,
                operating_class,
                coverage_class,
            } => [extension_id, operating_class, coverage_class],
        }
    }
}

/// Iterator over the triplets of a [`Country`] element.
#[derive(Debug, Clone)]
pub struct CountryTriplets<'a> {
    chunks: core::slice::ChunksExact<'a, u8>,
}

impl Iterator for CountryTriplets<'_> {
    type Item = CountryTriplet;
    fn next(&mut self) -> Option<CountryTriplet> {
        let chunk = self.chunks.next()?;
        let bytes: [u8; 3] = chunk.try_into().ok()?;
        Some(CountryTriplet::from_bytes(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ie::{Element, ElementRepr};

    // From a real 37C3 beacon (bins/frames/beacon.bin in the ieee80211-rs
    // crate, github.com/Frostie314159/ieee80211-rs): "DE", any environment,
    // channels 36-64 (8 channels) at 23 dBm.
    const COUNTRY_DE: [u8; 8] = [0x07, 0x06, 0x44, 0x45, 0x20, 0x24, 0x08, 0x17];

    // Layout of IEEE 802.11-2020 Figure 9-133/9-134: "US" outdoor, channels
    // 1-11 at 30 dBm, then an operating triplet (class 12, coverage 0), then
    // one pad octet to make the length even.
    const COUNTRY_US_PADDED: [u8; 12] = [
        0x07, 0x0a, b'U', b'S', b'O', 0x01, 0x0b, 0x1e, 0xc9, 0x0c, 0x00, 0x00,
    ];

    fn parse(bytes: &[u8]) -> Result<ElementRepr<'_>> {
        ElementRepr::parse(Element::new(bytes[0], &bytes[2..]))
    }

    #[test]
    fn deconstruct() {
        let Ok(ElementRepr::Country(c)) = parse(&COUNTRY_DE) else {
            panic!()
        };
        assert_eq!(c.code(), *b"DE");
        assert_eq!(c.environment(), b' ');
        assert_eq!(c.pad(), None);
        assert_eq!(
            c.triplets().collect::<Vec<_>>(),
            [CountryTriplet::Subband {
                first_channel: 36,
                num_channels: 8,
                max_tx_power_dbm: 23
            }]
        );

        let Ok(ElementRepr::Country(us)) = parse(&COUNTRY_US_PADDED) else {
            panic!()
        };
        assert_eq!(us.pad(), Some(0));
        let t: Vec<_> = us.triplets().collect();
        assert_eq!(
            t,
            [
                CountryTriplet::Subband {
                    first_channel: 1,
                    num_channels: 11,
                    max_tx_power_dbm: 30
                },
                CountryTriplet::Operating {
                    extension_id: 201,
                    operating_class: 12,
                    coverage_class: 0
                }
            ]
        );
        for triplet in t {
            assert_eq!(CountryTriplet::from_bytes(triplet.to_bytes()), triplet);
        }
    }

    #[test]
    fn construct_and_emit() {
        let triplet = CountryTriplet::Subband {
            first_channel: 36,
            num_channels: 8,
            max_tx_power_dbm: 23,
        }
        .to_bytes();
        let repr = ElementRepr::Country(Country {
            country: *b"DE ",
            triplets: &triplet,
        });
        let mut buf = [0u8; 8];
        assert_eq!(repr.emit(&mut buf), Ok(8));
        assert_eq!(buf, COUNTRY_DE);
        for v in [&COUNTRY_DE[..], &COUNTRY_US_PADDED] {
            let mut out = Vec::new();
            parse(v).unwrap().emit_to_vec(&mut out).unwrap();
            assert_eq!(out, v);
        }
    }

    #[test]
    fn bad_lengths() {
        assert_eq!(
            ElementRepr::parse(Element::new(7, b"DE")),
            Err(Error::BadLength)
        );
        assert!(ElementRepr::parse(Element::new(7, b"DE ")).is_ok());
        assert_eq!(
            ElementRepr::parse(Element::new(7, b"DE \x01\x02")),
            Err(Error::BadLength)
        );
        let bad = Country {
            country: *b"DE ",
            triplets: &[1, 2],
        };
        assert_eq!(
            ElementRepr::Country(bad).emit(&mut [0u8; 16]),
            Err(Error::BadLength)
        );
        // A negative power survives.
        let t = CountryTriplet::from_bytes([1, 2, 0xfb]);
        assert_eq!(
            t,
            CountryTriplet::Subband {
                first_channel: 1,
                num_channels: 2,
                max_tx_power_dbm: -5
            }
        );
    }
}
