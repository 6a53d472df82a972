// Browser storage for one signed-in learner. On a shared computer (library,
// classroom) nothing is ever written: every call is a no-op, so the next
// person at the terminal finds nothing of the last one. Keys carry the user
// id, so two people using one home computer never mix their data.
let prefix = '';

export function configure(me) {
  prefix = me && !me.shared ? `xuetang.u${me.id}.` : '';
}

export function enabled() { return prefix !== ''; }

export function get(key) {
  if (!prefix) return null;
  try { return JSON.parse(localStorage.getItem(prefix + key)); } catch (_) { return null; }
}

export function set(key, value) {
  if (!prefix) return;
  try { localStorage.setItem(prefix + key, JSON.stringify(value)); } catch (_) { /* full or disabled */ }
}

export function remove(key) {
  if (!prefix) return;
  try { localStorage.removeItem(prefix + key); } catch (_) { /* ignore */ }
}

// forget removes whatever an earlier, unshared session of this user left,
// for when the same account later signs in on a shared computer.
export function forget(me) {
  const p = `xuetang.u${me.id}.`;
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k && k.startsWith(p)) localStorage.removeItem(k);
    }
    sessionStorage.clear();
  } catch (_) { /* ignore */ }
}
