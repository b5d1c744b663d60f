// Sleep in rp2040js: the Cortex-M0+ SysTick and WFI as the architecture
// defines them, and an account of the simulated time the core spends
// asleep.
//
// Why. rp2040js 1.4.1 mis-models three things the FreeRTOS tickless idle
// (GCC/ARM_CM0 port, vPortSuppressTicksAndSleep) relies on, so the board's
// tick count fell behind simulated time by orders of magnitude whenever the
// host was quiet (the core slept through every SysTick until USB woke it):
//
//  1. A pending SysTick (or PendSV, or NMI) does not end a WFI: only an
//     interrupt line raised through `setInterrupt` clears `core.waiting`.
//     ARMv6-M ARM (DDI 0419), "Wait For Interrupt", and ARM's note KA16222:
//     WFI ends on any exception whose priority would preempt the current
//     execution priority if PRIMASK were 0, that is, also while PRIMASK
//     masks it (which is how an RTOS enters sleep).
//  2. When an interrupt line does end a WFI with PRIMASK set, rp2040js takes
//     the exception at once. Same reference: the core leaves WFI and goes on
//     with the next instruction; the handler runs only once PRIMASK clears.
//  3. SysTick: a write to SYST_CVR followed by ENABLE makes rp2040js count
//     to zero at once (COUNTFLAG set, the exception pended), and a count
//     from zero wraps to 0xFFFFFF rather than reloading; a period is RVR
//     clocks, not RVR + 1. ARMv6-M ARM, "The system timer, SysTick", and the
//     Cortex-M0+ Devices Generic User Guide (DUI 0662), 4.4: a write to
//     SYST_CVR clears it and COUNTFLAG and does not trigger the exception;
//     the counter reloads SYST_RVR on the clock after reaching 0, and sets
//     COUNTFLAG (and pends SysTick if TICKINT) on the 1 -> 0 transition;
//     reading SYST_CSR clears COUNTFLAG; with RVR 0 it stops at 0.
//
// The firmware is right for silicon: its tickless idle stops SysTick, sets
// the reload to the expected idle time, and sleeps in WFI with PRIMASK set.
//
// Use (before `sim.execute()`):
//
//   const sleep = require('./sleep.cjs');
//   const power = sleep.attach(sim);  // { model: false }: rp2040js's SysTick and WFI;
//                                     // { realTime: true }: sleep no faster than the wall clock
//   const a = power.snapshot();
//   await power.delay(10e3);          // 10 s of simulated time
//   const d = power.since(a);         // d.asleepNanos, d.awakeNanos, d.asleepShare
//
// `attach` runs the simulator's execution loop itself (slices of about a
// million cycles, then a `setTimeout` for the host, as rp2040js does), so
// that it can count the time the core waits; a slice also ends when the
// core goes to sleep, so that the host answers before time skips ahead.
'use strict';

const SYST_CSR = 0x010;
const SYST_RVR = 0x014;
const SYST_CVR = 0x018;
const SYST_CALIB = 0x01c;
const CSR_ENABLE = 1 << 0;
const CSR_TICKINT = 1 << 1;
const CSR_CLKSOURCE = 1 << 2;
const CSR_COUNTFLAG = 1 << 16;
const EXC_SYSTICK = 15;
const OP_WFE = 0xbf20;
// rp2040js runs the core at a fixed 125 MHz, whatever clk_sys says.
const CYCLE_NANOS = 8;
// Simulated time per slice of the execution loop.
const SLICE_NANOS = 1e6 * CYCLE_NANOS;

// The SysTick of ARMv6-M: a 24-bit down counter (see the notes above).
// The counter's value is known at `base`, a clock edge; later values are
// computed from the elapsed clocks, and an alarm of the simulation clock
// marks the next 1 -> 0 transition when it must pend the exception.
// The clock is clk_sys, as rp2040js has it; CLKSOURCE 0 (the external
// reference) is stored and read back but counts clk_sys too (the
// firmware, like the FreeRTOS port by default, uses the processor clock).
class SysTick {
  constructor(mcu) {
    this.mcu = mcu;
    this.clock = mcu.clock;
    this.hz = mcu.clkSys;
    this.alarm = this.clock.createAlarm(() => this.onAlarm());
    this.wraps = 0;
    // Take over rp2040js's state as it is now, then stop its model.
    const old = mcu.ppb;
    this.enabled = old.systickTimer.enable;
    this.tickint = old.systickIntEnable;
    this.clksource = old.systickClkSource;
    this.reload = old.systickReload & 0xffffff;
    this.countflag = old.systickCountFlag;
    this.value = old.systickTimer.counter & 0xffffff;
    this.base = this.clock.nanos;
    old.systickAlarm.enable = false;
    this.schedule();
  }

  get periodNanos() {
    return 1e9 / this.hz;
  }

