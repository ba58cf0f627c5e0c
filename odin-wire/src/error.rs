use core::fmt;

/// Why a buffer could not be parsed (or a representation emitted).
///
/// Deliberately small and `Copy`: a receive path keeps one counter per
/// variant, so every dropped frame is accounted for by cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Error {
    /// The buffer ends before a field that must be there.
    Truncated,
    /// A length field disagrees with the buffer or with the format
    /// (an element longer than its frame, an HT element that is not 26 bytes).
    BadLength,
    /// A field holds a value the format forbids (reserved protocol version,
    /// a presence bitmap that never ends, a rate of zero).
    Malformed,
    /// Well-formed, but not something this code handles (a frame type or an
    /// algorithm that an access point does not act on).
    Unsupported,
}

impl Error {
    /// Every variant, in a fixed order: for building per-cause counters.
    pub const ALL: [Error; 4] = [
        Error::Truncated,
        Error::BadLength,
        Error::Malformed,
        Error::Unsupported,
    ];

    /// A short, stable name for metrics labels and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Error::Truncated => "truncated",
            Error::BadLength => "bad_length",
            Error::Malformed => "malformed",
            Error::Unsupported => "unsupported",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Error::Truncated => "truncated: the buffer ends before a required field",
            Error::BadLength => "bad length: a length field disagrees with the buffer",
            Error::Malformed => "malformed: a field holds a forbidden value",
            Error::Unsupported => "unsupported: well-formed but not handled",
        };
        f.write_str(text)
    }
}

impl std::error::Error for Error {}

/// The result type of this crate.
pub type Result<T> = core::result::Result<T, Error>;
