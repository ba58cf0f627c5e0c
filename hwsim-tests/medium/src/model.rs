//! The radio model: the configuration (TOML), log-distance path loss,
//! the signal-to-noise ratio each rate needs, the probability that one
//! attempt gets through, and the seeded random numbers.
//!
//! The model, in full:
//!
//! - signal (dBm) = tx_power - (loss_at_1m + 10 n log10(d)), `d` the
//!   distance in metres floored at 1 m (the agent's simulated medium uses
//!   the same formula and defaults: 20 dBm, 40 dB, n = 3, so -50 dBm at
//!   10 m), unless the configuration fixes the link's signal (`[[link]]`);
//!   signals are rounded to whole dBm, as hwsim carries them;
//! - SNR = signal - noise_floor;
//! - one attempt at a rate gets through with probability
//!   `1 / (1 + exp(-(SNR - needed(rate)) / width))`, exactly 0 below
//!   `needed - 8 width` and exactly 1 above `needed + 8 width` (no random
//!   number is drawn there); `needed` is the SNR at which half the frames
//!   are lost ([`needed_snr_db`]: 1 dB for 1 Mbps up to 24 dB for MCS 7,
//!   3 dB more per extra spatial stream), independent of the frame's
//!   length;
//! - each draw takes the next number of one SplitMix64 stream seeded from
//!   the configuration: the same inputs give the same decisions.

use std::collections::HashMap;

use serde::Deserialize;

use crate::hwsim::{Mac, RC_MCS, RC_VHT_MCS};

/// The configuration file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Seed of every random draw.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Noise floor, dBm.
    #[serde(default = "default_noise")]
    pub noise_floor_dbm: f64,
    /// Transmit power of radios that set none, dBm.
    #[serde(default = "default_tx_power")]
    pub tx_power_dbm: f64,
    /// Path loss.
    #[serde(default)]
    pub path_loss: PathLoss,
    /// Loss from SNR.
    #[serde(default)]
    pub loss: Loss,
    /// The radios and where they stand.
    #[serde(default, rename = "radio")]
    pub radios: Vec<RadioConfig>,
    /// Links whose signal is fixed rather than computed (one direction
    /// each; give both for a symmetric link).
    #[serde(default, rename = "link")]
    pub links: Vec<LinkConfig>,
}

fn default_seed() -> u64 {
    1
}
fn default_noise() -> f64 {
    -95.0
}
fn default_tx_power() -> f64 {
    20.0
}

impl Default for Config {
    fn default() -> Config {
        Config {
            seed: default_seed(),
            noise_floor_dbm: default_noise(),
            tx_power_dbm: default_tx_power(),
            path_loss: PathLoss::default(),
            loss: Loss::default(),
            radios: Vec::new(),
            links: Vec::new(),
        }
    }
}

impl Config {
    /// Parses and checks a configuration file's text.
    pub fn parse(text: &str) -> Result<Config, String> {
        let c: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        c.check()?;
        Ok(c)
    }

    /// Checks names, addresses and numbers.
    pub fn check(&self) -> Result<(), String> {
        let mut names = HashMap::new();
        for r in &self.radios {
            parse_mac(&r.addr)
                .ok_or_else(|| format!("radio {}: bad address {:?}", r.name, r.addr))?;
            if r.name.is_empty() || r.name.contains(char::is_whitespace) {
                return Err(format!("radio name {:?}: empty or with spaces", r.name));
            }
            if names.insert(r.name.clone(), ()).is_some() {
                return Err(format!("radio {} named twice", r.name));
            }
            if !(r.x.is_finite() && r.y.is_finite()) {
                return Err(format!("radio {}: position not finite", r.name));
            }
        }
        for l in &self.links {
            for n in [&l.from, &l.to] {
                if !names.contains_key(n) {
                    return Err(format!("link {} -> {}: no radio {n}", l.from, l.to));
                }
            }
        }
        let finite = [
            self.noise_floor_dbm,
            self.tx_power_dbm,
            self.path_loss.loss_at_1m_db,
            self.path_loss.exponent,
            self.loss.width_db,
        ];
        if finite.iter().any(|v| !v.is_finite()) || self.loss.width_db < 0.0 {
            return Err("numbers must be finite (and the loss width not negative)".into());
        }
        Ok(())
    }
}

/// One radio of the configuration.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadioConfig {
    /// Its name in commands and logs.
    pub name: String,
    /// Its permanent address (`02:00:00:00:01:00`) or its hwsim address
    /// (`42:00:00:00:01:00`).
    pub addr: String,
    /// East, metres.
    #[serde(default)]
    pub x: f64,
    /// North, metres.
    #[serde(default)]
    pub y: f64,
    /// Its transmit power, dBm (default: the global one).
    pub tx_power_dbm: Option<f64>,
}

