//! Casting to a TV: the UPnP MediaRenderers of the LAN found by SSDP, told to play a file of
//! the torrent from this server's URL (with its metadata and subtitle), then followed and
//! steered. The renderer reads over HTTP like any player: its window, waits and stalls show
//! as a viewer's.

pub mod discover;
pub mod session;
pub mod soap;

pub use discover::{Renderer, discover};
pub use session::{CastStatus, Caster, Steer, SteerError};
