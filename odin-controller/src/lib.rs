//! odin-controller: the controller of an Odin network.
//!
//! * [`core`]: the sans-IO heart: agent sessions, the registry of agents,
//!   radios, clients and LVAPs, placement of new clients, handoff
//!   orchestration with rollback, subscriptions and statistics. Inputs and
//!   the time go in, messages for agents and events come out.
//! * [`server`]: the sockets around it: accepting agents, authenticating
//!   them, one task per connection, one task owning the core.
//! * [`rest`]: the REST API (`/api/v1`) on a running controller, with
//!   bearer tokens kept as hashes.
//! * [`store`]: persistence (sqlx: SQLite by default, PostgreSQL), written
//!   by a recorder that never blocks; [`persist`]: what events change in
//!   the store, and the restore at start.
//! * [`apps`]: the apps this build of the controller can run.

pub mod apps;
pub mod config;
pub mod core;
pub mod persist;
pub mod rest;
pub mod server;
pub mod store;
