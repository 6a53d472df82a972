// Progress events for one open lesson: "open" on load, "heartbeat" every 30
// seconds while the page is visible and the learner has done something in
// the last minute, "complete" at the end. Events wait in a queue until the
// server acknowledges them, so a dropped connection on a rural link loses
// nothing: they are retried with backoff, and (except on shared computers)
// kept in localStorage until the next visit. Every event has its own id, so
// sending one twice is harmless.
import { api } from './api.js';
import * as local from './local.js';
import { PROGRESS_KEY, PROGRESS_LOCK, CHANGED, setOnline, trackerOwnsProgress } from './offline.js';

const HEARTBEAT_MS = 30_000;
const IDLE_MS = 60_000;
const MAX_BACKOFF_MS = 60_000;
const MAX_QUEUE = 500;
const QUEUE_KEY = PROGRESS_KEY;

// uuid makes an event id. crypto.randomUUID exists only on https or
// localhost; a school server on plain http gets the getRandomValues version.
export function uuid() {
  if (typeof crypto.randomUUID === 'function') {
    try { return crypto.randomUUID(); } catch (_) { /* insecure context */ }
  }
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// Permanent failures: resending the same event cannot succeed.
function permanent(err) {
  return err.status >= 400 && err.status < 500 && err.status !== 408 && err.status !== 429 && err.status !== 401;
}

export class Tracker {
  // onAck(event, response) runs for each acknowledged event; onState(state)
  // hears 'offline', 'online', 'signed_out' and 'not_enrolled'.
  constructor({ lessonId, onAck = () => {}, onState = () => {} }) {
    this.lessonId = lessonId;
    this.onAck = onAck;
    this.onState = onState;
    this.queue = [];
    // Ids this tab wrote to storage, and ids it saw acknowledged: another tab
    // (or this one) may send an event, so storage is the shared truth.
    this.stored = new Set();
    this.done = new Set();
    this.inflight = new Set(); // event ids sent with keepalive, not yet answered
    this.sending = false;
    this.stopped = false;
    this.backoff = 0;
    this.retryTimer = 0;
    this.offline = false;
    const now = Date.now();
    this.visible = document.visibilityState === 'visible';
    this.lastActivity = now;
    this.mark = now;
    this.activeMs = 0;
  }

  start() {
    trackerOwnsProgress();
    // Events a previous visit could not send go first.
    for (const ev of local.get(QUEUE_KEY) || []) {
      if (ev && ev.event_id && !this.queue.some((q) => q.event_id === ev.event_id)) {
        this.queue.push(ev);
        this.stored.add(ev.event_id);
      }
    }
    const active = () => this.activity();
    for (const type of ['pointerdown', 'pointermove', 'keydown', 'scroll', 'touchstart', 'wheel']) {
      addEventListener(type, active, { passive: true, capture: true });
    }
    document.addEventListener('visibilitychange', () => this.visibility());
    addEventListener('pagehide', () => this.flush());
    addEventListener('online', () => this.retryNow());
    this.interval = setInterval(() => this.tick(), HEARTBEAT_MS);
    this.add('open');
  }

  // accrue adds the active time since the last mark: time counts while the
  // page is visible and until a minute after the learner's last action.
  accrue(now = Date.now()) {
    if (this.visible) {
      const until = Math.min(now, this.lastActivity + IDLE_MS);
      if (until > this.mark) this.activeMs += until - this.mark;
    }
    this.mark = now;
  }

  activity() {
    const now = Date.now();
    this.accrue(now);
    this.lastActivity = now;
  }

  visibility() {
    const now = Date.now();
    this.accrue(now);
    this.visible = document.visibilityState === 'visible';
    if (this.visible) {
      this.lastActivity = now;
      this.retryNow();
    } else {
      this.flush();
    }
  }

  tick() {
    if (this.stopped) return;
    const now = Date.now();
    this.accrue(now);
    if (this.visible && now - this.lastActivity < IDLE_MS && this.activeMs >= 1000) this.add('heartbeat');
  }

  // take hands out the whole active seconds gathered since the previous event.
  take() {
    this.accrue();
    const s = Math.floor(this.activeMs / 1000);
    this.activeMs -= s * 1000;
    return s;
  }

  add(type, send = true) {
    if (this.stopped) return null;
    // occurred_at: events queued offline and sent in one burst are credited
    // by when they happened (never more than the time between them).
    const ev = { event_id: uuid(), lesson_id: this.lessonId, type, seconds: type === 'open' ? 0 : this.take(),
      occurred_at: new Date(Date.now()).toISOString() };
    this.queue.push(ev);
    if (this.queue.length > MAX_QUEUE) this.queue.splice(0, this.queue.length - MAX_QUEUE);
    this.save();
    if (send) this.pump();
    return ev;
  }

  complete() { return this.add('complete'); }

  // save merges this tab's queue into storage: another tab's events stay,
  // and this tab's events that another tab has sent (gone from storage
  // since this tab wrote them) leave this queue too.
  save() {
    if (!local.enabled()) return;
    const stored = (local.get(QUEUE_KEY) || []).filter((q) => q && q.event_id);
    const there = new Set(stored.map((q) => q.event_id));
    this.queue = this.queue.filter((q) => !this.stored.has(q.event_id) || there.has(q.event_id));
    const mine = new Set(this.queue.map((q) => q.event_id));
    const merged = stored.filter((q) => !mine.has(q.event_id) && !this.done.has(q.event_id)).concat(this.queue);
    merged.sort((a, b) => String(a.occurred_at).localeCompare(String(b.occurred_at)));
    if (merged.length > MAX_QUEUE) merged.splice(0, merged.length - MAX_QUEUE);
    if (merged.length) local.set(QUEUE_KEY, merged);
    else local.remove(QUEUE_KEY);
    this.stored = mine;
    dispatchEvent(new Event(CHANGED));
  }

  // sentElsewhere: another tab sent this event since this one queued it.
  sentElsewhere(ev) {
    if (!local.enabled() || !this.stored.has(ev.event_id)) return false;
    return !(local.get(QUEUE_KEY) || []).some((q) => q.event_id === ev.event_id);
  }

  acked(ev, res) {
    const i = this.queue.findIndex((q) => q.event_id === ev.event_id);
    if (i < 0) return; // already acknowledged through another send
    this.queue.splice(i, 1);
    this.done.add(ev.event_id);
    this.save();
    if (ev.lesson_id === this.lessonId) this.onAck(ev, res);
  }

  // pump sends queued events one at a time, in order, so the server sees
  // them in the order they happened.
  async pump() {
    if (this.sending || this.stopped) return;
    this.sending = true;
    try {
      // One tab sends at a time (Web Locks: https and localhost only; the
      // server drops a repeated event id anyway).
      if (navigator.locks?.request && local.enabled()) await navigator.locks.request(PROGRESS_LOCK, () => this.send());
      else await this.send();
    } finally {
      this.sending = false;
    }
  }

  async send() {
    while (this.queue.length && !this.stopped) {
      const ev = this.queue[0];
      if (this.sentElsewhere(ev)) { this.queue.shift(); this.done.add(ev.event_id); continue; }
      let res;
      try {
        res = await api('POST', '/progress', ev);
      } catch (err) {
        if (err.status === 401) { this.stopped = true; this.onState('signed_out'); return; }
        if (err.status === 403 && ev.lesson_id === this.lessonId) {
          for (const q of this.queue) if (q.lesson_id === this.lessonId) this.done.add(q.event_id);
          this.queue = this.queue.filter((q) => q.lesson_id !== this.lessonId);
          this.save();
          this.stopped = true;
          this.onState('not_enrolled');
          return;
        }
        if (permanent(err)) { this.acked(ev, null); continue; }
        this.scheduleRetry();
        return;
      }
      this.backoff = 0;
      setOnline(true);
      if (this.offline) { this.offline = false; this.onState('online'); }
      this.acked(ev, res);
    }
  }

  scheduleRetry() {
    setOnline(false);
    if (!this.offline) { this.offline = true; this.onState('offline'); }
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff ? this.backoff * 2 : 2000);
    clearTimeout(this.retryTimer);
    // Jitter keeps a classroom of phones from retrying in step.
    this.retryTimer = setTimeout(() => this.pump(), this.backoff * (0.75 + Math.random() / 2));
  }

  retryNow() {
    clearTimeout(this.retryTimer);
    this.backoff = 0;
    this.pump();
  }

  // flush runs when the page is hidden or left: the rest of the active time
  // becomes a heartbeat and every queued event goes out with keepalive, so
  // the request survives the page. Whatever is not acknowledged stays queued.
  flush() {
    if (this.stopped) return;
    if (this.visible) this.accrue();
    if (this.activeMs >= 1000) this.add('heartbeat', false);
    this.save();
    // keepalive bodies share a 64 KiB budget; an event is about 120 bytes.
    // Hiding the tab and then leaving it both flush; send each event once.
    for (const ev of this.queue.slice(0, 200)) {
      if (this.inflight.has(ev.event_id)) continue;
      this.inflight.add(ev.event_id);
      api('POST', '/progress', ev, { keepalive: true })
        .then((res) => this.acked(ev, res), () => {})
        .finally(() => this.inflight.delete(ev.event_id));
    }
  }

  // drain sends what is queued and waits, for sign-out.
  async drain() {
    if (this.visible) this.accrue();
    if (this.activeMs >= 1000) this.add('heartbeat', false);
    while (this.queue.length && !this.stopped && !this.offline) {
      if (this.sending) await new Promise((r) => setTimeout(r, 50));
      else await this.pump();
    }
  }
}
