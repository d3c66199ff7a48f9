use embedded_hal_mock::eh1::delay::NoopDelay;
use embedded_hal_mock::eh1::digital::{Mock, State, Transaction};

use super::*;

fn level(pattern: u8, bit: u8) -> Transaction {
    Transaction::set(if pattern & (1 << bit) != 0 {
        State::High
    } else {
        State::Low
    })
}

/// Four mocks expecting `patterns` written in order (every pattern writes all four pins).
fn pins_for(patterns: &[u8]) -> [Mock; 4] {
    core::array::from_fn(|bit| {
        let expected: Vec<Transaction> = patterns.iter().map(|&p| level(p, bit as u8)).collect();
        Mock::new(&expected)
    })
}

fn finish(pins: [Mock; 4]) {
    for mut pin in pins {
        pin.done();
    }
}

#[test]
fn direct_drive_walks_the_six_states_up_and_back() {
    let s = PARTIAL_STEP_STATES;
    // energise on 0, six steps up (wrapping to 0), two down.
    let expected = [s[0], s[1], s[2], s[3], s[4], s[5], s[0], s[5], s[4]];
    let pins = pins_for(&expected);
    let mut drive = DirectDrive::new(pins.clone());
    drive.energise().unwrap();
    for t in 0..6 {
        drive.step(Step::Up, t).unwrap();
    }
    drive.step(Step::Down, 6).unwrap();
    drive.step(Step::Down, 7).unwrap();
    assert_eq!(drive.state_index(), 4);
    finish(pins);
}

#[test]
fn direct_drive_patterns_are_the_datasheet_bit_map() {
    assert_eq!(PARTIAL_STEP_STATES, [0x9, 0x1, 0x7, 0x6, 0xE, 0x8]);
    for pattern in PARTIAL_STEP_STATES {
        // Motor pins 2 and 3 always carry the same level.
        assert_eq!(pattern >> 1 & 1, pattern >> 2 & 1);
    }
}

#[test]
fn idle_de_energise_resumes_on_the_same_state() {
    let s = PARTIAL_STEP_STATES;
    // energise 0, step to 1, idle -> all low, then re-energise 1 before stepping to 2.
    let expected = [s[0], s[1], 0, s[1], s[2]];
    let pins = pins_for(&expected);
    let mut drive = DirectDrive::new(pins.clone()).with_de_energise_after_us(2_000_000);
    drive.energise().unwrap();
    drive.step(Step::Up, 100).unwrap();
    drive.service(2_000_099).unwrap();
    assert!(drive.is_energised());
    drive.service(2_000_100).unwrap();
    assert!(!drive.is_energised());
    drive.service(9_000_000).unwrap();
    drive.step(Step::Up, 9_000_001).unwrap();
    assert_eq!(drive.state_index(), 2);
    finish(pins);
}

#[test]
fn step_dir_sets_direction_only_on_change_and_pulses_step() {
    let step_pin = Mock::new(&[
        Transaction::set(State::High),
        Transaction::set(State::Low),
        Transaction::set(State::High),
        Transaction::set(State::Low),
        Transaction::set(State::High),
        Transaction::set(State::Low),
    ]);
    // Up = DIR low (SwitecX12), then Down = DIR high.
    let dir_pin = Mock::new(&[Transaction::set(State::Low), Transaction::set(State::High)]);
    let mut channel = StepDir::new(step_pin.clone(), dir_pin.clone(), NoopDelay::new());
    channel.step(Step::Up).unwrap();
    channel.step(Step::Up).unwrap();
    channel.step(Step::Down).unwrap();
    let (mut step_pin, mut dir_pin, _) = channel.release();
    step_pin.done();
    dir_pin.done();
}

#[test]
fn step_dir_inverted_and_reset_line() {
    let step_pin = Mock::new(&[Transaction::set(State::High), Transaction::set(State::Low)]);
    let dir_pin = Mock::new(&[Transaction::set(State::High)]);
    let mut channel =
        StepDir::new(step_pin.clone(), dir_pin.clone(), NoopDelay::new()).with_dir_inverted();
    channel.step(Step::Up).unwrap();
    let (mut step_pin, mut dir_pin, _) = channel.release();
    step_pin.done();
    dir_pin.done();

    let mut reset = Vid6606Reset::new(Mock::new(&[
        Transaction::set(State::Low),
        Transaction::set(State::High),
    ]));
    reset.hold().unwrap();
    reset.release().unwrap();
    reset.into_pin().done();
}
