//! The RP2040 port's DHCP server (port/rp2040/dhcp.rs) on the host: the
//! board binary has no host build, so its tests run from here.

#[path = "../port/rp2040/dhcp.rs"]
#[allow(dead_code)]
mod dhcp;
