//! The air: positions, path loss, frame loss, the seeded random numbers
//! and the spatial index that keeps a transmission's cost proportional to
//! the receivers in range.

use std::collections::HashMap;

/// A point on the floor plan, in metres.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Position {
    /// East, metres.
    pub x: f64,
    /// North, metres.
    pub y: f64,
}

impl Position {
    /// The point `(x, y)`.
    pub const fn new(x: f64, y: f64) -> Position {
        Position { x, y }
    }

    /// Euclidean distance in metres.
    pub fn distance(self, other: Position) -> f64 {
        (self.x - other.x).hypot(self.y - other.y)
    }
}

/// Log-distance path loss: `signal = tx_power - (loss_at_1m + 10 n
/// log10(d))`, with `d` floored at 1 m.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathLoss {
    /// Transmit power of every node, dBm.
    pub tx_power_dbm: f64,
    /// Loss at the 1 m reference distance, dB.
    pub loss_at_1m_db: f64,
    /// The path-loss exponent `n` (2 in free space, 3 indoors).
    pub exponent: f64,
}

impl Default for PathLoss {
    /// 20 dBm, 40 dB at 1 m, exponent 3: -50 dBm at 10 m, -80 dBm at 100 m.
    fn default() -> PathLoss {
        PathLoss {
            tx_power_dbm: 20.0,
            loss_at_1m_db: 40.0,
            exponent: 3.0,
        }
    }
}

impl PathLoss {
    /// The signal received at `distance_m` metres, dBm.
    /// A NaN distance (a NaN position) gives NaN: never heard.
    pub fn signal_dbm(&self, distance_m: f64) -> f64 {
        if distance_m.is_nan() {
            return f64::NAN;
        }
        let d = distance_m.max(1.0);
        self.tx_power_dbm - (self.loss_at_1m_db + 10.0 * self.exponent * d.log10())
    }

    /// The distance at which the signal falls to `signal_dbm` (at least
    /// 1 m; infinite or NaN for a non-positive exponent).
    pub fn distance_for(&self, signal_dbm: f64) -> f64 {
        let loss = self.tx_power_dbm - signal_dbm - self.loss_at_1m_db;
        10f64.powf(loss / (10.0 * self.exponent)).max(1.0)
    }
}

/// Frame loss as a function of the signal: a logistic curve around a
/// sensitivity, `p = 1 / (1 + exp(-(signal - midpoint) / width))`, cut to
/// exactly 0 below `midpoint - 8 width` and to exactly 1 above
/// `midpoint + 8 width` (where the curve is within 0.04 % of its limits),
/// so that strong links never lose a frame and draw no random number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossModel {
    /// The signal at which half the frames are lost, dBm.
    pub midpoint_dbm: f64,
    /// The steepness, dB (0: a step at the midpoint).
    pub width_db: f64,
}

impl Default for LossModel {
    /// Half lost at -85 dBm, width 2 dB: nothing heard below -101 dBm,
    /// nothing lost above -69 dBm.
    fn default() -> LossModel {
        LossModel {
            midpoint_dbm: -85.0,
            width_db: 2.0,
        }
    }
}

impl LossModel {
    /// The cut-offs are this many widths from the midpoint.
    const CUT: f64 = 8.0;

    /// The weakest signal ever received, dBm.
    pub fn floor_dbm(&self) -> f64 {
        self.midpoint_dbm - Self::CUT * self.width_db.max(0.0)
    }

    /// The weakest signal always received, dBm.
    pub fn ceiling_dbm(&self) -> f64 {
        self.midpoint_dbm + Self::CUT * self.width_db.max(0.0)
    }

    /// The probability that a frame at `signal_dbm` is received (0 for NaN).
    pub fn p_receive(&self, signal_dbm: f64) -> f64 {
        if signal_dbm.is_nan() || signal_dbm < self.floor_dbm() {
            return 0.0;
        }
        if signal_dbm >= self.ceiling_dbm() {
            return 1.0;
        }
        if self.width_db <= 0.0 {
            return if signal_dbm >= self.midpoint_dbm {
                1.0
            } else {
                0.0
            };
        }
        1.0 / (1.0 + (-(signal_dbm - self.midpoint_dbm) / self.width_db).exp())
    }
}

/// A small, fast, seeded generator (SplitMix64): the medium's only source
/// of randomness, so a seed fixes every loss draw.
#[derive(Debug, Clone)]
pub struct SimRng {
    state: u64,
}

impl SimRng {
    /// A generator from a seed.
    pub const fn new(seed: u64) -> SimRng {
        SimRng { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`; draws nothing when `p` is 0 or 1.
    pub fn chance(&mut self, p: f64) -> bool {
        if p >= 1.0 {
            true
        } else if p > 0.0 {
            self.next_f64() < p
        } else {
            false
        }
    }
}

/// Radios by (channel, grid cell), the cell as wide as the longest
/// distance at which anything is heard: the radios that can hear a point
/// are in its cell or the eight around it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Grid {
    cell_m: f64,
    cells: HashMap<(u8, i32, i32), Vec<u32>>,
}

impl Grid {
    pub(crate) fn new(cell_m: f64) -> Grid {
        Grid {
            // NaN or infinite: one cell for everything (correct, just slow).
            cell_m: if cell_m.is_finite() && cell_m >= 1.0 {
                cell_m
            } else {
                f64::INFINITY
            },
            cells: HashMap::new(),
        }
    }

    fn cell(&self, pos: Position) -> (i32, i32) {
        // `as` saturates and maps NaN to 0: no panic on any position.
        (
            (pos.x / self.cell_m).floor() as i32,
            (pos.y / self.cell_m).floor() as i32,
        )
    }

    pub(crate) fn insert(&mut self, id: u32, channel: u8, pos: Position) {
        let (cx, cy) = self.cell(pos);
        self.cells.entry((channel, cx, cy)).or_default().push(id);
    }

    pub(crate) fn remove(&mut self, id: u32, channel: u8, pos: Position) {
        let (cx, cy) = self.cell(pos);
        if let Some(ids) = self.cells.get_mut(&(channel, cx, cy)) {
            ids.retain(|&i| i != id);
            if ids.is_empty() {
                self.cells.remove(&(channel, cx, cy));
            }
        }
    }

    /// Every id on `channel` in the 3 x 3 cells around `pos`, unsorted.
    pub(crate) fn near(&self, channel: u8, pos: Position, out: &mut Vec<u32>) {
        let (cx, cy) = self.cell(pos);
        for dx in [-1i32, 0, 1] {
            for dy in [-1i32, 0, 1] {
                let key = (channel, cx.saturating_add(dx), cy.saturating_add(dy));
                if let Some(ids) = self.cells.get(&key) {
                    out.extend_from_slice(ids);
                }
            }
        }
        // Saturation at the edges can name one cell twice.
        out.sort_unstable();
        out.dedup();
    }
}
