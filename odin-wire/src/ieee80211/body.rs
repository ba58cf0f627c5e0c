//! Zero-copy views of the fixed fields at the start of each management
//! frame body. Whatever follows the fixed fields (usually information
//! elements) is available as `rest()`.
//!
//! Every view checks its fixed length once in `new_checked`; getters never
//! panic (on an unchecked short buffer they return zero).

use crate::{Error, MacAddr, Result};

/// A little-endian fixed-size field of a frame body.
trait Field: Sized + Default {
    const LEN: usize;
    fn read(bytes: &[u8]) -> Option<Self>;
    fn write(&self, bytes: &mut [u8]);
}

macro_rules! le_field {
    ($($ty:ty),*) => {$(
        impl Field for $ty {
            const LEN: usize = core::mem::size_of::<$ty>();
            fn read(bytes: &[u8]) -> Option<Self> {
                Some(<$ty>::from_le_bytes(bytes.try_into().ok()?))
            }
            fn write(&self, bytes: &mut [u8]) {
                if bytes.len() == Self::LEN {
                    bytes.copy_from_slice(&self.to_le_bytes());
                }
            }
        }
    )*};
}
le_field!(u8, u16, u64);

impl Field for MacAddr {
    const LEN: usize = 6;
    fn read(bytes: &[u8]) -> Option<Self> {
        MacAddr::from_bytes(bytes)
    }
    fn write(&self, bytes: &mut [u8]) {
        if bytes.len() == Self::LEN {
            bytes.copy_from_slice(self.as_bytes());
        }
    }
}

