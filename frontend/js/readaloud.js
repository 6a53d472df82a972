// Read aloud (朗读): the lesson read by the browser's speech synthesis, one
// block (heading, paragraph, list item) at a time, the block being read
// highlighted. One utterance per block also keeps Chrome from cutting off
// long texts, and lets pause and stop act at once.

const BLOCKS = 'h2, h3, h4, p, li, td, th, figcaption';

// blocks lists the readable blocks under root in reading order: a list item
// that holds paragraphs is read as those paragraphs, not twice.
export function blocks(root) {
  return [...root.querySelectorAll(BLOCKS)].filter((e) =>
    e.textContent.trim() !== '' && !e.querySelector(BLOCKS));
}

// pickVoice finds a voice for a lesson language (zh-CN or en). Chinese
// falls back to another Mandarin voice, never Cantonese (zh-HK, yue).
export function pickVoice(voices, lang) {
  const norm = (v) => (v.lang || '').replace('_', '-').toLowerCase();
  const want = lang.toLowerCase();
  const exact = voices.filter((v) => norm(v) === want);
  if (exact.length) return exact.find((v) => v.localService) || exact[0];
  const primary = want.split('-')[0];
  return voices.find((v) => {
    const l = norm(v);
    if (primary === 'zh') return (l.startsWith('zh') || l.startsWith('cmn')) && !l.startsWith('zh-hk') && !l.includes('yue');
    return l.split('-')[0] === primary;
  }) || null;
}

// Reader speaks blocks through synth (window.speechSynthesis or a test's
// stand-in); makeUtterance builds an utterance for a text. onChange(state,
// index) hears every change: state is idle, playing, paused or finished.
export class Reader {
  constructor({ synth, items, lang, voice, makeUtterance, onChange }) {
    Object.assign(this, { synth, items, lang, voice, makeUtterance, onChange: onChange || (() => {}) });
    this.state = 'idle';
    this.index = -1;
    this.run = 0; // bumped by stop, so a cancelled utterance's end is ignored
  }

  play() {
    if (this.state === 'paused') return this.resume();
    if (this.state === 'playing') return;
    this.run++;
    this.speak(0);
  }

  pause() {
    if (this.state !== 'playing') return;
    this.synth.pause();
    this.set('paused', this.index);
  }

  resume() {
    if (this.state !== 'paused') return;
    this.synth.resume();
    this.set('playing', this.index);
  }

  stop() {
    if (this.state === 'idle' || this.state === 'finished') return;
    this.run++;
    this.synth.cancel();
    this.set('idle', -1);
  }

  speak(i) {
    if (i >= this.items.length) { this.set('finished', -1); return; }
    const run = this.run;
    const u = this.makeUtterance(this.items[i].textContent.replace(/\s+/g, ' ').trim());
    u.lang = this.lang;
    if (this.voice) u.voice = this.voice;
    u.onend = () => { if (run === this.run) this.speak(i + 1); };
    u.onerror = (ev) => {
      // cancel() makes the utterance end with "interrupted" or "canceled".
      if (run !== this.run || ev?.error === 'interrupted' || ev?.error === 'canceled') return;
      this.run++;
      this.set('idle', -1);
    };
    this.set('playing', i);
    this.synth.speak(u);
  }

  set(state, index) {
    const prev = this.items[this.index];
    if (prev && index !== this.index) { prev.classList.remove('reading'); prev.removeAttribute('aria-current'); }
    this.state = state;
    this.index = index;
    const cur = this.items[index];
    if (cur) { cur.classList.add('reading'); cur.setAttribute('aria-current', 'true'); }
    this.onChange(state, index);
  }
}