  // Brings `value`, `base` and COUNTFLAG up to the last clock edge before
  // `now`, pending the exception if the counter reached 0 on the way.
  advance(now = this.clock.nanos) {
    if (!this.enabled) return;
    // The epsilon absorbs rounding: edges fall on whole nanoseconds at 125 MHz.
    const clocks = Math.floor(((now - this.base) * this.hz) / 1e9 + 1e-6);
    if (clocks <= 0) return;
    const v = this.value;
    const r = this.reload;
    let value;
    let wraps;
    if (clocks <= v) {
      value = v - clocks;
      wraps = value === 0 ? 1 : 0;
    } else {
      // At 0 after v clocks (a transition if v was not 0 already), then
      // RVR on the next clock, 0 again RVR clocks later, and so on.
      const after = clocks - v;
      wraps = v > 0 ? 1 : 0;
      if (r === 0) {
        value = 0;
      } else {
        const phase = after % (r + 1);
        wraps += Math.floor(after / (r + 1));
        value = phase === 0 ? 0 : r + 1 - phase;
      }
    }
    this.value = value;
    this.base += clocks * this.periodNanos;
    if (wraps > 0) {
      this.wraps += wraps;
      this.countflag = true;
      if (this.tickint) {
        const { core } = this.mcu;
        core.pendingSystick = true;
        core.interruptsUpdated = true;
      }
    }
  }

  // The alarm for the next 1 -> 0 transition, if it is to pend SysTick.
  schedule() {
    this.alarm.cancel();
    if (!this.enabled || !this.tickint) return;
    const clocks = this.value > 0 ? this.value : this.reload > 0 ? this.reload + 1 : 0;
    if (clocks === 0) return;
    this.alarm.schedule(Math.max(0, this.base + clocks * this.periodNanos - this.clock.nanos));
  }

  onAlarm() {
    this.advance();
    this.schedule();
  }

  // clk_sys changed: what has elapsed counted at the old rate.
  clockChanged(hz) {
    this.advance();
    this.hz = hz;
    this.schedule();
  }

  read(offset) {
    this.advance();
    switch (offset) {
      case SYST_CSR: {
        const csr = (this.countflag ? CSR_COUNTFLAG : 0) | (this.clksource ? CSR_CLKSOURCE : 0) |
          (this.tickint ? CSR_TICKINT : 0) | (this.enabled ? CSR_ENABLE : 0);
        this.countflag = false;
        return csr;
      }
      case SYST_RVR:
        return this.reload;
      case SYST_CVR:
        return this.value;
      default:
        return 0;
    }
  }

  write(offset, v) {
    this.advance();
    switch (offset) {
      case SYST_CSR: {
        const enable = (v & CSR_ENABLE) !== 0;
        if (enable && !this.enabled) this.base = this.clock.nanos;
        this.enabled = enable;
        this.tickint = (v & CSR_TICKINT) !== 0;
        this.clksource = (v & CSR_CLKSOURCE) !== 0;
        break;
      }
      case SYST_RVR:
        this.reload = v & 0xffffff;
        break;
      case SYST_CVR:
        this.value = 0;
        this.countflag = false;
        break;
      default:
        break;
    }
    this.schedule();
  }
}

// Whether an exception pending now ends a WFI (`wfe` false) or a WFE
// (`wfe` true) the core is waiting in: its priority must be higher than
// the execution priority, taking PRIMASK into account for WFE only (this
// model has no SCR.SEVONPEND). rp2040js has priorities 0..3 and 4 for
// thread mode.
function wakes(core, wfe) {
  if (core.pendingNMI) return true;
  let running = core.IPSR ? core.exceptionPriority(core.IPSR) : 4;
  if (wfe && core.PM) running = 0;
  if (core.pendingSVCall && core.svCallPriority < running) return true;
  if (core.pendingPendSV && core.pendSVPriority < running) return true;
  if (core.pendingSystick && core.systickPriority < running) return true;
  const irqs = core.pendingInterrupts & core.enabledInterrupts;
  for (let p = 0; p < running; p++) {
    if (irqs & core.interruptPriorities[p]) return true;
  }
  return false;
}

// The counters of the window between two snapshots, with `awakeNanos` and
// `asleepShare` (0..1, the share of simulated time the core slept).
function diff(before, after) {
  const d = {};
  for (const k of Object.keys(after)) d[k] = after[k] - before[k];
  d.awakeNanos = d.nanos - d.asleepNanos;
  d.asleepShare = d.nanos > 0 ? d.asleepNanos / d.nanos : 0;
  return d;
}

