//! Redis (RESP2): not written yet.
