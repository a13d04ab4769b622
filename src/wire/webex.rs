//! The Webex wire types (filled in with the Webex emulator).
