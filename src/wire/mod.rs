//! Wire types: the providers' JSON bodies, exactly as their official specs name them. Shared by
//! the provider clients and the emulator (which speak the same contract from both ends); no
//! logic lives here.

pub mod acg;
pub mod webex;
