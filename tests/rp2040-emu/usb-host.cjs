// The laptop's USB host controller, for the RP2040 model: one device,
// enumerated as a laptop does (address, descriptors, configuration, the
// CDC-NCM data interface's alternate setting 1), control transfers one at
// a time, Ethernet frames in NCM transfer blocks (NTB16, one datagram
// each) split into 64-byte packets on the bulk endpoints.
//
//   const { sendFrame } = attachUsbHost(mcu, {
//     onDeviceDescriptor(d), onConfiguration(cfg, endpoints),
//     onNotification(buf), onFrame(frame), onProblem(text) });
//
// Attach to each boot's rp2040js instance (chip.cjs `onReset`): a fresh USB
// controller is a fresh device to enumerate.
'use strict';

function attachUsbHost(mcu, {
  onDeviceDescriptor = () => {},
  onConfiguration = () => {},
  onNotification = () => {},
  onFrame = () => {},
  onProblem = () => {},
} = {}) {
  const usb = mcu.usbCtrl;
  const setup = (type, request, value, index, length) =>
    Uint8Array.from([type, request, value & 255, value >> 8, index & 255, index >> 8, length & 255, length >> 8]);
  let control = null;
  const controlQueue = [];
  let mps0 = 8;
  let ep0OutArmed = false;
  let bulkIn = -1;
  let bulkOut = -1;
  let interruptIn = -1;
  let dataInterface = -1;
  let ntbIn = [];
  const outPackets = [];
  // OUT endpoints the board has armed (it may arm one before the host has
  // read the configuration that names it).
  const armed = new Set();
  let ntbSequence = 0;

  function submit(packet, inLength, done) {
    controlQueue.push({ packet, inLength, done, data: [], dataDone: false });
    nextControl();
  }
  function nextControl() {
    if (control || controlQueue.length === 0) return;
    control = controlQueue.shift();
    usb.sendSetupPacket(control.packet);
  }
  function finishControl() {
    const c = control;
    control = null;
    if (c.done) c.done(Uint8Array.from(c.data));
    nextControl();
  }
  // The status stage of a control read: a zero-length OUT once all data is
  // in. The next SETUP waits until the board has it (rp2040js delivers it
  // after a delay), as on a bus: one arriving later would end the next
  // transfer's data stage.
  function statusOut() {
    if (!control || !control.dataDone || !ep0OutArmed) return;
    ep0OutArmed = false;
    usb.endpointReadDone(0, new Uint8Array(0));
    mcu.clock.createAlarm(finishControl).schedule((usb.readDelayMicroseconds + 1) * 1000);
  }
  function parseConfiguration(d) {
    let cls = -1;
    let iface = -1;
    for (let i = 0; i + 2 <= d.length && d[i] >= 2; i += d[i]) {
      const type = d[i + 1];
      if (type === 4) { iface = d[i + 2]; cls = d[i + 5]; }
      if (type === 5) {
        const ep = d[i + 2];
        const kind = d[i + 3] & 3;
        if (kind === 3 && ep & 0x80) interruptIn = ep & 15;
        if (kind === 2 && cls === 0x0a) {
          dataInterface = iface;
          if (ep & 0x80) bulkIn = ep & 15; else bulkOut = ep & 15;
        }
      }
    }
  }
  usb.onUSBEnabled = () => usb.resetDevice();
  usb.onResetReceived = () => {
    submit(setup(0x00, 5, 1, 0, 0), 0); // SET_ADDRESS 1
    submit(setup(0x80, 6, 0x0100, 0, 18), 18, (d) => {
      mps0 = d[7];
      onDeviceDescriptor(d);
    });
    submit(setup(0x80, 6, 0x0200, 0, 9), 9, (d) => {
      const total = d[2] | (d[3] << 8);
      submit(setup(0x80, 6, 0x0200, 0, total), total, (cfg) => {
        parseConfiguration(cfg);
        const endpoints = { dataInterface, bulkIn, bulkOut, interruptIn };
        onConfiguration(cfg, endpoints);
        if (!(dataInterface >= 0 && bulkIn > 0 && bulkOut > 0 && interruptIn > 0)) {
          onProblem(`no CDC-NCM data interface in the configuration: ${Buffer.from(cfg).toString('hex')}`);
          return;
        }
        submit(setup(0x00, 9, 1, 0, 0), 0); // SET_CONFIGURATION 1
        submit(setup(0x01, 11, 1, dataInterface, 0), 0); // SET_INTERFACE data, alt 1
      });
    });
  };
  usb.onEndpointWrite = (ep, buf) => {
    if (ep === 0) {
      if (!control) return;
      if (control.inLength === 0) {
        if (buf.length === 0) finishControl();
        return;
      }
      control.data.push(...buf);
      if (control.data.length >= control.inLength || buf.length < mps0) {
        control.dataDone = true;
        statusOut();
      }
    } else if (ep === interruptIn) {
      onNotification(buf);
    } else if (ep === bulkIn) {
      for (const b of buf) ntbIn.push(b);
      if (buf.length < 64) {
        const ntb = Uint8Array.from(ntbIn);
        ntbIn = [];
        if (ntb.length) receiveNtb(ntb);
      }
    }
  };
  usb.onEndpointRead = (ep) => {
    if (ep === 0) {
      ep0OutArmed = true;
      statusOut();
      return;
    }
    armed.add(ep);
    pumpOut();
  };
  function pumpOut() {
    if (!armed.has(bulkOut) || outPackets.length === 0) return;
    armed.delete(bulkOut);
    const pk = outPackets.shift();
    usb.endpointReadDone(bulkOut, pk);
  }
  function sendFrame(frame) {
    const length = 12 + 16 + frame.length;
    const ntb = new Uint8Array(length);
    const v = new DataView(ntb.buffer);
    ntb.set(Buffer.from('NCMH'));
    v.setUint16(4, 12, true); // wHeaderLength
    v.setUint16(6, ntbSequence++ & 0xffff, true);
    v.setUint16(8, length, true); // wBlockLength
    v.setUint16(10, 12, true); // wNdpIndex
    ntb.set(Buffer.from('NCM0'), 12);
    v.setUint16(16, 16, true); // wLength
    v.setUint16(18, 0, true); // wNextNdpIndex
    v.setUint16(20, 28, true); // wDatagramIndex
    v.setUint16(22, frame.length, true); // wDatagramLength (then a zero entry)
    ntb.set(frame, 28);
    for (let i = 0; i < length; i += 64) outPackets.push(ntb.slice(i, i + 64));
    if (length % 64 === 0) outPackets.push(new Uint8Array(0));
    pumpOut();
  }
  function receiveNtb(ntb) {
    const v = new DataView(ntb.buffer);
    if (Buffer.from(ntb.slice(0, 4)).toString() !== 'NCMH') {
      onProblem(`transfer block without an NTH16 header: ${Buffer.from(ntb.slice(0, 16)).toString('hex')}`);
      return;
    }
    for (let ndp = v.getUint16(10, true); ndp && ndp + 8 <= ntb.length; ndp = v.getUint16(ndp + 6, true)) {
      const length = v.getUint16(ndp + 4, true);
      for (let p = ndp + 8; p + 4 <= ndp + length && p + 4 <= ntb.length; p += 4) {
        const index = v.getUint16(p, true);
        const len = v.getUint16(p + 2, true);
        if (!index || !len) break;
        onFrame(ntb.slice(index, index + len));
      }
    }
  }
  return { sendFrame };
}

module.exports = { attachUsbHost };
