// The age-friendly display (适老化): large text and high contrast, as
// classes on <html>. Every page loads this module first, and it applies the
// device's stored choice as soon as it runs, before the page's own modules
// and the /api/v1/me round trip, so a learner who reads large text does not
// see the page small first. Signed in, the account's choice wins (shell.js).
const KEY = 'xuetang.display';
const CLASSES = { large_text: 'large-text', high_contrast: 'high-contrast' };

let state = { large_text: false, high_contrast: false };

function stored() {
  try { return JSON.parse(localStorage.getItem(KEY)); } catch (_) { return null; }
}

export function current() { return { ...state }; }

export function apply(next) {
  state = { large_text: !!next?.large_text, high_contrast: !!next?.high_contrast };
  for (const [k, cls] of Object.entries(CLASSES)) document.documentElement.classList.toggle(cls, state[k]);
}

// remember keeps the choice on this device for the next page, unless this is
// a shared computer (a library terminal): the next person there should not
// inherit it, and a shared session's sign-out clears site storage anyway.
export function remember(shared) {
  if (shared) return;
  try { localStorage.setItem(KEY, JSON.stringify(state)); } catch (_) { /* full or disabled */ }
}

apply(stored());