/// A link with a fixed signal.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// Transmitting radio's name.
    pub from: String,
    /// Receiving radio's name.
    pub to: String,
    /// The signal, dBm.
    pub signal_dbm: f64,
}

/// Log-distance path loss.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathLoss {
    /// Loss at 1 m, dB.
    pub loss_at_1m_db: f64,
    /// The exponent `n` (2 in free space, 3 indoors).
    pub exponent: f64,
}

impl Default for PathLoss {
    fn default() -> PathLoss {
        PathLoss {
            loss_at_1m_db: 40.0,
            exponent: 3.0,
        }
    }
}

impl PathLoss {
    /// The signal at `distance_m` from a transmitter of `tx_power_dbm`.
    pub fn signal_dbm(&self, tx_power_dbm: f64, distance_m: f64) -> f64 {
        let d = if distance_m.is_finite() {
            distance_m.max(1.0)
        } else {
            1.0
        };
        tx_power_dbm - (self.loss_at_1m_db + 10.0 * self.exponent * d.log10())
    }
}

/// How steep the loss curve is.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loss {
    /// Width of the logistic curve, dB (0: a step).
    pub width_db: f64,
}

impl Default for Loss {
    fn default() -> Loss {
        Loss { width_db: 1.0 }
    }
}

impl Loss {
    /// The probability that one attempt gets through at `snr_db` when
    /// the rate needs `needed_db`.
    pub fn success(&self, snr_db: f64, needed_db: f64) -> f64 {
        let x = snr_db - needed_db;
        if self.width_db <= 0.0 {
            return if x >= 0.0 { 1.0 } else { 0.0 };
        }
        if x >= 8.0 * self.width_db {
            1.0
        } else if x <= -8.0 * self.width_db || x.is_nan() {
            0.0
        } else {
            1.0 / (1.0 + (-x / self.width_db).exp())
        }
    }
}

/// Legacy rates of the 2.4 GHz band by index, Mbit/s (hwsim's table).
pub const RATES_2GHZ: [f64; 12] = [
    1.0, 2.0, 5.5, 11.0, 6.0, 9.0, 12.0, 18.0, 24.0, 36.0, 48.0, 54.0,
];
/// Legacy rates of the 5 and 6 GHz bands by index, Mbit/s.
pub const RATES_5GHZ: [f64; 8] = [6.0, 9.0, 12.0, 18.0, 24.0, 36.0, 48.0, 54.0];

fn legacy_rates(freq: u32) -> &'static [f64] {
    if freq < 4000 {
        &RATES_2GHZ
    } else {
        &RATES_5GHZ
    }
}

/// SNR (dB) at which half the frames sent at a legacy rate are lost.
fn legacy_needed(mbps: f64) -> f64 {
    match mbps {
        r if r <= 1.0 => 1.0,
        r if r <= 2.0 => 4.0,
        r if r <= 5.5 => 6.0,
        r if r <= 6.0 => 5.0,
        r if r <= 9.0 => 6.0,
        r if r <= 11.0 => 9.0,
        r if r <= 12.0 => 8.0,
        r if r <= 18.0 => 10.0,
        r if r <= 24.0 => 13.0,
        r if r <= 36.0 => 17.0,
        r if r <= 48.0 => 21.0,
        _ => 22.0,
    }
}

/// SNR (dB) at which half the frames of an HT/VHT MCS (one stream) are
/// lost, MCS 0 to 9.
const MCS_NEEDED: [f64; 10] = [5.0, 8.0, 10.0, 13.0, 17.0, 21.0, 22.0, 24.0, 28.0, 30.0];

/// The SNR a rate needs (see the module doc): `idx` and `flags` as in
/// the transmitter's rate table, on `freq` MHz. An index outside the
/// band's table counts as its fastest rate.
pub fn needed_snr_db(idx: i8, flags: u16, freq: u32) -> f64 {
    let idx = idx.max(0) as usize;
    if flags & RC_VHT_MCS != 0 {
        let (mcs, nss) = (idx & 0xf, (idx >> 4) + 1);
        MCS_NEEDED[mcs.min(9)] + 3.0 * (nss - 1) as f64
    } else if flags & RC_MCS != 0 {
        let (mcs, nss) = (idx % 8, idx / 8 + 1);
        MCS_NEEDED[mcs] + 3.0 * (nss - 1) as f64
    } else {
        let rates = legacy_rates(freq);
        legacy_needed(rates[idx.min(rates.len() - 1)])
    }
}

