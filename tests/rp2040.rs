//! The RP2040 image in rp2040js (`make test-rp2040-emu` builds it), reached
//! over its USB network as a laptop reaches a Pico.

mod support;

use support::rp2040::{Board, IMAGE};

#[test]
fn the_board_answers_over_its_usb_network() {
    let board = Board::power_on(IMAGE);
    let mut c = support::Conn::connect(board.addr());
    let r = c.get("/hello");
    r.assert_status(200);
    assert_eq!(r.text(), support::HELLO_BODY);
    let clock = board.clock();
    eprintln!("clock: {clock:?}");
}
