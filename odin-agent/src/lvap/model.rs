//! A model of what the kernel holds for one LVAP, fed with the LVAP's
//! actions: tests and fuzzing use it to check the state machine's
//! invariants after every input.

use super::{Action, Lvap};

/// The kernel's view of one LVAP, as the actions left it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KernelModel {
    /// Beaconing.
    pub ap_started: bool,
    /// A station entry exists.
    pub station: bool,
    /// The entry's flags say associated.
    pub associated: bool,
    /// The entry's flags say authorized.
    pub authorized: bool,
}

/// An action that the kernel would refuse, or a state the LVAP and the
/// kernel disagree on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation(pub String);

impl KernelModel {
    /// Applies the actions of one step; errors on the first action the
    /// kernel would refuse (adding a station twice, updating a missing one).
    pub fn apply(&mut self, actions: &[Action]) -> Result<(), Violation> {
        for action in actions {
            match action {
                Action::StartAp { .. } => {
                    if self.ap_started {
                        return Err(Violation("START_AP on a started AP".into()));
                    }
                    self.ap_started = true;
                }
                Action::SetBeacon { .. } => {
                    if !self.ap_started {
                        return Err(Violation("SET_BEACON on a stopped AP".into()));
                    }
                }
                Action::ChannelSwitch { .. } => {
                    if !self.ap_started {
                        return Err(Violation("CHANNEL_SWITCH on a stopped AP".into()));
                    }
                }
                Action::StopAp { .. } => {
                    if self.station {
                        return Err(Violation("STOP_AP with a station left".into()));
                    }
                    self.ap_started = false;
                }
                Action::AddStation(state) => {
                    if self.station {
                        return Err(Violation("NEW_STATION for an existing station".into()));
                    }
                    self.station = true;
                    self.associated = state.flags.associated;
                    self.authorized = state.flags.authorized;
                }
                Action::UpdateStation(state) => {
                    if !self.station || self.associated {
                        return Err(Violation(
                            "SET_STATION parameters on a missing or associated station".into(),
                        ));
                    }
                    self.associated = state.flags.associated;
                    self.authorized = state.flags.authorized;
                }
                Action::SetStationFlags { flags, .. } => {
                    if !self.station {
                        return Err(Violation("SET_STATION flags on a missing station".into()));
                    }
                    self.associated = flags.associated;
                    self.authorized = flags.authorized;
                }
                Action::RemoveStation { .. } => {
                    if !self.station {
                        return Err(Violation("DEL_STATION on a missing station".into()));
                    }
                    *self = KernelModel {
                        ap_started: self.ap_started,
                        ..KernelModel::default()
                    };
                }
                Action::QueryStation { .. } | Action::PollClient { .. } => {
                    if !self.station {
                        return Err(Violation("station query without a station".into()));
                    }
                }
                Action::SendFrame { .. } | Action::Event(_) => {}
            }
        }
        Ok(())
    }

    /// Checks that the LVAP's own view agrees with the kernel's.
    pub fn check(&self, lvap: &Lvap) -> Result<(), Violation> {
        if lvap.is_stopped() {
            if self.ap_started || self.station {
                return Err(Violation("stopped LVAP left state in the kernel".into()));
            }
            return Ok(());
        }
        if !self.ap_started {
            return Err(Violation("running LVAP is not beaconing".into()));
        }
        if lvap.is_associated() != self.associated {
            return Err(Violation(format!(
                "LVAP associated={} but kernel associated={}",
                lvap.is_associated(),
                self.associated
            )));
        }
        if lvap.is_authorized() != self.authorized {
            return Err(Violation("authorized flag disagrees".into()));
        }
        Ok(())
    }
}
