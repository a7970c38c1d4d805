/** The watchdog rule: fed while media flows or the peer is legitimately absent, starved when stuck. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assessHealth, type HealthInput } from '../src/appliance/index.js';

const out: HealthInput['outbound'][number] = {
  stream: 'video',
  producing: true,
  deviceLost: false,
  sessionUp: true,
  peer: '10.0.0.2:47000',
  initiationsSent: 1,
};
const inb: HealthInput['inbound'][number] = {
  stream: 'video',
  flowing: true,
  stuck: false,
  listen: '0.0.0.0:47000',
  heardAgoMs: 10,
};
const flowing: HealthInput = {
  peerSite: 'studio-b',
  startingUp: false,
  outbound: [out],
  inbound: [inb],
};

it('media flowing: fed, nothing to explain', () => {
  assert.deepEqual(assessHealth(flowing), { feedWatchdog: true, stuck: [], notFlowingBecause: null });
});

it('peer absent: fed, and the reason names the peer and the unanswered handshakes', () => {
  const v = assessHealth({
    ...flowing,
    outbound: [{ ...out, sessionUp: false, initiationsSent: 7 }],
    inbound: [{ ...inb, flowing: false, heardAgoMs: 30_000 }],
  });
  assert.equal(v.feedWatchdog, true);
  assert.equal(
    v.notFlowingBecause,
    'studio-b at 10.0.0.2:47000 has not answered 7 video handshakes; studio-b has not been heard on 0.0.0.0:47000 for 30 s',
  );
});

it('encoder stopped with its camera present: starved', () => {
  const v = assessHealth({ ...flowing, outbound: [{ ...out, producing: false }] });
  assert.equal(v.feedWatchdog, false);
  assert.deepEqual(v.stuck, ['no video is coming out of the encoder']);
});

it('the same while starting up, or with the camera unplugged: fed, and explained', () => {
  const starting = assessHealth({ ...flowing, startingUp: true, outbound: [{ ...out, producing: false }] });
  assert.equal(starting.feedWatchdog, true);
  assert.match(starting.notFlowingBecause ?? '', /encoder is starting/);
  const unplugged = assessHealth({
    ...flowing,
    outbound: [{ ...out, producing: false, deviceLost: true }],
  });
  assert.equal(unplugged.feedWatchdog, true);
  assert.match(unplugged.notFlowingBecause ?? '', /the camera is gone/);
});

it('camera gone but its placeholder going out: fed, and the status says the room is not shown', () => {
  const v = assessHealth({ ...flowing, outbound: [{ ...out, deviceLost: true }] });
  assert.equal(v.feedWatchdog, true);
  assert.equal(v.notFlowingBecause, 'the camera is gone; sending a placeholder until it is back');
});

it('media arriving but never decoded: starved', () => {
  const v = assessHealth({ ...flowing, inbound: [{ ...inb, stuck: true }] });
  assert.equal(v.feedWatchdog, false);
  assert.match(v.notFlowingBecause ?? '', /arrives but is not decoded/);
});

it('peer heard but sending no media (after start-up): fed, but explained', () => {
  const v = assessHealth({ ...flowing, inbound: [{ ...inb, flowing: false, heardAgoMs: 100 }] });
  assert.equal(v.feedWatchdog, true);
  assert.equal(v.notFlowingBecause, 'studio-b is connected but sends no video');
});