// Installs the sleep model (unless `model` is false) and the accounting
// on `sim`, a rp2040js `Simulator` not started yet; returns the meter:
// 
// * `snapshot()`: the counters now: `nanos` (simulated time),
//   `asleepNanos` (of it, with the core in WFI/WFE), `wfi`, `wfe` (sleeps
//   entered), `wakeups`, `sysTicks` (SysTick exceptions taken), `irqs`
//   (external interrupts taken), `systReads`, `systWrites` (SYST_*
//   register accesses), `sysTickWraps` (counts to zero; model only).
// * `since(snapshot)`: `diff(snapshot, snapshot())`, the window up to now.
// * `delay(ms)`: a promise resolved after `ms` of simulated time.
function attach(sim, { model = true, realTime = false } = {}) {
  const mcu = sim.rp2040;
  const { core, clock } = mcu;
  const n = {
    asleepNanos: 0, wfi: 0, wfe: 0, wakeups: 0, sysTicks: 0, irqs: 0, systReads: 0, systWrites: 0,
  };
  // Whether the core went to sleep in WFE rather than WFI; whether it was
  // asleep at the last look (to count wake-ups).
  let waitingInWfe = false;
  let asleep = false;

  const entry = core.exceptionEntry;
  core.exceptionEntry = function exceptionEntry(number) {
    if (number === EXC_SYSTICK) n.sysTicks++;
    else if (number >= 16) n.irqs++;
    return entry.call(this, number);
  };

  const ppb = mcu.ppb;
  const ppbRead = ppb.readUint32;
  const ppbWrite = ppb.writeUint32;
  const systick = model ? new SysTick(mcu) : null;
  ppb.readUint32 = function readUint32(offset) {
    if (offset >= SYST_CSR && offset <= SYST_CALIB) {
      n.systReads++;
      if (systick && offset !== SYST_CALIB) return systick.read(offset);
    }
    return ppbRead.call(this, offset);
  };
  ppb.writeUint32 = function writeUint32(offset, value) {
    if (offset >= SYST_CSR && offset <= SYST_CALIB) {
      n.systWrites++;
      if (systick) {
        systick.write(offset, value >>> 0);
        return;
      }
    }
    ppbWrite.call(this, offset, value);
  };

  if (model) {
    mcu.addClockListener((hz) => systick.clockChanged(hz));
    // An interrupt line raised while the core waits: wake it if the
    // architecture says so, then let the exception in only if PRIMASK
    // allows (rp2040js's check, run as for a running core).
    const check = core.checkForInterrupts;
    core.checkForInterrupts = function checkForInterrupts() {
      if (this.waiting) {
        if (!wakes(this, waitingInWfe)) return false;
        this.waiting = false;
      }
      return check.call(this);
    };
  }

  // With `realTime`, a sleeping core's time does not run ahead of the
  // wall clock: the board waits for the host's real servers as a board on
  // a cable does, rather than skipping to its next timeout before they
  // could answer. (Busy, the model is slower than 125 MHz: simulated time
  // then falls behind, and catches up while the core sleeps.)
  const wallOrigin = process.hrtime.bigint();
  const simOrigin = clock.nanos;
  const ahead = () => clock.nanos - simOrigin - Number(process.hrtime.bigint() - wallOrigin);

  sim.execute = function execute() {
    this.executeTimer = null;
    this.stopped = false;
    let resumeMs = 0;
    const end = clock.nanos + SLICE_NANOS;
    while (!this.stopped && clock.nanos < end) {
      if (asleep && !core.waiting) {
        asleep = false;
        n.wakeups++;
      }
      if (core.waiting) {
        if (model && wakes(core, waitingInWfe)) {
          core.waiting = false;
          continue;
        }
        // Nothing scheduled: only the host can wake the core; give it the
        // turn (rp2040js would spin here without time passing).
        if (!clock.nextAlarm) break;
        let step = clock.nanosToNextAlarm;
        if (realTime) {
          const early = ahead() + step;
          if (early > 0) {
            step -= early;
            if (step <= 0) {
              resumeMs = Math.min(Math.ceil(early / 1e6), 5);
              break;
            }
          }
        }
        clock.tick(step);
        n.asleepNanos += step;
      } else {
        const cycles = core.executeInstruction();
        clock.tick(cycles * CYCLE_NANOS);
        if (core.waiting) {
          asleep = true;
          waitingInWfe = mcu.readUint16((core.PC - 2) >>> 0) === OP_WFE;
          if (waitingInWfe) n.wfe++;
          else n.wfi++;
          // The host's turn before time skips ahead: what it does in answer
          // to the board (its promise callbacks run between slices) happens
          // now, not after the sleep (up to 134 ms of tickless idle later).
          break;
        }
      }
    }
    if (!this.stopped) this.executeTimer = setTimeout(() => this.execute(), resumeMs);
  };

  const snapshot = () => ({ nanos: clock.nanos, ...n, sysTickWraps: systick ? systick.wraps : 0 });
  return {
    snapshot,
    since: (before) => diff(before, snapshot()),
    delay(ms) {
      return new Promise((resolve) => clock.createAlarm(resolve).schedule(ms * 1e6));
    },
  };
}

module.exports = { attach, diff, SysTick, wakes };
