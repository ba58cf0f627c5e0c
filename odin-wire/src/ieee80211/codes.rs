//! Numbers from IEEE 802.11-2020 section 9.4.1: authentication algorithms,
//! status codes and reason codes. Unknown values survive a round trip.

enum_with_unknown! {
    /// Authentication algorithm number (9.4.1.1).
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
    pub enum AuthAlgorithm(u16) {
        /// Open System: the only one an open LVAP accepts.
        OpenSystem = 0,
        /// Shared Key (WEP).
        SharedKey = 1,
        /// Fast BSS Transition (802.11r).
        FastBssTransition = 2,
        /// Simultaneous Authentication of Equals (WPA3).
        Sae = 3,
        /// FILS with a shared key.
        FilsSharedKey = 4,
    }
}

enum_with_unknown! {
    /// Status code of an authentication or (re)association response (9.4.1.9).
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
    pub enum StatusCode(u16) {
        /// Successful.
        Success = 0,
        /// Unspecified failure.
        Unspecified = 1,
        /// Cannot support all requested capabilities in the Capability field.
        CapabilitiesUnsupported = 10,
        /// Reassociation denied: cannot confirm that an association exists.
        ReassocNoAssoc = 11,
        /// Association denied for a reason outside the scope of the standard.
        AssocDeniedUnspec = 12,
        /// The responding station does not support the authentication algorithm.
        NotSupportedAuthAlg = 13,
        /// Authentication transaction sequence number out of expected sequence.
        UnknownAuthTransaction = 14,
        /// Denied: the AP cannot handle additional associated stations.
        ApUnableToHandleNewSta = 17,
        /// Denied: the station does not support all the basic rates of the BSS.
        AssocDeniedRates = 18,
        /// Invalid element.
        InvalidIe = 40,
        /// Invalid pairwise cipher.
        InvalidPairwiseCipher = 42,
        /// Invalid AKMP.
        InvalidAkmp = 43,
    }
}

enum_with_unknown! {
    /// Reason code of a deauthentication or disassociation (9.4.1.7).
    #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
    pub enum ReasonCode(u16) {
        /// Unspecified reason.
        Unspecified = 1,
        /// Previous authentication no longer valid.
        PrevAuthNotValid = 2,
        /// Deauthenticated because the sending station is leaving.
        DeauthLeaving = 3,
        /// Disassociated due to inactivity.
        DisassocDueToInactivity = 4,
        /// Disassociated because the AP is unable to handle all associated stations.
        DisassocApBusy = 5,
        /// Class 2 frame received from a nonauthenticated station.
        Class2FrameFromNonauthSta = 6,
        /// Class 3 frame received from a nonassociated station.
        Class3FrameFromNonassocSta = 7,
        /// Disassociated because the sending station is leaving the BSS.
        DisassocStaHasLeft = 8,
        /// Station requesting (re)association is not authenticated.
        StaReqAssocWithoutAuth = 9,
        /// Invalid element.
        InvalidIe = 13,
        /// 4-way handshake timeout.
        FourwayHandshakeTimeout = 15,
    }
}
