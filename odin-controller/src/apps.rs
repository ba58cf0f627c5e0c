//! The apps built into this controller: the kinds the configuration file
//! and the API can enable. To add an app, add its crate to
//! `odin-controller`'s dependencies and its `KIND` here.

use odin_app::AppKind;

/// Every app kind this build has.
pub fn builtin() -> Vec<AppKind> {
    vec![
        odin_app_rescue::KIND,
        odin_app_balancer::KIND,
        odin_app_mobility::KIND,
        odin_app_channel::KIND,
    ]
}