macro_rules! body_view {
    (
        $(#[$meta:meta])*
        pub struct $name:ident;
        fixed_len = $len:expr;
        $( $(#[$fmeta:meta])* $get:ident, $set:ident: $ty:ty = $off:expr; )*
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name<T: AsRef<[u8]>> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> $name<T> {
            /// Length of the fixed fields.
            pub const FIXED_LEN: usize = $len;

            /// Wraps a buffer without checking its length.
            pub const fn new_unchecked(buffer: T) -> Self {
                $name { buffer }
            }

            /// Wraps a buffer after checking that it holds the fixed fields.
            pub fn new_checked(buffer: T) -> Result<Self> {
                if buffer.as_ref().len() < Self::FIXED_LEN {
                    return Err(Error::Truncated);
                }
                Ok($name { buffer })
            }

            /// Gives back the buffer.
            pub fn into_inner(self) -> T {
                self.buffer
            }

            $(
                $(#[$fmeta])*
                pub fn $get(&self) -> $ty {
                    self.buffer
                        .as_ref()
                        .get($off..$off + <$ty as Field>::LEN)
                        .and_then(<$ty as Field>::read)
                        .unwrap_or_default()
                }
            )*
        }

        impl<'a, T: AsRef<[u8]> + ?Sized> $name<&'a T> {
            /// What follows the fixed fields (usually information elements).
            pub fn rest(&self) -> &'a [u8] {
                self.buffer.as_ref().get(Self::FIXED_LEN..).unwrap_or(&[])
            }
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> $name<T> {
            $(
                #[doc = concat!("Sets the field read by `", stringify!($get), "`.")]
                pub fn $set(&mut self, value: $ty) {
                    if let Some(dst) = self.buffer.as_mut().get_mut($off..$off + <$ty as Field>::LEN) {
                        Field::write(&value, dst);
                    }
                }
            )*

            /// What follows the fixed fields, mutable.
            pub fn rest_mut(&mut self) -> &mut [u8] {
                self.buffer.as_mut().get_mut(Self::FIXED_LEN..).unwrap_or(&mut [])
            }
        }
    };
}

body_view! {
    /// Beacon and probe response (9.3.3.2, 9.3.3.10): timestamp, beacon
    /// interval and capability information, then elements.
    pub struct Beacon;
    fixed_len = 12;
    /// TSF timer value in microseconds.
    timestamp, set_timestamp: u64 = 0;
    /// Beacon interval in time units (1,024 us).
    beacon_interval, set_beacon_interval: u16 = 8;
    /// Capability information.
    capabilities, set_capabilities: u16 = 10;
}

body_view! {
    /// Authentication (9.3.3.11): algorithm, transaction sequence number and
    /// status, then elements or algorithm-specific fields (SAE).
    pub struct Auth;
    fixed_len = 6;
    /// Authentication algorithm number.
    algorithm, set_algorithm: u16 = 0;
    /// Authentication transaction sequence number.
    transaction, set_transaction: u16 = 2;
    /// Status code.
    status, set_status: u16 = 4;
}

body_view! {
    /// Association request (9.3.3.5): capability and listen interval, then
    /// elements.
    pub struct AssocReq;
    fixed_len = 4;
    /// Capability information.
    capabilities, set_capabilities: u16 = 0;
    /// Listen interval in beacon intervals.
    listen_interval, set_listen_interval: u16 = 2;
}

body_view! {
    /// Reassociation request (9.3.3.7): capability, listen interval and the
    /// current AP's address, then elements.
    pub struct ReassocReq;
    fixed_len = 10;
    /// Capability information.
    capabilities, set_capabilities: u16 = 0;
    /// Listen interval in beacon intervals.
    listen_interval, set_listen_interval: u16 = 2;
    /// The AP the station is associated with now.
    current_ap, set_current_ap: MacAddr = 4;
}

body_view! {
    /// (Re)association response (9.3.3.6, 9.3.3.8): capability, status and
    /// association ID, then elements.
    pub struct AssocResp;
    fixed_len = 6;
    /// Capability information.
    capabilities, set_capabilities: u16 = 0;
    /// Status code.
    status, set_status: u16 = 2;
    /// Association ID field as on the wire (bits 14 and 15 set).
    association_id, set_association_id: u16 = 4;
}

body_view! {
    /// Disassociation and deauthentication (9.3.3.4, 9.3.3.12): a reason
    /// code, then optional elements (vendor specific, management MIC).
    pub struct Disassoc;
    fixed_len = 2;
    /// Reason code.
    reason, set_reason: u16 = 0;
}

body_view! {
    /// Action and action-no-ack (9.3.3.13): a category, then the action
    /// details.
    pub struct Action;
    fixed_len = 1;
    /// The action category.
    category, set_category: u8 = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beacon_fields() {
        let mut bytes = [0u8; 14];
        let mut view = Beacon::new_checked(&mut bytes[..]).unwrap();
        view.set_timestamp(0x0102_0304_0506_0708);
        view.set_beacon_interval(100);
        view.set_capabilities(0x0421);
        view.rest_mut().copy_from_slice(&[0, 0]);
        assert_eq!(bytes, [8, 7, 6, 5, 4, 3, 2, 1, 100, 0, 0x21, 0x04, 0, 0]);
        let view = Beacon::new_checked(&bytes[..]).unwrap();
        assert_eq!(view.timestamp(), 0x0102_0304_0506_0708);
        assert_eq!(view.beacon_interval(), 100);
        assert_eq!(view.capabilities(), 0x0421);
        assert_eq!(view.rest(), &[0, 0]);
    }

    #[test]
    fn reassoc_current_ap() {
        let bytes = [0x21, 0x04, 0x0a, 0x00, 2, 0, 0, 0, 0, 1];
        let view = ReassocReq::new_checked(&bytes[..]).unwrap();
        assert_eq!(view.listen_interval(), 10);
        assert_eq!(view.current_ap(), MacAddr([2, 0, 0, 0, 0, 1]));
        assert_eq!(view.rest(), &[] as &[u8]);
    }

    #[test]
    fn short_bodies() {
        assert_eq!(
            Beacon::new_checked(&[0u8; 11][..]).err(),
            Some(Error::Truncated)
        );
        assert_eq!(
            Auth::new_checked(&[0u8; 5][..]).err(),
            Some(Error::Truncated)
        );
        assert_eq!(Action::new_checked(&[][..]).err(), Some(Error::Truncated));
        // Unchecked views over short buffers read zeros, never panic.
        let view = ReassocReq::new_unchecked(&[1u8, 2, 3][..]);
        assert_eq!(view.current_ap(), MacAddr::ZERO);
        assert_eq!(view.capabilities(), 0x0201);
        assert_eq!(view.rest(), &[] as &[u8]);
    }
}
