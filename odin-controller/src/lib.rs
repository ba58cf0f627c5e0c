//! odin-controller