/// The rate index to give the receiving radio: a legacy index below the
/// band's rate count (hwsim passes it to mac80211 as a legacy rate, and
/// an index past the table is a kernel warning). An MCS becomes the
/// legacy OFDM rate of about the same speed.
pub fn rx_rate_index(idx: i8, flags: u16, freq: u32) -> u32 {
    let rates = legacy_rates(freq);
    let ofdm0 = rates.len() - RATES_5GHZ.len();
    let idx = idx.max(0) as usize;
    let legacy = if flags & (RC_MCS | RC_VHT_MCS) != 0 {
        let mcs = if flags & RC_VHT_MCS != 0 {
            idx & 0xf
        } else {
            idx % 8
        };
        // MCS 0..7 ~ 6.5, 13, 19.5, 26, 39, 52, 58.5, 65 Mbit/s.
        ofdm0 + [0, 2, 3, 4, 5, 6, 7, 7][mcs.min(7)]
    } else {
        idx
    };
    legacy.min(rates.len() - 1) as u32
}

/// The SNR an acknowledgement needs: it goes at the lowest basic rate
/// (1 Mbit/s at 2.4 GHz, 6 Mbit/s above).
pub fn ack_needed_snr_db(freq: u32) -> f64 {
    legacy_needed(legacy_rates(freq)[0])
}

/// A SplitMix64 stream: small, fast, and the same numbers on every
/// platform and version (no dependency can change them).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A stream from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`; draws nothing when `p` is 0 or 1.
    pub fn chance(&mut self, p: f64) -> bool {
        if p >= 1.0 {
            true
        } else if p <= 0.0 || p.is_nan() {
            false
        } else {
            self.unit() < p
        }
    }
}

/// Parses `02:00:00:00:01:00`.
pub fn parse_mac(s: &str) -> Option<Mac> {
    let mut out = [0u8; 6];
    let mut parts = s.split(':');
    for b in out.iter_mut() {
        let p = parts.next()?;
        if p.len() != 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(out)
}

/// Formats an address as `02:00:00:00:01:00`.
pub fn fmt_mac(m: &Mac) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_loss_figures() {
        let p = PathLoss::default();
        assert_eq!(p.signal_dbm(20.0, 10.0), -50.0);
        assert_eq!(p.signal_dbm(20.0, 0.2), -20.0);
        assert!((p.signal_dbm(20.0, 5.0) - -40.969).abs() < 1e-3);
        assert!((p.signal_dbm(20.0, 40.0) - -68.062).abs() < 1e-3);
    }

    #[test]
    fn loss_curve() {
        let l = Loss::default();
        assert_eq!(l.success(30.0, 22.0), 1.0);
        assert_eq!(l.success(14.0, 22.0), 0.0);
        assert!((l.success(22.0, 22.0) - 0.5).abs() < 1e-12);
        assert_eq!(Loss { width_db: 0.0 }.success(21.9, 22.0), 0.0);
    }

    #[test]
    fn rates() {
        assert_eq!(needed_snr_db(0, 0, 2412), 1.0);
        assert_eq!(needed_snr_db(11, 0, 2412), 22.0);
        assert_eq!(needed_snr_db(0, 0, 5180), 5.0);
        assert_eq!(needed_snr_db(7, RC_MCS, 2412), 24.0);
        assert_eq!(needed_snr_db(15, RC_MCS, 2412), 27.0);
        assert_eq!(rx_rate_index(7, RC_MCS, 2412), 11);
        assert_eq!(rx_rate_index(0, RC_MCS, 5180), 0);
        assert_eq!(rx_rate_index(11, 0, 5180), 7);
        assert_eq!(rx_rate_index(-1, 0, 2412), 0);
    }

    #[test]
    fn rng_is_reproducible() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        // SplitMix64's published first output for seed 0.
        assert_eq!(Rng::new(0).next_u64(), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn config_parses_and_checks() {
        let c = Config::parse(
            "seed = 3\n[[radio]]\nname = \"ap\"\naddr = \"02:00:00:00:00:00\"\n\
             [[radio]]\nname = \"sta\"\naddr = \"42:00:00:00:01:00\"\nx = 5.0\n\
             [[link]]\nfrom = \"ap\"\nto = \"sta\"\nsignal_dbm = -60.0\n",
        )
        .expect("valid");
        assert_eq!(c.seed, 3);
        assert_eq!(c.radios.len(), 2);
        assert!(Config::parse("[[radio]]\nname = \"a\"\naddr = \"zz\"\n").is_err());
        assert!(Config::parse("[[link]]\nfrom = \"a\"\nto = \"b\"\nsignal_dbm = 1.0\n").is_err());
        assert!(Config::parse("bogus = 1\n").is_err());
    }
}
